#include "rl/reinforce.h"

#include "core/check.h"
#include "rl/gae.h"

namespace teamsrl::rl {

UpdateStats ReinforceLearner::Update(Policy& policy, const Batch& batch) {
  internal::CheckBatch(batch, policy);
  UpdateStats stats;
  if (policy.NumParameters() == 0) return stats;
  Adam& policy_adam = PolicyAdam(policy, "REINFORCE");

  const Eigen::VectorXd values = value_.Predict(batch.obs);
  // gamma-discounted returns (the GAE recursion's return column).
  const Eigen::VectorXd returns =
      ComputeGae(batch.rewards, values, batch.masks, config_.gamma, config_.lambda).returns;
  const Eigen::VectorXd advantages = NormalizeAdvantages(returns - values);
  stats.value_loss = value_.FitAdam(batch.obs, returns, config_.epochs, &value_adam_).mse_after;

  const std::unique_ptr<Policy> old_policy = policy.Clone();
  const double n = static_cast<double>(batch.obs.rows());
  Eigen::VectorXd grad = policy.LogProbGradient(batch.obs, batch.actions, -advantages / n);
  if (config_.entropy_coef != 0.0) {
    grad -= config_.entropy_coef * policy.MeanEntropyGradient(batch.obs);
  }
  Eigen::VectorXd params = policy.Parameters();
  policy_adam.Step(grad, &params);
  policy.SetParameters(params);

  stats.policy_loss = -policy.LogProb(batch.obs, batch.actions).dot(advantages) / n;
  stats.kl = policy.MeanKl(*old_policy, batch.obs);
  stats.entropy = policy.MeanEntropy(batch.obs);
  stats.step_size = config_.learning_rate;
  stats.accepted = true;
  return stats;
}

}  // namespace teamsrl::rl
