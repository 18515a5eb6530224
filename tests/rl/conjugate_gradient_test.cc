#include "rl/conjugate_gradient.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace teamsrl::rl {
namespace {

TEST(ConjugateGradient, SolvesAnSpdSystem) {
  Rng rng(61);
  const int n = 8;
  const Eigen::MatrixXd b = testing::RandomMatrix(rng, n, n);
  const Eigen::MatrixXd a = b * b.transpose() + 0.5 * Eigen::MatrixXd::Identity(n, n);
  const Eigen::VectorXd rhs = testing::RandomVector(rng, n);
  int products = 0;
  const CgResult out = ConjugateGradient(
      [&](const Eigen::VectorXd& v) {
        ++products;
        return Eigen::VectorXd(a * v);
      },
      rhs, 50, 1e-20);
  const Eigen::VectorXd exact = a.ldlt().solve(rhs);
  EXPECT_LT((out.x - exact).norm() / exact.norm(), 1e-8);
  EXPECT_EQ(out.iterations, products);
  EXPECT_LE(out.iterations, 3 * n);  // exact arithmetic: n; allow some rounding slack
}

TEST(ConjugateGradient, StopsAtTheIterationCapAndTolerance) {
  const Eigen::VectorXd d = (Eigen::VectorXd(4) << 1, 2, 3, 4).finished();
  auto apply = [&](const Eigen::VectorXd& v) { return Eigen::VectorXd(d.cwiseProduct(v)); };
  const Eigen::VectorXd rhs = Eigen::VectorXd::Ones(4);
  EXPECT_EQ(ConjugateGradient(apply, rhs, 2, 1e-10).iterations, 2);
  const CgResult full = ConjugateGradient(apply, rhs, 10, 1e-10);
  EXPECT_LE(full.iterations, 5);
  EXPECT_LT(full.residual_sq, 1e-10);
  EXPECT_LT((full.x - d.cwiseInverse()).cwiseAbs().maxCoeff(), 1e-6);
  // A zero right-hand side gives x = 0 without dividing by zero.
  const CgResult zero = ConjugateGradient(apply, Eigen::VectorXd::Zero(4), 10, 1e-10);
  EXPECT_EQ(zero.x, Eigen::VectorXd::Zero(4));
}

}  // namespace
}  // namespace teamsrl::rl
