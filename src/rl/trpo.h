// TRPO exactly as pytorch-trpo's update_params/trpo_step (TeaMs-RL's learner, docs/method.md
// s.4). One Update:
//   1. values = V(obs); GAE(gamma, lambda) -> advantages and discounted returns;
//   2. fit V by L-BFGS (value_lbfgs_iters, L2 value_l2) on the returns, before the step
//      (or beside it: the step reads only step 1's advantages; ValueFitBesidePolicyStep);
//   3. normalise the advantages (mean, unbiased std);
//   4. loss = -mean(exp(logp - logp_old) * adv), g = grad loss;
//   5. stepdir = CG(F + damping I, -g, cg_iters, cg_residual_tol), F = Fisher of mean KL;
//   6. shs = stepdir.(F + damping I) stepdir / 2; lm = sqrt(shs / max_kl);
//      fullstep = stepdir / lm; expected_improve_rate = -g.stepdir / lm;
//   7. for frac = 0.5^k, k < line_search_steps: accept the first frac with
//      (loss - newloss) / (expected_improve_rate * frac) > accept_ratio and loss > newloss;
//      else keep the old parameters.
// One difference of form: pytorch-trpo recomputes logp_old from the policy at update
// time; here it comes with the batch (Batch::logp_old, recorded by Act with the same
// parameters), so the ratios at the old parameters are 1 up to rounding.
#pragma once

#include <cstdint>
#include <vector>

#include "rl/learner.h"
#include "rl/options.h"
#include "rl/value_function.h"

namespace teamsrl::rl {

class TrpoLearner final : public Learner {
 public:
  TrpoLearner(const AlgoConfig& config, const std::vector<int>& value_hidden, int obs_dim,
              uint64_t seed);

  UpdateStats UpdateParts(Policy& policy, std::span<const Batch> parts,
                          const BatchSum& sum) override;
  Eigen::VectorXd ValueParameters() const override { return value_.Parameters(); }
  void SetValueParameters(const Eigen::VectorXd& params) override { value_.SetParameters(params); }
  const ValueFunction& value_function() const { return value_; }

 private:
  // Steps 3 to 7, and the KL and entropy after them.
  void PolicyStep(Policy& policy, std::span<const Batch> parts,
                  const std::vector<Eigen::VectorXd>& raw_advantages, double n, const BatchSum& sum,
                  UpdateStats* stats) const;

  AlgoConfig config_;
  ValueFunction value_;
};

}  // namespace teamsrl::rl
