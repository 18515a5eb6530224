// REINFORCE with a learned baseline: one full-batch Adam step (learning_rate) on
// -mean(logp * A), A = normalised (discounted return - V(s)); then the value net takes
// `epochs` Adam steps (value_learning_rate) on the MSE to the returns.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/config.h"
#include "rl/adam.h"
#include "rl/learner.h"
#include "rl/value_function.h"

namespace teamsrl::rl {

class ReinforceLearner final : public Learner {
 public:
  ReinforceLearner(const AlgoConfig& config, const std::vector<int>& value_hidden, int obs_dim,
                   uint64_t seed);

  UpdateStats Update(Policy& policy, const Batch& batch) override;
  Eigen::VectorXd ValueParameters() const override { return value_.Parameters(); }
  void SetValueParameters(const Eigen::VectorXd& params) override { value_.SetParameters(params); }

 private:
  AlgoConfig config_;
  ValueFunction value_;
  Adam value_adam_;
  std::unique_ptr<Adam> policy_adam_;
};

}  // namespace teamsrl::rl
