#include "rl/gaussian_argmax_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "test_util.h"

namespace teamsrl::rl {
namespace {

// P(Z0 + bias > max_{j>0} Zj) for iid standard normals, n actions: the integral of
// phi(x) Phi(x + bias)^(n-1), by Simpson's rule on [-12, 12].
double BreadthProbability(double bias, int n) {
  auto integrand = [&](double x) {
    const double phi = std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
    const double cdf = 0.5 * std::erfc(-(x + bias) / std::sqrt(2.0));
    return phi * std::pow(cdf, n - 1);
  };
  const int steps = 4000;
  const double a = -12.0;
  const double h = 24.0 / steps;
  double sum = integrand(a) + integrand(a + steps * h);
  for (int i = 1; i < steps; ++i) sum += (i % 2 ? 4.0 : 2.0) * integrand(a + i * h);
  return sum * h / 3.0;
}

TEST(GaussianArgmaxPolicy, BreadthIsFavouredAsTheAnalyticExpectation) {
  GaussianArgmaxPolicy policy(6, 6, {64, 64}, /*breadth_bias=*/0.3, /*init_log_std=*/0.0);
  // All MLP parameters zero: means 0, std 1.
  ASSERT_EQ(policy.Parameters().cwiseAbs().maxCoeff(), 0.0);
  Rng rng(51);
  const Eigen::VectorXd obs = Eigen::VectorXd::Zero(6);
  const int n = 200000;
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(6);
  const double expected_logp = -0.5 - 6 * 0.5 * std::log(2.0 * std::numbers::pi);
  for (int i = 0; i < n; ++i) {
    const ActionSample s = policy.Act(obs, rng);
    counts[s.action] += 1;
    // Density of a one-hot under N(0, I): -(1/2) - 6 log sqrt(2 pi), whichever action.
    ASSERT_NEAR(s.log_prob, expected_logp, 1e-12);
  }
  const double p0 = BreadthProbability(0.3, 6);
  EXPECT_GT(p0, 1.0 / 6.0 + 0.05);  // ~0.25: clearly favoured
  EXPECT_NEAR(counts[0] / n, p0, 4.0 * std::sqrt(p0 * (1 - p0) / n));
  const double rest = (1.0 - p0) / 5.0;  // the others are exchangeable
  for (int a = 1; a < 6; ++a) EXPECT_NEAR(counts[a] / n, rest, 4.0 * std::sqrt(rest / n));
  // Without the bias the choice is uniform.
  EXPECT_NEAR(BreadthProbability(0.0, 6), 1.0 / 6.0, 1e-9);
}

TEST(GaussianArgmaxPolicy, LogProbIsTheGaussianDensityOfTheOneHot) {
  GaussianArgmaxPolicy policy(3, 4, {5}, 0.3, 0.0);
  Rng rng(52);
  policy.Initialize(rng);
  Eigen::VectorXd params = policy.Parameters();
  params.tail(4) << 0.1, -0.2, 0.3, 0.0;  // log_std
  policy.SetParameters(params);
  Eigen::MatrixXd obs = testing::RandomMatrix(rng, 2, 3);
  const Eigen::MatrixXd mean = policy.Mean(obs);
  const Eigen::VectorXd logp = policy.LogProb(obs, {2, 0});
  for (int i = 0; i < 2; ++i) {
    const int a = i == 0 ? 2 : 0;
    double expected = 0.0;
    for (int j = 0; j < 4; ++j) {
      const double s = std::exp(policy.log_std()[j]);
      const double x = (j == a) ? 1.0 : 0.0;
      expected +=
          -0.5 * std::pow((x - mean(i, j)) / s, 2) - std::log(s * std::sqrt(2 * std::numbers::pi));
    }
    EXPECT_NEAR(logp[i], expected, 1e-12);
  }
}

TEST(GaussianArgmaxPolicy, InitialisationMatchesTheReleasedCode) {
  PolicyConfig config;  // gaussian_argmax, 64-64, log_std 0
  auto policy = MakePolicy(config, 6, 6, 543);
  ASSERT_EQ(policy->NumParameters(), (6 * 64 + 64) + (64 * 64 + 64) + (64 * 6 + 6) + 6);
  const Eigen::VectorXd p = policy->Parameters();
  EXPECT_EQ(p.tail(6), Eigen::VectorXd::Zero(6));                    // log_std
  EXPECT_EQ(p.segment(p.size() - 12, 6), Eigen::VectorXd::Zero(6));  // output bias
  EXPECT_LE(p.segment(p.size() - 12 - 384, 384).cwiseAbs().maxCoeff(), 0.1 / 8.0);
  EXPECT_NE(policy->Describe().find("6-64-64-6 relu"), std::string::npos);
}

TEST(GaussianArgmaxPolicy, GreedyActionAddsTheBias) {
  GaussianArgmaxPolicy policy(2, 3, {4}, 0.3, 0.0);
  Eigen::VectorXd p = policy.Parameters();
  // Output bias: means (0, 0.2, 0.1) with zero weights -> breadth wins with the bias.
  const int out_bias = 2 * 4 + 4 + 4 * 3;
  p.segment(out_bias, 3) << 0.0, 0.2, 0.1;
  policy.SetParameters(p);
  EXPECT_EQ(policy.GreedyAction(Eigen::Vector2d(1, 2)), 0);
  p.segment(out_bias, 3) << 0.0, 0.4, 0.1;
  policy.SetParameters(p);
  EXPECT_EQ(policy.GreedyAction(Eigen::Vector2d(1, 2)), 1);
}

TEST(GaussianArgmaxPolicy, TheBiasGoesToBreadthWhereverItIs) {
  // An action set with breadth third (index 2), and one without breadth: the bias follows
  // the action, not index 0 (an ablation dropping breadth must not favour its successor).
  GaussianArgmaxPolicy third(2, 3, {4}, 0.3, 0.0, /*breadth_index=*/2);
  EXPECT_EQ(third.ActBias(), Eigen::Vector3d(0, 0, 0.3));
  GaussianArgmaxPolicy none(2, 3, {4}, 0.3, 0.0, /*breadth_index=*/-1);
  EXPECT_EQ(none.ActBias(), Eigen::Vector3d::Zero());
  // Equal means: with the bias on index 2 it is chosen greedily, without bias index 0
  // (first index wins ties).
  EXPECT_EQ(third.GreedyAction(Eigen::Vector2d(1, 2)), 2);
  EXPECT_EQ(none.GreedyAction(Eigen::Vector2d(1, 2)), 0);
  PolicyConfig config;
  auto made = MakePolicy(config, 2, 3, 5, /*breadth_index=*/1);
  EXPECT_EQ(made->ActBias(), Eigen::Vector3d(0, 0.3, 0));
}

}  // namespace
}  // namespace teamsrl::rl
