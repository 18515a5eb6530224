#include "rl/lbfgs.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace teamsrl::rl {
namespace {

TEST(Lbfgs, MinimisesAQuadratic) {
  Rng rng(71);
  const int n = 20;
  const Eigen::MatrixXd b = testing::RandomMatrix(rng, n, n);
  const Eigen::MatrixXd a = b * b.transpose() / n + 0.1 * Eigen::MatrixXd::Identity(n, n);
  const Eigen::VectorXd c = testing::RandomVector(rng, n);
  const Objective f = [&](const Eigen::VectorXd& x, Eigen::VectorXd* g) {
    *g = a * x - c;
    return 0.5 * x.dot(a * x) - c.dot(x);
  };
  LbfgsOptions options;
  options.max_iterations = 200;
  // Near |g| = 1e-7 the objective's rounding (~1e-16 |f|) hides the remaining decrease,
  // and where the line search gives up there depends on the build's rounding (FMA or
  // not, TEAMSRL_SIMD): an x86-64-v3 build stopped at 1.01e-7. 1e-6 bounds the error in x
  // by 1e-5 (|g| / 0.1, the smallest eigenvalue's bound).
  options.gradient_tol = 1e-6;
  options.relative_decrease_tol = 0.0;
  const LbfgsResult out = MinimizeLbfgs(f, Eigen::VectorXd::Zero(n), options);
  const Eigen::VectorXd exact = a.ldlt().solve(c);
  EXPECT_EQ(out.stop, LbfgsStop::kGradientTol)
      << LbfgsStopName(out.stop) << " after " << out.iterations << " iterations, |g| "
      << out.grad.lpNorm<Eigen::Infinity>();
  EXPECT_LT((out.x - exact).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT(out.iterations, 60);
}

TEST(Lbfgs, MinimisesRosenbrock) {
  const Objective f = [](const Eigen::VectorXd& x, Eigen::VectorXd* g) {
    const double a = 1.0 - x[0];
    const double b = x[1] - x[0] * x[0];
    (*g)[0] = -2.0 * a - 400.0 * x[0] * b;
    (*g)[1] = 200.0 * b;
    return a * a + 100.0 * b * b;
  };
  LbfgsOptions options;
  options.max_iterations = 200;
  options.gradient_tol = 1e-8;
  options.relative_decrease_tol = 0.0;
  const LbfgsResult out = MinimizeLbfgs(f, Eigen::Vector2d(-1.2, 1.0), options);
  EXPECT_LT((out.x - Eigen::Vector2d(1.0, 1.0)).norm(), 1e-6) << LbfgsStopName(out.stop);
  EXPECT_LT(out.iterations, 100);
}

TEST(Lbfgs, RespectsTheIterationCapAndDecreasesMonotonically) {
  const Objective f = [](const Eigen::VectorXd& x, Eigen::VectorXd* g) {
    const double a = 1.0 - x[0];
    const double b = x[1] - x[0] * x[0];
    (*g)[0] = -2.0 * a - 400.0 * x[0] * b;
    (*g)[1] = 200.0 * b;
    return a * a + 100.0 * b * b;
  };
  double previous = 1e300;
  for (int iters = 1; iters <= 25; ++iters) {
    LbfgsOptions options;
    options.max_iterations = iters;
    const LbfgsResult out = MinimizeLbfgs(f, Eigen::Vector2d(-1.2, 1.0), options);
    EXPECT_LE(out.iterations, iters);
    EXPECT_LE(out.f, previous);
    previous = out.f;
  }
  EXPECT_LT(previous, 24.2);  // f(-1.2, 1) = 24.2
}

TEST(Lbfgs, StopsImmediatelyAtAStationaryPoint) {
  const Objective f = [](const Eigen::VectorXd& x, Eigen::VectorXd* g) {
    *g = 2.0 * x;
    return x.squaredNorm();
  };
  const LbfgsResult out = MinimizeLbfgs(f, Eigen::VectorXd::Zero(3));
  EXPECT_EQ(out.stop, LbfgsStop::kGradientTol);
  EXPECT_EQ(out.iterations, 0);
  EXPECT_EQ(out.evaluations, 1);
}

}  // namespace
}  // namespace teamsrl::rl
