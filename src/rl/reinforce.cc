#include "rl/reinforce.h"

#include "core/check.h"
#include "rl/gae.h"

namespace teamsrl::rl {

UpdateStats ReinforceLearner::UpdateParts(Policy& policy, std::span<const Batch> parts,
                                          const BatchSum& sum) {
  const double n = internal::CheckParts(parts, policy, sum);
  UpdateStats stats;
  if (policy.NumParameters() == 0) return stats;
  Adam& policy_adam = PolicyAdam(policy, "REINFORCE");

  const std::vector<Eigen::VectorXd> values = internal::Predict(value_, parts);
  // gamma-discounted returns (the GAE recursion's return column).
  std::vector<Eigen::VectorXd> returns, baselined;
  for (size_t p = 0; p < parts.size(); ++p) {
    returns.push_back(
        ComputeGae(parts[p].rewards, values[p], parts[p].masks, config_.gamma, config_.lambda)
            .returns);
    baselined.emplace_back(returns.back() - values[p]);
  }
  internal::ValueFitBesidePolicyStep(
      sum, [&] { stats.value_loss = FitValue(parts, returns, n, sum); },
      [&] { PolicyStep(policy, parts, baselined, n, sum, policy_adam, &stats); });
  return stats;
}

void ReinforceLearner::PolicyStep(Policy& policy, std::span<const Batch> parts,
                                  const std::vector<Eigen::VectorXd>& baselined, double n,
                                  const BatchSum& sum, Adam& policy_adam, UpdateStats* stats) {
  const std::vector<Eigen::VectorXd> advantages = NormalizeAdvantages(baselined, n, sum);

  const std::unique_ptr<Policy> old_policy = policy.Clone();
  std::vector<Eigen::VectorXd> weights;
  weights.reserve(advantages.size());
  for (const Eigen::VectorXd& a : advantages) weights.emplace_back(-a / n);
  Eigen::VectorXd grad = internal::LogProbGradient(policy, parts, weights, sum);
  if (config_.entropy_coef != 0.0) {
    grad -= config_.entropy_coef * internal::MeanEntropyGradient(policy, parts, n, sum);
  }
  Eigen::VectorXd params = policy.Parameters();
  policy_adam.Step(grad, &params);
  policy.SetParameters(params);

  std::vector<double> logp_adv;
  for (size_t p = 0; p < parts.size(); ++p) {
    logp_adv.push_back(policy.LogProb(parts[p].obs, parts[p].actions).dot(advantages[p]));
  }
  stats->policy_loss = -TotalScalar(sum, logp_adv) / n;
  const internal::KlEntropy after = internal::MeanKlAndEntropy(policy, *old_policy, parts, n, sum);
  stats->kl = after.kl;
  stats->entropy = after.entropy;
  stats->step_size = config_.learning_rate;
  stats->accepted = true;
}

}  // namespace teamsrl::rl
