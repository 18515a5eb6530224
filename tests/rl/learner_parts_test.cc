// The distributed learner's arithmetic (issue 15 item 3): an update from a batch held in
// parts, one per actor, with exact totals (what every rank count gives in
// `dist.aggregate: gradients`) against the update from the whole batch in one part (the
// trajectory learner). The mathematics is the same; only the summation differs, so they
// agree to a tight relative tolerance, over several updates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/rng.h"
#include "rl/batch.h"
#include "rl/learner.h"

namespace teamsrl::rl {
namespace {

constexpr int kPartsObsDim = 6;
constexpr int kPartsActions = 6;

// Eight actors, two episodes of six steps each, from varied observations; rewards depend
// on the action and the observation so advantages, ratios and the value fit all matter.
std::vector<Batch> CollectParts(const Policy& policy, Rng& rng, int actors) {
  std::vector<Batch> parts;
  for (int a = 0; a < actors; ++a) {
    const int n = 12;
    Batch b;
    b.obs.resize(n, kPartsObsDim);
    b.rewards.resize(n);
    b.masks.resize(n);
    b.logp_old.resize(n);
    for (int i = 0; i < n; ++i) {
      Eigen::VectorXd obs(kPartsObsDim);
      for (int k = 0; k < kPartsObsDim; ++k) obs[k] = rng.Uniform() * 2.0 - 1.0;
      const ActionSample s = policy.Act(obs, rng);
      b.obs.row(i) = obs.transpose();
      b.actions.push_back(s.action);
      b.rewards[i] = (s.action == 2 ? 1.0 : 0.0) + 0.1 * obs[0];
      b.masks[i] = i % 6 == 5 ? 0.0 : 1.0;
      b.logp_old[i] = s.log_prob;
    }
    parts.push_back(std::move(b));
  }
  return parts;
}

Batch Concatenate(const std::vector<Batch>& parts) {
  Eigen::Index n = 0;
  for (const Batch& p : parts) n += p.obs.rows();
  Batch all;
  all.obs.resize(n, kPartsObsDim);
  all.rewards.resize(n);
  all.masks.resize(n);
  all.logp_old.resize(n);
  Eigen::Index row = 0;
  for (const Batch& p : parts) {
    const Eigen::Index k = p.obs.rows();
    all.obs.middleRows(row, k) = p.obs;
    all.rewards.segment(row, k) = p.rewards;
    all.masks.segment(row, k) = p.masks;
    all.logp_old.segment(row, k) = p.logp_old;
    all.actions.insert(all.actions.end(), p.actions.begin(), p.actions.end());
    row += k;
  }
  return all;
}

double RelativeDifference(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

double RelativeDifference(double a, double b) {
  return std::fabs(a - b) / std::max(std::fabs(b), 1e-12);
}

struct Case {
  std::string policy;
  AlgoType algo;
};

class LearnerPartsTest : public ::testing::TestWithParam<Case> {};

PolicyConfig CasePolicy(const Case& c) {
  PolicyConfig pc;
  pc.type = *EnumFromName<PolicyType>(c.policy);
  return pc;
}

// An entropy bonus for the Adam learners, so their entropy gradient is covered too.
AlgoConfig CaseAlgo(const Case& c) {
  AlgoConfig ac;
  ac.type = c.algo;
  ac.entropy_coef = ac.type == AlgoType::kTrpo ? 0.0 : 0.01;
  return ac;
}

TEST_P(LearnerPartsTest, ExactPartsAgreeWithTheWholeBatch) {
  const PolicyConfig pc = CasePolicy(GetParam());
  const AlgoConfig ac = CaseAlgo(GetParam());
  auto whole_policy = MakePolicy(pc, kPartsObsDim, kPartsActions, 543);
  auto parts_policy = MakePolicy(pc, kPartsObsDim, kPartsActions, 543);
  auto whole = MakeLearner(ac, pc, kPartsObsDim, 543);
  auto split = MakeLearner(ac, pc, kPartsObsDim, 543);
  Rng rng(20261203);
  int accepted = 0;
  double worst_policy = 0.0, worst_value = 0.0;
  for (int update = 0; update < 4; ++update) {
    // Both act from the whole-batch policy, so each update starts from the same batch.
    const std::vector<Batch> parts = CollectParts(*whole_policy, rng, 8);
    parts_policy->SetParameters(whole_policy->Parameters());
    split->SetValueParameters(whole->ValueParameters());
    const UpdateStats a = whole->Update(*whole_policy, Concatenate(parts));
    const UpdateStats b = split->UpdateParts(*parts_policy, parts, ExactLocalSum());
    SCOPED_TRACE("update " + std::to_string(update));
    ASSERT_EQ(a.accepted, b.accepted);
    ASSERT_EQ(a.line_search_steps, b.line_search_steps);
    accepted += a.accepted ? 1 : 0;
    worst_policy = std::max(
        worst_policy, RelativeDifference(parts_policy->Parameters(), whole_policy->Parameters()));
    worst_value = std::max(worst_value,
                           RelativeDifference(split->ValueParameters(), whole->ValueParameters()));
    EXPECT_LT(RelativeDifference(parts_policy->Parameters(), whole_policy->Parameters()), 1e-10);
    EXPECT_LT(RelativeDifference(split->ValueParameters(), whole->ValueParameters()), 1e-8);
    EXPECT_LT(RelativeDifference(b.policy_loss, a.policy_loss), 1e-9);
    EXPECT_LT(RelativeDifference(b.value_loss, a.value_loss), 1e-8);
    EXPECT_LT(RelativeDifference(b.kl, a.kl), 1e-7);
    EXPECT_LT(RelativeDifference(b.entropy, a.entropy), 1e-12);
  }
  EXPECT_GT(accepted, 0);  // the comparison covers real steps, not only rejected ones
  std::fprintf(stderr, "largest relative difference: policy %.3g, value net %.3g\n", worst_policy,
               worst_value);
}

INSTANTIATE_TEST_SUITE_P(Learners, LearnerPartsTest,
                         ::testing::Values(Case{"gaussian_argmax", AlgoType::kTrpo},
                                           Case{"categorical", AlgoType::kTrpo},
                                           Case{"categorical", AlgoType::kPpo},
                                           Case{"gaussian_argmax", AlgoType::kReinforce}),
                         [](const auto& info) {
                           return info.param.policy + "_" + std::string(EnumName(info.param.algo));
                         });

// Parts summed in order and parts summed exactly differ only in rounding; one part summed
// in order is the trajectory learner itself, bit for bit.
TEST(LearnerPartsTest, OnePartInOrderIsTheWholeBatchUpdate) {
  PolicyConfig pc;
  AlgoConfig ac;
  auto p1 = MakePolicy(pc, kPartsObsDim, kPartsActions, 7);
  auto p2 = MakePolicy(pc, kPartsObsDim, kPartsActions, 7);
  auto l1 = MakeLearner(ac, pc, kPartsObsDim, 7);
  auto l2 = MakeLearner(ac, pc, kPartsObsDim, 7);
  Rng rng(3);
  const Batch all = Concatenate(CollectParts(*p1, rng, 4));
  l1->Update(*p1, all);
  l2->UpdateParts(*p2, {&all, 1}, OrderedSum());
  EXPECT_EQ(p1->Parameters(), p2->Parameters());
  EXPECT_EQ(l1->ValueParameters(), l2->ValueParameters());
}

// OrderedSum's totals, but not local: the learner runs the value fit, then the policy
// step, on one thread, as it does under a collective sum.
class SequentialOrderedSum final : public BatchSum {
 public:
  Eigen::VectorXd Total(int dim, const std::vector<Eigen::VectorXd>& terms) const override {
    return OrderedSum().Total(dim, terms);
  }
};

// ValueFitBesidePolicyStep: the value fit on a second thread beside the policy step gives
// the same bits as the two in sequence, for every learner, over several updates (PPO's and
// REINFORCE's Adam moments carry from one to the next).
TEST_P(LearnerPartsTest, ValueFitBesideThePolicyStepIsTheSequentialUpdate) {
  const PolicyConfig pc = CasePolicy(GetParam());
  const AlgoConfig ac = CaseAlgo(GetParam());
  auto p1 = MakePolicy(pc, kPartsObsDim, kPartsActions, 11);
  auto p2 = MakePolicy(pc, kPartsObsDim, kPartsActions, 11);
  auto beside = MakeLearner(ac, pc, kPartsObsDim, 11);
  auto sequential = MakeLearner(ac, pc, kPartsObsDim, 11);
  ASSERT_TRUE(OrderedSum().local());
  ASSERT_FALSE(SequentialOrderedSum().local());
  Rng rng(5);
  for (int update = 0; update < 3; ++update) {
    SCOPED_TRACE("update " + std::to_string(update));
    const Batch all = Concatenate(CollectParts(*p1, rng, 4));
    const UpdateStats a = beside->UpdateParts(*p1, {&all, 1}, OrderedSum());
    const UpdateStats b = sequential->UpdateParts(*p2, {&all, 1}, SequentialOrderedSum());
    ASSERT_EQ(p1->Parameters(), p2->Parameters());
    ASSERT_EQ(beside->ValueParameters(), sequential->ValueParameters());
    EXPECT_EQ(beside->OptimizerState(), sequential->OptimizerState());
    EXPECT_EQ(a.value_loss, b.value_loss);
    EXPECT_EQ(a.policy_loss, b.policy_loss);
    EXPECT_EQ(a.kl, b.kl);
    EXPECT_EQ(a.entropy, b.entropy);
    EXPECT_EQ(a.line_search_steps, b.line_search_steps);
  }
}

}  // namespace
}  // namespace teamsrl::rl
