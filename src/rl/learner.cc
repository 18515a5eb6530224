#include "rl/learner.h"

#include "core/check.h"
#include "rl/ppo.h"
#include "rl/reinforce.h"
#include "rl/trpo.h"

namespace teamsrl::rl {

Learner::~Learner() = default;

AdamLearner::AdamLearner(const AlgoConfig& config, const std::vector<int>& value_hidden,
                         int obs_dim, uint64_t seed)
    : config_(config),
      value_(obs_dim, value_hidden, seed),
      value_adam_(value_.NumParameters(),
                  AdamOptions{.learning_rate = config.value_learning_rate}) {}

Adam& AdamLearner::PolicyAdam(const Policy& policy, const char* algo) {
  if (policy_adam_ == nullptr) {
    policy_adam_ = std::make_unique<Adam>(policy.NumParameters(),
                                          AdamOptions{.learning_rate = config_.learning_rate});
  }
  TEAMSRL_CHECK(policy_adam_->dim() == policy.NumParameters())
      << algo << " learner used with policies of different sizes";
  return *policy_adam_;
}

std::unique_ptr<Learner> MakeLearner(const AlgoConfig& algo, const PolicyConfig& policy,
                                     int obs_dim, uint64_t seed) {
  switch (algo.type) {
    case AlgoType::kTrpo:
      return std::make_unique<TrpoLearner>(algo, policy.hidden, obs_dim, seed);
    case AlgoType::kPpo:
      return std::make_unique<PpoLearner>(algo, policy.hidden, obs_dim, seed);
    case AlgoType::kReinforce:
      return std::make_unique<ReinforceLearner>(algo, policy.hidden, obs_dim, seed);
  }
  TEAMSRL_CHECK(false) << "algorithm type " << static_cast<int>(algo.type) << " out of range";
  return nullptr;
}

namespace internal {

void CheckBatch(const Batch& batch, const Policy& policy) {
  const Eigen::Index n = batch.obs.rows();
  TEAMSRL_CHECK(n > 0) << "empty batch";
  TEAMSRL_CHECK(batch.obs.cols() == policy.ObsDim())
      << "batch observations have " << batch.obs.cols() << " columns, the policy expects "
      << policy.ObsDim();
  TEAMSRL_CHECK(static_cast<Eigen::Index>(batch.actions.size()) == n && batch.rewards.size() == n &&
                batch.masks.size() == n && batch.logp_old.size() == n)
      << "batch fields disagree on the number of steps (" << n << ")";
  for (int a : batch.actions) {
    TEAMSRL_CHECK(a >= 0 && a < policy.NumActions()) << "batch action " << a << " out of range";
  }
}

double Surrogate(const Policy& policy, const Batch& batch, const Eigen::VectorXd& advantages,
                 Eigen::VectorXd* ratio) {
  const Eigen::VectorXd r =
      (policy.LogProb(batch.obs, batch.actions) - batch.logp_old).array().exp().matrix();
  const double loss = -r.dot(advantages) / static_cast<double>(r.size());
  if (ratio != nullptr) *ratio = r;
  return loss;
}

}  // namespace internal
}  // namespace teamsrl::rl
