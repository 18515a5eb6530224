// REINFORCE with a learned baseline: one full-batch Adam step (learning_rate) on
// -mean(logp * A), A = normalised (discounted return - V(s)); then the value net takes
// `epochs` Adam steps (value_learning_rate) on the MSE to the returns.
#pragma once

#include <cstdint>
#include <vector>

#include "rl/learner.h"
#include "rl/options.h"

namespace teamsrl::rl {

class ReinforceLearner final : public AdamLearner {
 public:
  ReinforceLearner(const AlgoConfig& config, const std::vector<int>& value_hidden, int obs_dim,
                   uint64_t seed)
      : AdamLearner(config, value_hidden, obs_dim, seed) {}

  UpdateStats UpdateParts(Policy& policy, std::span<const Batch> parts,
                          const BatchSum& sum) override;

 private:
  // Everything after the value fit: ValueFitBesidePolicyStep's policy_step.
  void PolicyStep(Policy& policy, std::span<const Batch> parts,
                  const std::vector<Eigen::VectorXd>& baselined, double n, const BatchSum& sum,
                  Adam& policy_adam, UpdateStats* stats);
};

}  // namespace teamsrl::rl
