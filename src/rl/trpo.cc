#include "rl/trpo.h"

#include <cmath>

#include "rl/conjugate_gradient.h"
#include "rl/gae.h"

namespace teamsrl::rl {

TrpoLearner::TrpoLearner(const AlgoConfig& config, const std::vector<int>& value_hidden,
                         int obs_dim, uint64_t seed)
    : config_(config), value_(obs_dim, value_hidden, seed) {}

UpdateStats TrpoLearner::UpdateParts(Policy& policy, std::span<const Batch> parts,
                                     const BatchSum& sum) {
  const double n = internal::CheckParts(parts, policy, sum);
  UpdateStats stats;
  if (policy.NumParameters() == 0) return stats;  // uniform: nothing to learn

  const std::vector<Eigen::VectorXd> values = internal::Predict(value_, parts);
  std::vector<Eigen::VectorXd> returns, raw_advantages;
  internal::PartsGae(parts, values, config_.gamma, config_.lambda, &returns, &raw_advantages);
  internal::ValueFitBesidePolicyStep(
      sum,
      [&] {
        stats.value_loss =
            value_.FitLbfgs(parts, returns, n, config_.value_l2, config_.value_lbfgs_iters, sum)
                .mse_after;
      },
      [&] { PolicyStep(policy, parts, raw_advantages, n, sum, &stats); });
  return stats;
}

void TrpoLearner::PolicyStep(Policy& policy, std::span<const Batch> parts,
                             const std::vector<Eigen::VectorXd>& raw_advantages, double n,
                             const BatchSum& sum, UpdateStats* stats) const {
  const std::vector<Eigen::VectorXd> advantages = NormalizeAdvantages(raw_advantages, n, sum);

  const std::unique_ptr<Policy> old_policy = policy.Clone();
  const Eigen::VectorXd old_params = policy.Parameters();

  std::vector<Eigen::VectorXd> ratio;
  const double loss = internal::Surrogate(policy, parts, advantages, n, sum, &ratio);
  std::vector<Eigen::VectorXd> weights;
  for (size_t p = 0; p < parts.size(); ++p) {
    weights.emplace_back(-(ratio[p].cwiseProduct(advantages[p])) / n);
  }
  const Eigen::VectorXd grad = internal::LogProbGradient(policy, parts, weights, sum);

  const LinearOperator fisher = internal::FisherOperator(policy, parts, n, sum);
  const double damping = config_.damping;
  const LinearOperator damped = [&](const Eigen::VectorXd& v) {
    Eigen::VectorXd out = fisher(v);
    out += damping * v;
    return out;
  };
  const Eigen::VectorXd stepdir =
      ConjugateGradient(damped, -grad, config_.cg_iters, config_.cg_residual_tol).x;
  const double shs = 0.5 * stepdir.dot(damped(stepdir));

  stats->policy_loss = loss;
  if (shs > 0.0 && std::isfinite(shs)) {
    const double lm = std::sqrt(shs / config_.max_kl);
    const Eigen::VectorXd fullstep = stepdir / lm;
    const double expected_improve_rate = -grad.dot(stepdir) / lm;
    double frac = 1.0;
    for (int k = 0; k < config_.line_search_steps; ++k, frac *= 0.5) {
      policy.SetParameters(old_params + frac * fullstep);
      const double new_loss = internal::Surrogate(policy, parts, advantages, n, sum, nullptr);
      const double actual_improve = loss - new_loss;
      const double expected_improve = expected_improve_rate * frac;
      stats->line_search_steps = k + 1;
      if (actual_improve / expected_improve > config_.accept_ratio && actual_improve > 0.0) {
        stats->accepted = true;
        stats->step_size = frac;
        stats->policy_loss = new_loss;
        break;
      }
    }
  }
  if (!stats->accepted) policy.SetParameters(old_params);
  const internal::KlEntropy after = internal::MeanKlAndEntropy(policy, *old_policy, parts, n, sum);
  stats->kl = after.kl;
  stats->entropy = after.entropy;
}

}  // namespace teamsrl::rl
