// The state-value baseline V(s): an MLP obs -> hidden -> 1 (ReLU), initialised like
// pytorch-trpo's Value net (default Linear init, output weights x0.1, output bias 0),
// from Rng::ForStream(seed, StreamKind::kPolicyInit, 1). Fitted to discounted returns
// either by L-BFGS on MSE + L2 (TRPO, as pytorch-trpo) or by Adam steps on the MSE.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "rl/adam.h"
#include "rl/lbfgs.h"
#include "rl/mlp.h"

namespace teamsrl::rl {

struct ValueFitStats {
  double mse_before = 0.0;  // mean squared error on the targets before the fit
  double mse_after = 0.0;   // ... and after (without the L2 term)
  int iterations = 0;
  int evaluations = 0;
};

class ValueFunction {
 public:
  ValueFunction(int obs_dim, const std::vector<int>& hidden, uint64_t seed);

  int NumParameters() const { return mlp_.NumParameters(); }
  const Eigen::VectorXd& Parameters() const { return mlp_.Parameters(); }
  void SetParameters(const Eigen::VectorXd& params) { mlp_.SetParameters(params); }
  const Mlp& mlp() const { return mlp_; }

  // V(obs.row(i)) for every row.
  Eigen::VectorXd Predict(const Eigen::MatrixXd& obs) const;
  // mean_i (V(s_i) - targets_i)^2 + l2 * |params|^2 at the current parameters, and its
  // gradient in *grad when given. (Reuses an internal buffer: not for concurrent use.)
  double Loss(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets, double l2,
              Eigen::VectorXd* grad) const;

  // pytorch-trpo: scipy fmin_l_bfgs_b(maxiter=iterations) on Loss with `l2`.
  ValueFitStats FitLbfgs(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets, double l2,
                         int iterations);
  // `steps` full-batch Adam steps on the MSE.
  ValueFitStats FitAdam(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets, int steps,
                        Adam* adam);

 private:
  Mlp mlp_;
  mutable Mlp::Cache cache_;  // forward-pass buffers reused across Loss calls
};

}  // namespace teamsrl::rl
