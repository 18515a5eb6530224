#include "rl/trpo.h"

#include <cmath>

#include "rl/conjugate_gradient.h"
#include "rl/gae.h"

namespace teamsrl::rl {

TrpoLearner::TrpoLearner(const AlgoConfig& config, const std::vector<int>& value_hidden,
                         int obs_dim, uint64_t seed)
    : config_(config), value_(obs_dim, value_hidden, seed) {}

UpdateStats TrpoLearner::Update(Policy& policy, const Batch& batch) {
  internal::CheckBatch(batch, policy);
  UpdateStats stats;
  if (policy.NumParameters() == 0) return stats;  // uniform: nothing to learn

  const Eigen::VectorXd values = value_.Predict(batch.obs);
  const GaeResult gae =
      ComputeGae(batch.rewards, values, batch.masks, config_.gamma, config_.lambda);
  stats.value_loss =
      value_.FitLbfgs(batch.obs, gae.returns, config_.value_l2, config_.value_lbfgs_iters)
          .mse_after;
  const Eigen::VectorXd advantages = NormalizeAdvantages(gae.advantages);

  const std::unique_ptr<Policy> old_policy = policy.Clone();
  const Eigen::VectorXd old_params = policy.Parameters();
  const double n = static_cast<double>(batch.obs.rows());

  Eigen::VectorXd ratio;
  const double loss = internal::Surrogate(policy, batch, advantages, &ratio);
  const Eigen::VectorXd weights = -(ratio.cwiseProduct(advantages)) / n;
  const Eigen::VectorXd grad = policy.LogProbGradient(batch.obs, batch.actions, weights);

  const LinearOperator fisher = policy.FisherOperator(batch.obs);
  const double damping = config_.damping;
  const LinearOperator damped = [&](const Eigen::VectorXd& v) {
    Eigen::VectorXd out = fisher(v);
    out += damping * v;
    return out;
  };
  const Eigen::VectorXd stepdir =
      ConjugateGradient(damped, -grad, config_.cg_iters, config_.cg_residual_tol).x;
  const double shs = 0.5 * stepdir.dot(damped(stepdir));

  stats.policy_loss = loss;
  if (shs > 0.0 && std::isfinite(shs)) {
    const double lm = std::sqrt(shs / config_.max_kl);
    const Eigen::VectorXd fullstep = stepdir / lm;
    const double expected_improve_rate = -grad.dot(stepdir) / lm;
    double frac = 1.0;
    for (int k = 0; k < config_.line_search_steps; ++k, frac *= 0.5) {
      policy.SetParameters(old_params + frac * fullstep);
      const double new_loss = internal::Surrogate(policy, batch, advantages, nullptr);
      const double actual_improve = loss - new_loss;
      const double expected_improve = expected_improve_rate * frac;
      stats.line_search_steps = k + 1;
      if (actual_improve / expected_improve > config_.accept_ratio && actual_improve > 0.0) {
        stats.accepted = true;
        stats.step_size = frac;
        stats.policy_loss = new_loss;
        break;
      }
    }
  }
  if (!stats.accepted) policy.SetParameters(old_params);
  stats.kl = policy.MeanKl(*old_policy, batch.obs);
  stats.entropy = policy.MeanEntropy(batch.obs);
  return stats;
}

}  // namespace teamsrl::rl
