// Running mean/std observation filter, the behaviour of pytorch-trpo's ZFilter (from
// modular_rl): Welford updates; var = M2/(n-1) for n > 1, mean^2 for n == 1 (sic), 0 for
// n == 0; normalise (x - mean)/(std + 1e-8) and clip to [-clip, clip].
// Pushing rows of a batch is the same as pushing them one by one in row order, so the
// filter is deterministic whenever the order of observations is. The state is a flat
// vector of doubles so it can be broadcast over MPI or checkpointed.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "core/status.h"

namespace teamsrl::rl {

class RunningMeanStd {
 public:
  RunningMeanStd(int dim, double clip);

  int dim() const { return static_cast<int>(mean_.size()); }
  double clip() const { return clip_; }
  int64_t count() const { return count_; }
  const Eigen::VectorXd& mean() const { return mean_; }
  Eigen::VectorXd Variance() const;
  Eigen::VectorXd Std() const;

  void Push(const Eigen::VectorXd& x);
  // Pushes the rows of `batch` (N x dim) in order.
  void PushRows(const Eigen::MatrixXd& batch);
  // (x - mean)/(std + 1e-8), clipped to [-clip, clip]; a clip <= 0 disables clipping.
  Eigen::VectorXd Normalize(const Eigen::VectorXd& x) const;
  // ZFilter's __call__(x, update=True): push, then normalise with the updated statistics.
  Eigen::VectorXd Filter(const Eigen::VectorXd& x);
  // Adds `other`'s observations as if they had been pushed after this filter's (Chan,
  // Golub & LeVeque 1979, pairwise update); into an empty filter it is an exact copy.
  void Merge(const RunningMeanStd& other);

  // [count, mean..., m2...] (1 + 2*dim doubles; count is exact up to 2^53).
  std::vector<double> State() const;
  [[nodiscard]] Status SetState(const std::vector<double>& state);

 private:
  int64_t count_ = 0;
  Eigen::VectorXd mean_;
  Eigen::VectorXd m2_;
  double clip_;
};

}  // namespace teamsrl::rl
