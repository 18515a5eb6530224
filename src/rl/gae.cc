#include "rl/gae.h"

#include <cmath>

#include "core/check.h"

namespace teamsrl::rl {

GaeResult ComputeGae(const Eigen::VectorXd& rewards, const Eigen::VectorXd& values,
                     const Eigen::VectorXd& masks, double gamma, double lambda) {
  const Eigen::Index n = rewards.size();
  TEAMSRL_CHECK(values.size() == n && masks.size() == n)
      << "GAE: rewards, values and masks must have the same length";
  GaeResult out{Eigen::VectorXd(n), Eigen::VectorXd(n)};
  double prev_return = 0.0;
  double prev_value = 0.0;
  double prev_advantage = 0.0;
  for (Eigen::Index i = n - 1; i >= 0; --i) {
    out.returns[i] = rewards[i] + gamma * prev_return * masks[i];
    const double delta = rewards[i] + gamma * prev_value * masks[i] - values[i];
    out.advantages[i] = delta + gamma * lambda * prev_advantage * masks[i];
    prev_return = out.returns[i];
    prev_value = values[i];
    prev_advantage = out.advantages[i];
  }
  return out;
}

Eigen::VectorXd NormalizeAdvantages(const Eigen::VectorXd& advantages) {
  const Eigen::Index n = advantages.size();
  if (n == 0) return advantages;
  const double mean = advantages.sum() / static_cast<double>(n);
  Eigen::VectorXd centred = advantages.array() - mean;
  if (n < 2) return centred;
  const double std = std::sqrt(centred.squaredNorm() / static_cast<double>(n - 1));
  if (!(std > 0.0)) return centred;
  return centred / std;
}

}  // namespace teamsrl::rl
