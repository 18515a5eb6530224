// Generic checks of every parameterised policy against finite differences.
#include "rl/policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "test_util.h"

namespace teamsrl::rl {
namespace {

using testing::NumericalGradient;
using testing::RandomMatrix;
using testing::RandomVector;
using testing::RelativeError;

constexpr int kObsDim = 4;
constexpr int kActions = 5;

std::unique_ptr<Policy> Make(const std::string& type, uint64_t seed = 11) {
  PolicyConfig config;
  config.type = *EnumFromName<PolicyType>(type);
  config.hidden = {8, 7};
  return MakePolicy(config, kObsDim, kActions, seed);
}

// A policy whose outputs are far from the initial near-uniform point, so the checks
// are not trivially satisfied.
std::unique_ptr<Policy> MakePerturbed(const std::string& type, Rng& rng) {
  auto policy = Make(type);
  policy->SetParameters(policy->Parameters() + RandomVector(rng, policy->NumParameters(), 0.3));
  return policy;
}

class PolicyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PolicyTest, LogProbGradientMatchesFiniteDifferences) {
  Rng rng(21);
  auto policy = MakePerturbed(GetParam(), rng);
  const Eigen::MatrixXd obs = RandomMatrix(rng, 10, kObsDim);
  std::vector<int> actions;
  for (int i = 0; i < 10; ++i) actions.push_back(static_cast<int>(rng.UniformInt(kActions)));
  const Eigen::VectorXd weights = RandomVector(rng, 10);
  const Eigen::VectorXd analytic = policy->LogProbGradient(obs, actions, weights);
  auto probe = policy->Clone();
  const Eigen::VectorXd numeric = NumericalGradient(
      [&](const Eigen::VectorXd& p) {
        probe->SetParameters(p);
        return probe->LogProb(obs, actions).dot(weights);
      },
      policy->Parameters());
  EXPECT_LT(RelativeError(analytic, numeric), 1e-7);
}

TEST_P(PolicyTest, KlIsZeroWithZeroGradientAtIdenticalParameters) {
  Rng rng(22);
  auto policy = MakePerturbed(GetParam(), rng);
  const Eigen::MatrixXd obs = RandomMatrix(rng, 12, kObsDim);
  auto frozen = policy->Clone();
  EXPECT_EQ(policy->MeanKl(*frozen, obs), 0.0);
  EXPECT_EQ(policy->MeanKlGradient(*frozen, obs).cwiseAbs().maxCoeff(), 0.0);
}

TEST_P(PolicyTest, KlGradientMatchesFiniteDifferences) {
  Rng rng(23);
  auto policy = MakePerturbed(GetParam(), rng);
  const Eigen::MatrixXd obs = RandomMatrix(rng, 12, kObsDim);
  auto old = policy->Clone();
  policy->SetParameters(policy->Parameters() + RandomVector(rng, policy->NumParameters(), 0.1));
  const double kl = policy->MeanKl(*old, obs);
  EXPECT_GT(kl, 0.0);
  const Eigen::VectorXd analytic = policy->MeanKlGradient(*old, obs);
  auto probe = policy->Clone();
  const Eigen::VectorXd numeric = NumericalGradient(
      [&](const Eigen::VectorXd& p) {
        probe->SetParameters(p);
        return probe->MeanKl(*old, obs);
      },
      policy->Parameters());
  EXPECT_LT(RelativeError(analytic, numeric), 1e-7);
}

TEST_P(PolicyTest, FisherVectorProductMatchesFiniteDifferencesOfKlGradient) {
  Rng rng(24);
  auto policy = MakePerturbed(GetParam(), rng);
  const Eigen::MatrixXd obs = RandomMatrix(rng, 12, kObsDim);
  const Eigen::VectorXd v = RandomVector(rng, policy->NumParameters());
  const Eigen::VectorXd fv = policy->FisherVectorProduct(obs, v);
  // Hessian of KL(frozen || theta) at theta = frozen, along v: central differences of the
  // analytic KL gradient.
  auto frozen = policy->Clone();
  auto probe = policy->Clone();
  const double h = 1e-5;
  probe->SetParameters(policy->Parameters() + h * v);
  const Eigen::VectorXd gp = probe->MeanKlGradient(*frozen, obs);
  probe->SetParameters(policy->Parameters() - h * v);
  const Eigen::VectorXd gm = probe->MeanKlGradient(*frozen, obs);
  const Eigen::VectorXd numeric = (gp - gm) / (2 * h);
  EXPECT_LT(RelativeError(fv, numeric), 1e-6);
  // The Fisher is positive semi-definite and the operator is linear and symmetric.
  EXPECT_GE(v.dot(fv), 0.0);
  const Eigen::VectorXd u = RandomVector(rng, policy->NumParameters());
  const LinearOperator fisher = policy->FisherOperator(obs);
  EXPECT_NEAR(u.dot(fisher(v)), v.dot(fisher(u)), 1e-10 * std::abs(u.dot(fisher(v))) + 1e-14);
  EXPECT_LT(RelativeError(fisher(2.0 * v + u), 2.0 * fv + fisher(u)), 1e-12);
}

TEST_P(PolicyTest, EntropyGradientMatchesFiniteDifferences) {
  Rng rng(25);
  auto policy = MakePerturbed(GetParam(), rng);
  const Eigen::MatrixXd obs = RandomMatrix(rng, 9, kObsDim);
  const Eigen::VectorXd analytic = policy->MeanEntropyGradient(obs);
  auto probe = policy->Clone();
  const Eigen::VectorXd numeric = NumericalGradient(
      [&](const Eigen::VectorXd& p) {
        probe->SetParameters(p);
        return probe->MeanEntropy(obs);
      },
      policy->Parameters());
  EXPECT_LT(RelativeError(analytic, numeric), 1e-7);
}

TEST_P(PolicyTest, ActReturnsTheLogProbTheLearnerRecomputes) {
  Rng rng(26);
  auto policy = MakePerturbed(GetParam(), rng);
  Rng act_rng(27);
  for (int i = 0; i < 20; ++i) {
    const Eigen::VectorXd obs = RandomVector(rng, kObsDim);
    const ActionSample sample = policy->Act(obs, act_rng);
    ASSERT_GE(sample.action, 0);
    ASSERT_LT(sample.action, kActions);
    const double logp = policy->LogProb(obs.transpose(), {sample.action})[0];
    EXPECT_NEAR(sample.log_prob, logp, 1e-12);
  }
}

TEST_P(PolicyTest, FactoryIsDeterministicAndSeedDependent) {
  auto a = Make(GetParam(), 5);
  auto b = Make(GetParam(), 5);
  auto c = Make(GetParam(), 6);
  EXPECT_EQ(a->Parameters(), b->Parameters());
  EXPECT_NE(a->Parameters(), c->Parameters());
  EXPECT_EQ(a->Type(), GetParam());
  EXPECT_NE(a->Describe().find(GetParam()), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Types, PolicyTest, ::testing::Values("gaussian_argmax", "categorical"));

TEST(CategoricalPolicy, ProbabilitiesSumToOneAndActMatchesThem) {
  Rng rng(31);
  auto policy = MakePerturbed("categorical", rng);
  const Eigen::VectorXd obs = RandomVector(rng, kObsDim);
  Eigen::VectorXd p(kActions);
  for (int a = 0; a < kActions; ++a) p[a] = std::exp(policy->LogProb(obs.transpose(), {a})[0]);
  EXPECT_NEAR(p.sum(), 1.0, 1e-12);
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(kActions);
  const int n = 100000;
  Rng act_rng(32);
  for (int i = 0; i < n; ++i) counts[policy->Act(obs, act_rng).action] += 1.0;
  for (int a = 0; a < kActions; ++a) {
    EXPECT_NEAR(counts[a] / n, p[a], 5.0 * std::sqrt(p[a] * (1 - p[a]) / n));
  }
}

TEST(UniformPolicy, HasNoParametersAndUniformChoice) {
  auto policy = Make("uniform");
  EXPECT_EQ(policy->NumParameters(), 0);
  EXPECT_EQ(policy->Parameters().size(), 0);
  Rng rng(41);
  const Eigen::MatrixXd obs = RandomMatrix(rng, 3, kObsDim);
  EXPECT_EQ(policy->LogProb(obs, {0, 1, 4}),
            Eigen::VectorXd::Constant(3, -std::log(static_cast<double>(kActions))));
  EXPECT_EQ(policy->LogProbGradient(obs, {0, 1, 4}, Eigen::VectorXd::Ones(3)).size(), 0);
  EXPECT_EQ(policy->MeanKl(*policy->Clone(), obs), 0.0);
  EXPECT_EQ(policy->FisherVectorProduct(obs, Eigen::VectorXd()).size(), 0);
  EXPECT_DOUBLE_EQ(policy->MeanEntropy(obs), std::log(static_cast<double>(kActions)));
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(kActions);
  const int n = 50000;
  for (int i = 0; i < n; ++i) counts[policy->Act(obs.row(0).transpose(), rng).action] += 1;
  for (int a = 0; a < kActions; ++a) EXPECT_NEAR(counts[a] / n, 0.2, 0.01);
}

}  // namespace
}  // namespace teamsrl::rl
