#include "rl/value_function.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace teamsrl::rl {
namespace {

TEST(ValueFunction, LossGradientMatchesFiniteDifferences) {
  Rng rng(81);
  ValueFunction value(4, {6, 5}, 3);
  value.SetParameters(value.Parameters() + testing::RandomVector(rng, value.NumParameters(), 0.2));
  const Eigen::MatrixXd obs = testing::RandomMatrix(rng, 7, 4);
  const Eigen::VectorXd targets = testing::RandomVector(rng, 7);
  Eigen::VectorXd analytic;
  value.Loss(obs, targets, 1e-3, &analytic);
  ValueFunction probe = value;
  const Eigen::VectorXd numeric = testing::NumericalGradient(
      [&](const Eigen::VectorXd& p) {
        probe.SetParameters(p);
        return probe.Loss(obs, targets, 1e-3, nullptr);
      },
      value.Parameters());
  EXPECT_LT(testing::RelativeError(analytic, numeric), 1e-7);
}

TEST(ValueFunction, InitialisationScalesTheHead) {
  ValueFunction value(6, {64, 64}, 543);
  const Eigen::VectorXd& p = value.Parameters();
  EXPECT_EQ(p[p.size() - 1], 0.0);  // output bias
  EXPECT_LE(p.segment(p.size() - 65, 64).cwiseAbs().maxCoeff(), 0.1 / 8.0);
  EXPECT_EQ(ValueFunction(6, {64, 64}, 543).Parameters(), p);  // deterministic
}

TEST(ValueFunction, LbfgsFitReducesTheErrorOnReturns) {
  Rng rng(82);
  ValueFunction value(6, {64, 64}, 1);
  const Eigen::MatrixXd obs = testing::RandomMatrix(rng, 48, 6);
  const Eigen::VectorXd targets = obs.col(0) * 2.0 + obs.col(1).cwiseAbs();
  const ValueFitStats stats = value.FitLbfgs(obs, targets, 1e-3, 25);
  EXPECT_LT(stats.mse_after, 0.2 * stats.mse_before);
  EXPECT_LE(stats.iterations, 25);
  EXPECT_GE(stats.evaluations, stats.iterations);
}

TEST(ValueFunction, AdamFitReducesTheError) {
  Rng rng(83);
  ValueFunction value(3, {16}, 2);
  Adam adam(value.NumParameters(), AdamOptions{.learning_rate = 1e-2});
  const Eigen::MatrixXd obs = testing::RandomMatrix(rng, 32, 3);
  const Eigen::VectorXd targets = Eigen::VectorXd::Constant(32, 3.0);
  const ValueFitStats stats = value.FitAdam(obs, targets, 200, &adam);
  EXPECT_LT(stats.mse_after, 0.1 * stats.mse_before);
}

}  // namespace
}  // namespace teamsrl::rl
