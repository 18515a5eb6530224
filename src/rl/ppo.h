// PPO with the clipped surrogate (Schulman et al. 2017): `epochs` full-batch Adam steps
// (learning_rate) on -mean(min(r A, clip(r, 1-clip, 1+clip) A)) - entropy_coef * H, with
// r = exp(logp - logp_old) and A the normalised GAE advantages; the value net takes
// `epochs` Adam steps (value_learning_rate) on the MSE to the discounted returns.
// Adam moments persist across updates (created on the first update).
#pragma once

#include <cstdint>
#include <vector>

#include "rl/learner.h"
#include "rl/options.h"

namespace teamsrl::rl {

class PpoLearner final : public AdamLearner {
 public:
  PpoLearner(const AlgoConfig& config, const std::vector<int>& value_hidden, int obs_dim,
             uint64_t seed)
      : AdamLearner(config, value_hidden, obs_dim, seed) {}

  UpdateStats UpdateParts(Policy& policy, std::span<const Batch> parts,
                          const BatchSum& sum) override;

 private:
  // Everything after the value fit: ValueFitBesidePolicyStep's policy_step.
  void PolicyStep(Policy& policy, std::span<const Batch> parts,
                  const std::vector<Eigen::VectorXd>& raw_advantages, double n, const BatchSum& sum,
                  Adam& policy_adam, UpdateStats* stats);
};

}  // namespace teamsrl::rl
