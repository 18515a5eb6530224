#include "rl/running_mean_std.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace teamsrl::rl {
namespace {

TEST(RunningMeanStd, MatchesDirectComputation) {
  Rng rng(7);
  const Eigen::MatrixXd data = testing::RandomMatrix(rng, 50, 3, 2.0).array() + 1.5;
  RunningMeanStd rms(3, 5.0);
  rms.PushRows(data);
  const Eigen::RowVectorXd mean = data.colwise().mean();
  const Eigen::RowVectorXd var = (data.rowwise() - mean).array().square().colwise().sum() / 49.0;
  EXPECT_EQ(rms.count(), 50);
  EXPECT_LT((rms.mean() - mean.transpose()).cwiseAbs().maxCoeff(), 1e-13);
  EXPECT_LT((rms.Variance() - var.transpose()).cwiseAbs().maxCoeff(), 1e-12);
  const Eigen::VectorXd x = data.row(3).transpose();
  const Eigen::VectorXd expected =
      ((x - mean.transpose()).array() / (var.transpose().array().sqrt() + 1e-8)).matrix();
  EXPECT_LT((rms.Normalize(x) - expected).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(RunningMeanStd, FollowsZFilterConventions) {
  RunningMeanStd rms(2, 5.0);
  // n == 0: mean 0, std 0.
  Eigen::Vector2d x(3.0, 0.0);
  EXPECT_EQ(rms.Std(), Eigen::Vector2d::Zero());
  // ZFilter pushes first; with one sample var = mean^2, so (x - mean) = 0.
  Eigen::VectorXd y = rms.Filter(x);
  EXPECT_EQ(rms.Std(), Eigen::Vector2d(3.0, 0.0));
  EXPECT_EQ(y, Eigen::Vector2d::Zero());
  // Clipping at +-clip.
  rms.Push(Eigen::Vector2d(3.0, 0.0));
  rms.Push(Eigen::Vector2d(3.0 + 1e-6, 0.0));
  y = rms.Normalize(Eigen::Vector2d(100.0, -1.0));
  EXPECT_EQ(y[0], 5.0);
  EXPECT_EQ(y[1], -5.0);  // std 0: (-1 - 0) / 1e-8, clipped
}

TEST(RunningMeanStd, BatchPushEqualsSequentialPushBitwise) {
  Rng rng(8);
  const Eigen::MatrixXd data = testing::RandomMatrix(rng, 17, 4);
  RunningMeanStd a(4, 5.0);
  RunningMeanStd b(4, 5.0);
  a.PushRows(data);
  for (int i = 0; i < 17; ++i) b.Push(data.row(i).transpose());
  EXPECT_EQ(a.State(), b.State());
}

TEST(RunningMeanStd, StateRoundTrip) {
  Rng rng(9);
  RunningMeanStd a(3, 5.0);
  a.PushRows(testing::RandomMatrix(rng, 11, 3));
  const std::vector<double> state = a.State();
  ASSERT_EQ(state.size(), 7u);
  RunningMeanStd b(3, 5.0);
  ASSERT_TRUE(b.SetState(state).ok());
  EXPECT_EQ(b.State(), state);
  const Eigen::VectorXd x = testing::RandomVector(rng, 3);
  EXPECT_EQ(a.Normalize(x), b.Normalize(x));
  a.Push(x);
  b.Push(x);
  EXPECT_EQ(a.State(), b.State());

  EXPECT_FALSE(b.SetState({1.0, 2.0}).ok());
  EXPECT_FALSE(b.SetState({-1.0, 0, 0, 0, 0, 0, 0}).ok());
  EXPECT_FALSE(b.SetState({1.5, 0, 0, 0, 0, 0, 0}).ok());
}

TEST(RunningMeanStd, MergeEqualsPushingBothInOrder) {
  Rng rng(11);
  const Eigen::MatrixXd first = testing::RandomMatrix(rng, 9, 3, 2.0).array() + 0.5;
  const Eigen::MatrixXd second = testing::RandomMatrix(rng, 14, 3, 1.0).array() - 1.0;
  RunningMeanStd a(3, 5.0), b(3, 5.0), both(3, 5.0);
  a.PushRows(first);
  b.PushRows(second);
  both.PushRows(first);
  both.PushRows(second);
  a.Merge(b);
  EXPECT_EQ(a.count(), 23);
  EXPECT_LT((a.mean() - both.mean()).cwiseAbs().maxCoeff(), 1e-13);
  EXPECT_LT((a.Variance() - both.Variance()).cwiseAbs().maxCoeff(), 1e-12);
  // Into an empty filter, and of an empty one: exact.
  RunningMeanStd empty(3, 5.0);
  empty.Merge(b);
  EXPECT_EQ(empty.State(), b.State());
  const std::vector<double> before = b.State();
  b.Merge(RunningMeanStd(3, 5.0));
  EXPECT_EQ(b.State(), before);
}

}  // namespace
}  // namespace teamsrl::rl
