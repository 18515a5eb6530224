#include "rl/learner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "rl/gae.h"
#include "rl/trpo.h"
#include "rl/value_function.h"
#include "test_util.h"

namespace teamsrl::rl {
namespace {

constexpr int kObsDim = 6;
constexpr int kActions = 6;
constexpr int kGoodAction = 2;

// A one-state bandit: the observation is always 0 (what a running mean/std filter makes
// of a constant), action 2 pays 1 and the others 0; episodes of `steps` pulls.
Batch CollectBandit(const Policy& policy, Rng& rng, int episodes, int steps) {
  const int n = episodes * steps;
  Batch batch;
  batch.obs = Eigen::MatrixXd::Zero(n, kObsDim);
  batch.rewards.resize(n);
  batch.masks.resize(n);
  batch.logp_old.resize(n);
  const Eigen::VectorXd obs = Eigen::VectorXd::Zero(kObsDim);
  for (int i = 0; i < n; ++i) {
    const ActionSample s = policy.Act(obs, rng);
    batch.actions.push_back(s.action);
    batch.rewards[i] = s.action == kGoodAction ? 1.0 : 0.0;
    batch.masks[i] = (i % steps == steps - 1) ? 0.0 : 1.0;
    batch.logp_old[i] = s.log_prob;
  }
  return batch;
}

double GoodActionProbability(const Policy& policy) {
  const Eigen::VectorXd obs = Eigen::VectorXd::Zero(kObsDim);
  if (policy.Type() == "categorical") {
    return std::exp(policy.LogProb(obs.transpose(), {kGoodAction})[0]);
  }
  Rng rng(999);  // Monte Carlo over the argmax of the Gaussian
  const int n = 20000;
  int hits = 0;
  for (int i = 0; i < n; ++i) hits += policy.Act(obs, rng).action == kGoodAction;
  return static_cast<double>(hits) / n;
}

struct TrainResult {
  Eigen::VectorXd policy_params;
  Eigen::VectorXd value_params;
  double p_before = 0.0;
  double p_after = 0.0;
  double max_accepted_kl = 0.0;
  int accepted = 0;
};

TrainResult TrainBandit(const std::string& policy_type, const AlgoConfig& algo, int iterations,
                        bool measure = true) {
  PolicyConfig pc;
  pc.type = *EnumFromName<PolicyType>(policy_type);
  auto policy = MakePolicy(pc, kObsDim, kActions, 543);
  auto learner = MakeLearner(algo, pc, kObsDim, 543);
  Rng rng = Rng::ForStream(543, StreamKind::kActor, 0);
  TrainResult out;
  if (measure) out.p_before = GoodActionProbability(*policy);
  for (int it = 0; it < iterations; ++it) {
    const Batch batch = CollectBandit(*policy, rng, 8, 6);
    const UpdateStats stats = learner->Update(*policy, batch);
    EXPECT_TRUE(std::isfinite(stats.kl) && std::isfinite(stats.policy_loss) &&
                std::isfinite(stats.value_loss) && std::isfinite(stats.entropy));
    if (stats.accepted) {
      ++out.accepted;
      out.max_accepted_kl = std::max(out.max_accepted_kl, stats.kl);
    } else {
      EXPECT_EQ(stats.kl, 0.0);
    }
  }
  if (measure) out.p_after = GoodActionProbability(*policy);
  out.policy_params = policy->Parameters();
  out.value_params = learner->ValueParameters();
  return out;
}

class LearnerBanditTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(LearnerBanditTest, LearnsTheGoodArm) {
  const auto& [algo_type, policy_type] = GetParam();
  AlgoConfig algo;
  algo.type = *EnumFromName<AlgoType>(algo_type);
  // One Adam step per update: 50 steps of the default 3e-4 barely move it.
  if (algo_type == "reinforce") algo.learning_rate = 3e-3;
  const TrainResult r = TrainBandit(policy_type, algo, 50);
  EXPECT_GT(r.p_after, r.p_before + 0.2) << "before " << r.p_before << " after " << r.p_after;
  if (algo_type == "trpo") {
    EXPECT_GT(r.accepted, 25);
    EXPECT_LE(r.max_accepted_kl, 1.5 * algo.max_kl);
    EXPECT_GT(r.max_accepted_kl, 0.1 * algo.max_kl);
  }
}

TEST_P(LearnerBanditTest, IsBitwiseDeterministic) {
  const auto& [algo_type, policy_type] = GetParam();
  AlgoConfig algo;
  algo.type = *EnumFromName<AlgoType>(algo_type);
  const TrainResult a = TrainBandit(policy_type, algo, 5, false);
  const TrainResult b = TrainBandit(policy_type, algo, 5, false);
  EXPECT_TRUE(a.policy_params == b.policy_params);
  EXPECT_TRUE(a.value_params == b.value_params);
}

INSTANTIATE_TEST_SUITE_P(All, LearnerBanditTest,
                         ::testing::Combine(::testing::Values("trpo", "ppo", "reinforce"),
                                            ::testing::Values("gaussian_argmax", "categorical")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

TEST(Learner, UniformPolicyIsLeftAloneByEveryAlgorithm) {
  for (const std::string type : {"trpo", "ppo", "reinforce"}) {
    AlgoConfig algo;
    algo.type = *EnumFromName<AlgoType>(type);
    PolicyConfig pc;
    pc.type = PolicyType::kUniform;
    auto policy = MakePolicy(pc, kObsDim, kActions, 1);
    auto learner = MakeLearner(algo, pc, kObsDim, 1);
    const Eigen::VectorXd value_before = learner->ValueParameters();
    Rng rng(3);
    const UpdateStats stats = learner->Update(*policy, CollectBandit(*policy, rng, 2, 6));
    EXPECT_EQ(stats.policy_loss, 0.0);
    EXPECT_EQ(stats.value_loss, 0.0);
    EXPECT_EQ(stats.kl, 0.0);
    EXPECT_EQ(stats.entropy, 0.0);
    EXPECT_EQ(stats.step_size, 0.0);
    EXPECT_FALSE(stats.accepted);
    EXPECT_TRUE(learner->ValueParameters() == value_before);
    EXPECT_EQ(policy->NumParameters(), 0);
  }
}

// The TRPO step against an independent dense computation: gradient and Fisher matrix by
// finite differences, an exact solve (CG run to convergence), then lm, the full step and
// the accepted fraction.
TEST(Trpo, StepMatchesADenseNaturalGradientComputation) {
  PolicyConfig pc;
  pc.type = PolicyType::kCategorical;
  pc.hidden = {4};
  const int obs_dim = 3, actions = 3;
  auto policy = MakePolicy(pc, obs_dim, actions, 7);
  AlgoConfig algo;
  algo.cg_iters = 200;
  algo.cg_residual_tol = 1e-30;
  TrpoLearner learner(algo, pc.hidden, obs_dim, 7);

  Rng rng(91);
  Batch batch;
  const int n = 12;
  batch.obs = testing::RandomMatrix(rng, n, obs_dim);
  batch.rewards.resize(n);
  batch.masks.resize(n);
  batch.logp_old.resize(n);
  for (int i = 0; i < n; ++i) {
    const ActionSample s = policy->Act(batch.obs.row(i).transpose(), rng);
    batch.actions.push_back(s.action);
    batch.rewards[i] = s.action == 1 ? 1.0 : 0.2 * rng.Uniform();
    batch.masks[i] = (i % 4 == 3) ? 0.0 : 1.0;
    batch.logp_old[i] = s.log_prob;
  }

  // Advantages from the value net as it is before the update (same seed, same init).
  ValueFunction value(obs_dim, pc.hidden, 7);
  const Eigen::VectorXd adv = NormalizeAdvantages(
      ComputeGae(batch.rewards, value.Predict(batch.obs), batch.masks, algo.gamma, algo.lambda)
          .advantages);

  const Eigen::VectorXd theta = policy->Parameters();
  const int p = policy->NumParameters();
  auto probe = policy->Clone();
  auto surrogate = [&](const Eigen::VectorXd& x) {
    probe->SetParameters(x);
    const Eigen::VectorXd ratio =
        (probe->LogProb(batch.obs, batch.actions) - batch.logp_old).array().exp().matrix();
    return -ratio.dot(adv) / n;
  };
  const Eigen::VectorXd g = testing::NumericalGradient(surrogate, theta);
  auto frozen = policy->Clone();
  Eigen::MatrixXd fisher(p, p);
  const double h = 1e-5;
  for (int j = 0; j < p; ++j) {
    Eigen::VectorXd e = Eigen::VectorXd::Zero(p);
    e[j] = h;
    probe->SetParameters(theta + e);
    const Eigen::VectorXd gp = probe->MeanKlGradient(*frozen, batch.obs);
    probe->SetParameters(theta - e);
    const Eigen::VectorXd gm = probe->MeanKlGradient(*frozen, batch.obs);
    fisher.col(j) = (gp - gm) / (2 * h);
  }
  const Eigen::MatrixXd damped = fisher + algo.damping * Eigen::MatrixXd::Identity(p, p);
  const Eigen::VectorXd stepdir = damped.ldlt().solve(-g);
  const double shs = 0.5 * stepdir.dot(damped * stepdir);
  const Eigen::VectorXd fullstep = stepdir / std::sqrt(shs / algo.max_kl);

  const UpdateStats stats = learner.Update(*policy, batch);
  ASSERT_TRUE(stats.accepted);
  const Eigen::VectorXd expected = theta + stats.step_size * fullstep;
  EXPECT_LT(testing::RelativeError(policy->Parameters(), expected), 1e-6);
  // Backtracking fractions are powers of two.
  EXPECT_EQ(stats.step_size, std::pow(0.5, stats.line_search_steps - 1));
  EXPECT_LT(stats.policy_loss, surrogate(theta));
  EXPECT_NEAR(stats.kl, policy->MeanKl(*frozen, batch.obs), 0.0);
}

TEST(TrpoDeathTest, RejectsMismatchedBatches) {
  PolicyConfig pc;
  auto policy = MakePolicy(pc, kObsDim, kActions, 1);
  auto learner = MakeLearner(AlgoConfig{}, pc, kObsDim, 1);
  Rng rng(1);
  Batch batch = CollectBandit(*policy, rng, 1, 6);
  batch.masks.resize(5);
  EXPECT_DEATH(learner->Update(*policy, batch), "disagree");
}

}  // namespace
}  // namespace teamsrl::rl
