// PPO with the clipped surrogate (Schulman et al. 2017): `epochs` full-batch Adam steps
// (learning_rate) on -mean(min(r A, clip(r, 1-clip, 1+clip) A)) - entropy_coef * H, with
// r = exp(logp - logp_old) and A the normalised GAE advantages; the value net takes
// `epochs` Adam steps (value_learning_rate) on the MSE to the discounted returns.
// Adam moments persist across updates (created on the first update).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/config.h"
#include "rl/adam.h"
#include "rl/learner.h"
#include "rl/value_function.h"

namespace teamsrl::rl {

class PpoLearner final : public Learner {
 public:
  PpoLearner(const AlgoConfig& config, const std::vector<int>& value_hidden, int obs_dim,
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
