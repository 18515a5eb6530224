#include "rl/conjugate_gradient.h"

namespace teamsrl::rl {

CgResult ConjugateGradient(const LinearOperator& apply_a, const Eigen::VectorXd& b, int iterations,
                           double residual_tol) {
  CgResult out;
  out.x = Eigen::VectorXd::Zero(b.size());
  Eigen::VectorXd r = b;
  Eigen::VectorXd p = b;
  double rdotr = r.dot(r);
  for (int i = 0; i < iterations; ++i) {
    if (rdotr == 0.0) break;  // b = 0 or solved exactly: avoid 0/0
    const Eigen::VectorXd ap = apply_a(p);
    ++out.iterations;
    const double alpha = rdotr / p.dot(ap);
    out.x += alpha * p;
    r -= alpha * ap;
    const double new_rdotr = r.dot(r);
    p = r + (new_rdotr / rdotr) * p;
    rdotr = new_rdotr;
    if (rdotr < residual_tol) break;
  }
  out.residual_sq = rdotr;
  return out;
}

}  // namespace teamsrl::rl
