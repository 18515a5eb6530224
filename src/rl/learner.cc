#include "rl/learner.h"

#include <algorithm>

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
