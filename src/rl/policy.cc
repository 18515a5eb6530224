#include "rl/policy.h"

#include <cmath>
#include <sstream>

#include "core/check.h"
#include "rl/categorical_policy.h"
#include "rl/gaussian_argmax_policy.h"

namespace teamsrl::rl {

namespace internal {
void CheckBatch(const Policy& policy, const Eigen::MatrixXd& obs, const std::vector<int>* actions,
                const Eigen::VectorXd* weights) {
  TEAMSRL_CHECK(obs.rows() > 0) << "empty observation batch";
  TEAMSRL_CHECK(obs.cols() == policy.ObsDim())
      << "observations have " << obs.cols() << " columns, the policy expects " << policy.ObsDim();
  if (actions != nullptr) {
    TEAMSRL_CHECK(static_cast<Eigen::Index>(actions->size()) == obs.rows())
        << actions->size() << " actions for " << obs.rows() << " observations";
    for (int a : *actions) {
      TEAMSRL_CHECK(a >= 0 && a < policy.NumActions()) << "action " << a << " out of range";
    }
  }
  if (weights != nullptr) {
    TEAMSRL_CHECK(weights->size() == obs.rows())
        << weights->size() << " weights for " << obs.rows() << " observations";
  }
}
}  // namespace internal

std::unique_ptr<Policy> MakePolicy(const PolicyConfig& config, int obs_dim, int num_actions,
                                   uint64_t seed, int breadth_index) {
  TEAMSRL_CHECK(obs_dim > 0 && num_actions > 0) << "policy needs positive dimensions";
  Rng rng = Rng::ForStream(seed, StreamKind::kPolicyInit, 0);
  switch (config.type) {
    case PolicyType::kGaussianArgmax: {
      auto policy = std::make_unique<GaussianArgmaxPolicy>(obs_dim, num_actions, config.hidden,
                                                           config.breadth_bias, config.init_log_std,
                                                           breadth_index);
      policy->Initialize(rng);
      return policy;
    }
    case PolicyType::kCategorical: {
      auto policy = std::make_unique<CategoricalPolicy>(obs_dim, num_actions, config.hidden);
      policy->Initialize(rng);
      return policy;
    }
    case PolicyType::kUniform:
      return std::make_unique<UniformPolicy>(obs_dim, num_actions);
  }
  TEAMSRL_CHECK(false) << "policy type " << static_cast<int>(config.type) << " out of range";
  return nullptr;
}

UniformPolicy::UniformPolicy(int obs_dim, int num_actions)
    : obs_dim_(obs_dim), num_actions_(num_actions) {
  TEAMSRL_CHECK(obs_dim > 0 && num_actions > 0) << "policy needs positive dimensions";
}

void UniformPolicy::SetParameters(const Eigen::VectorXd& params) {
  TEAMSRL_CHECK(params.size() == 0) << "the uniform policy has no parameters";
}

std::unique_ptr<Policy> UniformPolicy::Clone() const {
  return std::make_unique<UniformPolicy>(*this);
}

std::string UniformPolicy::Describe() const {
  std::ostringstream out;
  out << "uniform: pi(a|s) = 1/" << num_actions_ << "; no parameters";
  return out.str();
}

ActionSample UniformPolicy::Act(const Eigen::VectorXd& obs, Rng& rng) const {
  TEAMSRL_CHECK(obs.size() == obs_dim_) << "observation has the wrong size";
  const int action = static_cast<int>(rng.UniformInt(static_cast<uint64_t>(num_actions_)));
  return {action, -std::log(static_cast<double>(num_actions_))};
}

int UniformPolicy::ActWithBias(const Eigen::VectorXd& obs, Rng& rng,
                               const Eigen::VectorXd& bias) const {
  TEAMSRL_CHECK(bias.size() == num_actions_) << "bias has the wrong size";
  return Act(obs, rng).action;  // the random control ignores the schedule's bias
}

int UniformPolicy::GreedyAction(const Eigen::VectorXd& obs) const {
  TEAMSRL_CHECK(obs.size() == obs_dim_) << "observation has the wrong size";
  return 0;
}

Eigen::VectorXd UniformPolicy::LogProb(const Eigen::MatrixXd& obs,
                                       const std::vector<int>& actions) const {
  internal::CheckBatch(*this, obs, &actions, nullptr);
  return Eigen::VectorXd::Constant(obs.rows(), -std::log(static_cast<double>(num_actions_)));
}

Eigen::VectorXd UniformPolicy::LogProbGradient(const Eigen::MatrixXd& obs,
                                               const std::vector<int>& actions,
                                               const Eigen::VectorXd& weights) const {
  internal::CheckBatch(*this, obs, &actions, &weights);
  return Eigen::VectorXd();
}

double UniformPolicy::MeanKl(const Policy& old, const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  TEAMSRL_CHECK(old.Type() == Type() && old.NumActions() == num_actions_)
      << "KL between policies of different types";
  return 0.0;
}

Eigen::VectorXd UniformPolicy::MeanKlGradient(const Policy& old, const Eigen::MatrixXd& obs) const {
  MeanKl(old, obs);
  return Eigen::VectorXd();
}

LinearOperator UniformPolicy::FisherOperator(const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  return [](const Eigen::VectorXd& v) {
    TEAMSRL_CHECK(v.size() == 0) << "the uniform policy has no parameters";
    return Eigen::VectorXd();
  };
}

double UniformPolicy::MeanEntropy(const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  return std::log(static_cast<double>(num_actions_));
}

Eigen::VectorXd UniformPolicy::MeanEntropyGradient(const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  return Eigen::VectorXd();
}

}  // namespace teamsrl::rl
