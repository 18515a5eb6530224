// Helpers shared by the rl unit tests (not a test unit itself).
#pragma once

#include <Eigen/Dense>
#include <functional>

#include "core/rng.h"

namespace teamsrl::rl::testing {

// Central finite differences of a scalar function.
inline Eigen::VectorXd NumericalGradient(const std::function<double(const Eigen::VectorXd&)>& f,
                                         const Eigen::VectorXd& x, double h = 1e-6) {
  Eigen::VectorXd grad(x.size());
  Eigen::VectorXd xp = x;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double saved = xp[i];
    xp[i] = saved + h;
    const double fp = f(xp);
    xp[i] = saved - h;
    const double fm = f(xp);
    xp[i] = saved;
    grad[i] = (fp - fm) / (2.0 * h);
  }
  return grad;
}

inline Eigen::MatrixXd RandomMatrix(Rng& rng, int rows, int cols, double scale = 1.0) {
  Eigen::MatrixXd m(rows, cols);
  for (int j = 0; j < cols; ++j) {
    for (int i = 0; i < rows; ++i) m(i, j) = scale * rng.Normal();
  }
  return m;
}

inline Eigen::VectorXd RandomVector(Rng& rng, int n, double scale = 1.0) {
  Eigen::VectorXd v(n);
  for (int i = 0; i < n; ++i) v[i] = scale * rng.Normal();
  return v;
}

// max |a - b| / max(1, max |b|): a relative error that tolerates tiny entries.
inline double RelativeError(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  const double scale = std::max(1.0, b.cwiseAbs().maxCoeff());
  return (a - b).cwiseAbs().maxCoeff() / scale;
}

}  // namespace teamsrl::rl::testing
