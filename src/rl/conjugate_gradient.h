// Conjugate gradient for A x = b with A symmetric positive definite, given only as a
// product v -> A v; pytorch-trpo's loop: x0 = 0, at most `iterations` steps, stop once
// r.r < residual_tol.
#pragma once

#include <Eigen/Dense>
#include <functional>

namespace teamsrl::rl {

// v -> A v (e.g. a Fisher-vector product for a fixed batch).
using LinearOperator = std::function<Eigen::VectorXd(const Eigen::VectorXd&)>;

struct CgResult {
  Eigen::VectorXd x;
  int iterations = 0;        // products with A taken
  double residual_sq = 0.0;  // r.r at exit
};

CgResult ConjugateGradient(const LinearOperator& apply_a, const Eigen::VectorXd& b, int iterations,
                           double residual_tol);

}  // namespace teamsrl::rl
