#include "rl/ppo.h"

#include <algorithm>

#include "core/check.h"
#include "rl/gae.h"

namespace teamsrl::rl {

UpdateStats PpoLearner::Update(Policy& policy, const Batch& batch) {
  internal::CheckBatch(batch, policy);
  UpdateStats stats;
  if (policy.NumParameters() == 0) return stats;
  Adam& policy_adam = PolicyAdam(policy, "PPO");

  const Eigen::VectorXd values = value_.Predict(batch.obs);
  const GaeResult gae =
      ComputeGae(batch.rewards, values, batch.masks, config_.gamma, config_.lambda);
  stats.value_loss = value_.FitAdam(batch.obs, gae.returns, config_.epochs, &value_adam_).mse_after;
  const Eigen::VectorXd advantages = NormalizeAdvantages(gae.advantages);

  const std::unique_ptr<Policy> old_policy = policy.Clone();
  const double n = static_cast<double>(batch.obs.rows());
  Eigen::VectorXd params = policy.Parameters();
  Eigen::VectorXd weights(batch.obs.rows());
  for (int epoch = 0; epoch < config_.epochs; ++epoch) {
    const Eigen::VectorXd ratio =
        (policy.LogProb(batch.obs, batch.actions) - batch.logp_old).array().exp().matrix();
    for (Eigen::Index i = 0; i < ratio.size(); ++i) {
      const double unclipped = ratio[i] * advantages[i];
      const double clipped =
          std::clamp(ratio[i], 1.0 - config_.clip, 1.0 + config_.clip) * advantages[i];
      // The min picks the clipped term only where the ratio is clipped: zero gradient.
      weights[i] = unclipped <= clipped ? -unclipped / n : 0.0;
    }
    Eigen::VectorXd grad = policy.LogProbGradient(batch.obs, batch.actions, weights);
    if (config_.entropy_coef != 0.0) {
      grad -= config_.entropy_coef * policy.MeanEntropyGradient(batch.obs);
    }
    policy_adam.Step(grad, &params);
    policy.SetParameters(params);
  }
  stats.policy_loss = internal::Surrogate(policy, batch, advantages, nullptr);
  stats.kl = policy.MeanKl(*old_policy, batch.obs);
  stats.entropy = policy.MeanEntropy(batch.obs);
  stats.step_size = config_.learning_rate;
  stats.accepted = config_.epochs > 0;
  return stats;
}

}  // namespace teamsrl::rl
