// The state-value baseline V(s): an MLP obs -> hidden -> 1 (ReLU), initialised like
// pytorch-trpo's Value net (default Linear init, output weights x0.1, output bias 0),
// from Rng::ForStream(seed, StreamKind::kPolicyInit, 1). Fitted to discounted returns
// either by L-BFGS on MSE + L2 (TRPO, as pytorch-trpo) or by Adam steps on the MSE.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <span>
#include <vector>

#include "rl/adam.h"
#include "rl/batch.h"
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
  // gradient in *grad when given, over a batch held in parts (rl/batch.h): targets[p] are
  // part p's, `rows` the whole batch's steps; one total per call (collective with `sum`).
  // (Reuses internal buffers: not for concurrent use.)
  double Loss(std::span<const Batch> parts, const std::vector<Eigen::VectorXd>& targets,
              double rows, double l2, const BatchSum& sum, Eigen::VectorXd* grad) const;
  // pytorch-trpo: scipy fmin_l_bfgs_b(maxiter=iterations) on Loss with `l2`.
  ValueFitStats FitLbfgs(std::span<const Batch> parts, const std::vector<Eigen::VectorXd>& targets,
                         double rows, double l2, int iterations, const BatchSum& sum);
  // `steps` full-batch Adam steps on the MSE.
  ValueFitStats FitAdam(std::span<const Batch> parts, const std::vector<Eigen::VectorXd>& targets,
                        double rows, int steps, Adam* adam, const BatchSum& sum);

  // The same on one batch of observations.
  double Loss(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets, double l2,
              Eigen::VectorXd* grad) const;
  ValueFitStats FitLbfgs(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets, double l2,
                         int iterations);
  ValueFitStats FitAdam(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets, int steps,
                        Adam* adam);

 private:
  Mlp mlp_;
  mutable std::vector<Mlp::Cache> caches_;  // per part: forward-pass buffers reused by Loss
};

}  // namespace teamsrl::rl
