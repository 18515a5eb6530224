#include "rl/learner.h"

#include <algorithm>
#include <future>

#include "core/check.h"
#include "rl/gae.h"
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

double AdamLearner::FitValue(std::span<const Batch> parts,
                             const std::vector<Eigen::VectorXd>& returns, double n,
                             const BatchSum& sum) {
  return value_.FitAdam(parts, returns, n, config_.epochs, &value_adam_, sum).mse_after;
}

namespace {

void AppendAdam(const Adam& a, std::vector<double>* out) {
  out->push_back(static_cast<double>(a.dim()));
  out->push_back(static_cast<double>(a.steps()));  // exact below 2^53 steps
  out->insert(out->end(), a.first_moment().begin(), a.first_moment().end());
  out->insert(out->end(), a.second_moment().begin(), a.second_moment().end());
}

// Reads one AppendAdam block at `*pos` and moves past it.
Status ReadAdam(const std::vector<double>& s, size_t* pos, int* dim, Eigen::VectorXd* m,
                Eigen::VectorXd* v, int64_t* steps) {
  if (*pos + 2 > s.size()) return InvalidArgument("optimiser state is truncated");
  *dim = static_cast<int>(s[*pos]);
  *steps = static_cast<int64_t>(s[*pos + 1]);
  const size_t n = static_cast<size_t>(std::max(*dim, 0));
  if (*dim < 0 || *pos + 2 + 2 * n > s.size())
    return InvalidArgument("optimiser state is truncated");
  *m = Eigen::Map<const Eigen::VectorXd>(s.data() + *pos + 2, static_cast<Eigen::Index>(n));
  *v = Eigen::Map<const Eigen::VectorXd>(s.data() + *pos + 2 + n, static_cast<Eigen::Index>(n));
  *pos += 2 + 2 * n;
  return OkStatus();
}

}  // namespace

std::vector<double> AdamLearner::OptimizerState() const {
  std::vector<double> out;
  AppendAdam(value_adam_, &out);
  if (policy_adam_ != nullptr) AppendAdam(*policy_adam_, &out);
  return out;
}

Status AdamLearner::SetOptimizerState(const std::vector<double>& state) {
  size_t pos = 0;
  int dim = 0;
  int64_t steps = 0;
  Eigen::VectorXd m, v;
  TEAMSRL_RETURN_IF_ERROR(ReadAdam(state, &pos, &dim, &m, &v, &steps));
  TEAMSRL_RETURN_IF_ERROR(value_adam_.SetState(m, v, steps));
  if (pos == state.size()) {
    policy_adam_.reset();
    return OkStatus();
  }
  TEAMSRL_RETURN_IF_ERROR(ReadAdam(state, &pos, &dim, &m, &v, &steps));
  if (pos != state.size()) return InvalidArgument("optimiser state has trailing values");
  policy_adam_ = std::make_unique<Adam>(dim, AdamOptions{.learning_rate = config_.learning_rate});
  return policy_adam_->SetState(m, v, steps);
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

double CheckParts(std::span<const Batch> parts, const Policy& policy, const BatchSum& sum) {
  for (const Batch& b : parts) CheckBatch(b, policy);
  const double rows = TotalRows(parts, sum);
  TEAMSRL_CHECK(rows > 0) << "empty batch";
  return rows;
}

double Surrogate(const Policy& policy, std::span<const Batch> parts,
                 const std::vector<Eigen::VectorXd>& advantages, double rows, const BatchSum& sum,
                 std::vector<Eigen::VectorXd>* ratio) {
  std::vector<double> terms;
  if (ratio != nullptr) ratio->clear();
  for (size_t p = 0; p < parts.size(); ++p) {
    const Batch& b = parts[p];
    const Eigen::VectorXd r =
        (policy.LogProb(b.obs, b.actions) - b.logp_old).array().exp().matrix();
    terms.push_back(r.dot(advantages[p]));
    if (ratio != nullptr) ratio->push_back(r);
  }
  return -TotalScalar(sum, terms) / rows;
}

Eigen::VectorXd LogProbGradient(const Policy& policy, std::span<const Batch> parts,
                                const std::vector<Eigen::VectorXd>& weights, const BatchSum& sum) {
  std::vector<Eigen::VectorXd> terms;
  for (size_t p = 0; p < parts.size(); ++p) {
    terms.push_back(policy.LogProbGradient(parts[p].obs, parts[p].actions, weights[p]));
  }
  return sum.Total(policy.NumParameters(), terms);
}

namespace {
// Part p's share of the whole batch's rows: its mean times this is its term of a mean.
double Share(const Batch& part, double rows) { return static_cast<double>(part.obs.rows()) / rows; }
}  // namespace

LinearOperator FisherOperator(const Policy& policy, std::span<const Batch> parts, double rows,
                              const BatchSum& sum) {
  std::vector<LinearOperator> local;
  std::vector<double> shares;
  for (const Batch& b : parts) {
    local.push_back(policy.FisherOperator(b.obs));
    shares.push_back(Share(b, rows));
  }
  const int dim = policy.NumParameters();
  return
      [local = std::move(local), shares = std::move(shares), dim, &sum](const Eigen::VectorXd& v) {
        std::vector<Eigen::VectorXd> terms;
        for (size_t p = 0; p < local.size(); ++p) terms.emplace_back(local[p](v) * shares[p]);
        return sum.Total(dim, terms);
      };
}

KlEntropy MeanKlAndEntropy(const Policy& policy, const Policy& old, std::span<const Batch> parts,
                           double rows, const BatchSum& sum) {
  std::vector<Eigen::VectorXd> terms;
  for (const Batch& b : parts) {
    const double share = Share(b, rows);
    terms.emplace_back(
        Eigen::Vector2d(policy.MeanKl(old, b.obs) * share, policy.MeanEntropy(b.obs) * share));
  }
  const Eigen::VectorXd total = sum.Total(2, terms);
  return {total[0], total[1]};
}

Eigen::VectorXd MeanEntropyGradient(const Policy& policy, std::span<const Batch> parts, double rows,
                                    const BatchSum& sum) {
  std::vector<Eigen::VectorXd> terms;
  for (const Batch& b : parts)
    terms.emplace_back(policy.MeanEntropyGradient(b.obs) * Share(b, rows));
  return sum.Total(policy.NumParameters(), terms);
}

void ValueFitBesidePolicyStep(const BatchSum& sum, const std::function<void()>& value_fit,
                              const std::function<void()>& policy_step) {
  if (!sum.local()) {
    value_fit();
    policy_step();
    return;
  }
  Eigen::initParallel();  // Eigen's cache-size statics, before a second thread uses them
  std::future<void> fit = std::async(std::launch::async, value_fit);
  policy_step();
  fit.get();
}

void PartsGae(std::span<const Batch> parts, const std::vector<Eigen::VectorXd>& values,
              double gamma, double lambda, std::vector<Eigen::VectorXd>* returns,
              std::vector<Eigen::VectorXd>* advantages) {
  for (size_t p = 0; p < parts.size(); ++p) {
    GaeResult gae = ComputeGae(parts[p].rewards, values[p], parts[p].masks, gamma, lambda);
    returns->push_back(std::move(gae.returns));
    advantages->push_back(std::move(gae.advantages));
  }
}

std::vector<Eigen::VectorXd> Predict(const ValueFunction& value, std::span<const Batch> parts) {
  std::vector<Eigen::VectorXd> out;
  for (const Batch& b : parts) out.push_back(value.Predict(b.obs));
  return out;
}

}  // namespace internal
}  // namespace teamsrl::rl
