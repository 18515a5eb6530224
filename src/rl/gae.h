// Generalised advantage estimation exactly as pytorch-trpo computes it. Steps are rows
// in time order with episodes contiguous; masks[i] = 0 at the last step of an episode
// (it cuts the recursion), 1 elsewhere. Iterating backwards:
//   returns[i]    = r[i] + gamma * returns[i+1] * mask[i]
//   deltas[i]     = r[i] + gamma * values[i+1] * mask[i] - values[i]
//   advantages[i] = deltas[i] + gamma * lambda * advantages[i+1] * mask[i]
// (with 0 beyond the last row). The value targets are the discounted returns, not
// advantages + values.
#pragma once

#include <Eigen/Dense>

namespace teamsrl::rl {

struct GaeResult {
  Eigen::VectorXd advantages;
  Eigen::VectorXd returns;
};

GaeResult ComputeGae(const Eigen::VectorXd& rewards, const Eigen::VectorXd& values,
                     const Eigen::VectorXd& masks, double gamma, double lambda);

// (a - mean(a)) / std(a) with the unbiased (n-1) std, as torch's Tensor.std(). With fewer
// than two entries, or a zero std, only the mean is removed (torch would divide by zero
// or give NaN and the update would then be a no-op).
Eigen::VectorXd NormalizeAdvantages(const Eigen::VectorXd& advantages);

}  // namespace teamsrl::rl
