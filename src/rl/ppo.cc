#include "rl/ppo.h"

#include <algorithm>

#include "core/check.h"
#include "rl/gae.h"

namespace teamsrl::rl {

UpdateStats PpoLearner::UpdateParts(Policy& policy, std::span<const Batch> parts,
                                    const BatchSum& sum) {
  const double n = internal::CheckParts(parts, policy, sum);
  UpdateStats stats;
  if (policy.NumParameters() == 0) return stats;
  Adam& policy_adam = PolicyAdam(policy, "PPO");

  const std::vector<Eigen::VectorXd> values = internal::Predict(value_, parts);
  std::vector<Eigen::VectorXd> returns, raw_advantages;
  internal::PartsGae(parts, values, config_.gamma, config_.lambda, &returns, &raw_advantages);
  internal::ValueFitBesidePolicyStep(
      sum, [&] { stats.value_loss = FitValue(parts, returns, n, sum); },
      [&] { PolicyStep(policy, parts, raw_advantages, n, sum, policy_adam, &stats); });
  return stats;
}

void PpoLearner::PolicyStep(Policy& policy, std::span<const Batch> parts,
                            const std::vector<Eigen::VectorXd>& raw_advantages, double n,
                            const BatchSum& sum, Adam& policy_adam, UpdateStats* stats) {
  const std::vector<Eigen::VectorXd> advantages = NormalizeAdvantages(raw_advantages, n, sum);

  const std::unique_ptr<Policy> old_policy = policy.Clone();
  Eigen::VectorXd params = policy.Parameters();
  std::vector<Eigen::VectorXd> weights(parts.size());
  for (int epoch = 0; epoch < config_.epochs; ++epoch) {
    for (size_t p = 0; p < parts.size(); ++p) {
      const Batch& b = parts[p];
      const Eigen::VectorXd ratio =
          (policy.LogProb(b.obs, b.actions) - b.logp_old).array().exp().matrix();
      weights[p].resize(ratio.size());
      for (Eigen::Index i = 0; i < ratio.size(); ++i) {
        const double unclipped = ratio[i] * advantages[p][i];
        const double clipped =
            std::clamp(ratio[i], 1.0 - config_.clip, 1.0 + config_.clip) * advantages[p][i];
        // The min picks the clipped term only where the ratio is clipped: zero gradient.
        weights[p][i] = unclipped <= clipped ? -unclipped / n : 0.0;
      }
    }
    Eigen::VectorXd grad = internal::LogProbGradient(policy, parts, weights, sum);
    if (config_.entropy_coef != 0.0) {
      grad -= config_.entropy_coef * internal::MeanEntropyGradient(policy, parts, n, sum);
    }
    policy_adam.Step(grad, &params);
    policy.SetParameters(params);
  }
  stats->policy_loss = internal::Surrogate(policy, parts, advantages, n, sum, nullptr);
  const internal::KlEntropy after = internal::MeanKlAndEntropy(policy, *old_policy, parts, n, sum);
  stats->kl = after.kl;
  stats->entropy = after.entropy;
  stats->step_size = config_.learning_rate;
  stats->accepted = config_.epochs > 0;
}

}  // namespace teamsrl::rl
