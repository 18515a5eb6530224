#include "rl/mlp.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace teamsrl::rl {
namespace {

using testing::NumericalGradient;
using testing::RandomMatrix;
using testing::RandomVector;
using testing::RelativeError;

class MlpTest : public ::testing::TestWithParam<Activation> {};

TEST_P(MlpTest, BackwardMatchesFiniteDifferences) {
  Rng rng(1);
  Mlp mlp({5, 7, 6, 3}, GetParam());
  mlp.Initialize(rng, 0.5, 0.5);
  const Eigen::MatrixXd x = RandomMatrix(rng, 9, 5);
  const Eigen::MatrixXd grad_out = RandomMatrix(rng, 9, 3);
  Mlp::Cache cache;
  mlp.Forward(x, &cache);
  const Eigen::VectorXd analytic = mlp.Backward(cache, grad_out);
  Mlp probe = mlp;
  const Eigen::VectorXd numeric = NumericalGradient(
      [&](const Eigen::VectorXd& p) {
        probe.SetParameters(p);
        return (probe.Forward(x).array() * grad_out.array()).sum();
      },
      mlp.Parameters());
  EXPECT_LT(RelativeError(analytic, numeric), 1e-7);
}

TEST_P(MlpTest, JvpMatchesFiniteDifferences) {
  Rng rng(2);
  Mlp mlp({4, 8, 8, 5}, GetParam());
  mlp.Initialize(rng);
  const Eigen::MatrixXd x = RandomMatrix(rng, 6, 4);
  const Eigen::VectorXd v = RandomVector(rng, mlp.NumParameters());
  Mlp::Cache cache;
  mlp.Forward(x, &cache);
  const Eigen::MatrixXd analytic = mlp.Jvp(cache, v);
  const double h = 1e-6;
  Mlp plus = mlp;
  Mlp minus = mlp;
  plus.SetParameters(mlp.Parameters() + h * v);
  minus.SetParameters(mlp.Parameters() - h * v);
  const Eigen::MatrixXd numeric = (plus.Forward(x) - minus.Forward(x)) / (2 * h);
  EXPECT_LT((analytic - numeric).cwiseAbs().maxCoeff(), 1e-7);
}

TEST_P(MlpTest, JvpIsTheTransposeOfBackward) {
  Rng rng(3);
  Mlp mlp({3, 5, 2}, GetParam());
  mlp.Initialize(rng);
  const Eigen::MatrixXd x = RandomMatrix(rng, 4, 3);
  const Eigen::VectorXd v = RandomVector(rng, mlp.NumParameters());
  const Eigen::MatrixXd u = RandomMatrix(rng, 4, 2);
  Mlp::Cache cache;
  mlp.Forward(x, &cache);
  // <u, J v> == <J^T u, v>
  const double lhs = (u.array() * mlp.Jvp(cache, v).array()).sum();
  const double rhs = mlp.Backward(cache, u).dot(v);
  EXPECT_NEAR(lhs, rhs, 1e-12 * std::max(1.0, std::abs(lhs)));
}

INSTANTIATE_TEST_SUITE_P(Activations, MlpTest,
                         ::testing::Values(Activation::kRelu, Activation::kTanh));

TEST(Mlp, FlatLayoutIsPyTorchOrder) {
  // 2 -> 3 -> 1, relu: parameters W0 (3x2 row-major), b0 (3), W1 (1x3), b1 (1).
  Mlp mlp({2, 3, 1});
  ASSERT_EQ(mlp.NumParameters(), 6 + 3 + 3 + 1);
  Eigen::VectorXd p(13);
  p << 1, 2, 3, 4, 5, 6,  // W0 rows: [1 2], [3 4], [5 6]
      0.5, -100, 0,       // b0
      1, 10, 100,         // W1
      0.25;               // b1
  mlp.SetParameters(p);
  Eigen::MatrixXd x(1, 2);
  x << 1, -1;
  // hidden pre = [1-2+0.5, 3-4-100, 5-6+0] = [-0.5, -101, -1] -> relu 0 everywhere
  EXPECT_DOUBLE_EQ(mlp.Forward(x)(0, 0), 0.25);
  x << 2, 1;
  // hidden pre = [4.5, -90, 16] -> [4.5, 0, 16]; out = 4.5 + 1600 + 0.25
  EXPECT_DOUBLE_EQ(mlp.Forward(x)(0, 0), 1604.75);
  EXPECT_EQ(mlp.Describe(), "2-3-1 relu");
}

TEST(Mlp, InitialisationFollowsPyTorchDefaultsAndScales) {
  Rng rng(4);
  Mlp mlp({6, 64, 64, 6});
  mlp.Initialize(rng, 0.1, 0.0);
  const Eigen::VectorXd& p = mlp.Parameters();
  // Layer 0: 64*6 weights + 64 biases, bound 1/sqrt(6).
  const double b0 = 1.0 / std::sqrt(6.0);
  EXPECT_LE(p.head(64 * 6 + 64).cwiseAbs().maxCoeff(), b0);
  EXPECT_GT(p.head(64 * 6 + 64).cwiseAbs().maxCoeff(), 0.9 * b0);
  // Output layer: weights bound 0.1/8, biases exactly 0.
  const int out_off = (64 * 6 + 64) + (64 * 64 + 64);
  EXPECT_LE(p.segment(out_off, 6 * 64).cwiseAbs().maxCoeff(), 0.1 / 8.0);
  EXPECT_GT(p.segment(out_off, 6 * 64).cwiseAbs().maxCoeff(), 0.09 / 8.0);
  EXPECT_EQ(p.tail(6).cwiseAbs().maxCoeff(), 0.0);
  // Same stream, same parameters.
  Rng rng2(4);
  Mlp again({6, 64, 64, 6});
  again.Initialize(rng2, 0.1, 0.0);
  EXPECT_EQ(again.Parameters(), p);
}

TEST(Mlp, SingleRowAndBatchForwardAgree) {
  Rng rng(5);
  Mlp mlp({6, 64, 64, 6});
  mlp.Initialize(rng);
  const Eigen::MatrixXd x = RandomMatrix(rng, 20, 6);
  const Eigen::MatrixXd batch = mlp.Forward(x);
  for (int i = 0; i < 20; ++i) {
    EXPECT_LT((mlp.Forward(x.row(i)) - batch.row(i)).cwiseAbs().maxCoeff(), 1e-14);
  }
}

}  // namespace
}  // namespace teamsrl::rl
