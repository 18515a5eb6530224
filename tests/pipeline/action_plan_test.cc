#include "pipeline/action_plan.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "rl/policy.h"

namespace teamsrl::pipeline {
namespace {

class ActionPlannerTest : public ::testing::Test {
 protected:
  ActionPlannerTest() {
    policy_.policy = rl::MakePolicy(rl::PolicyConfig{}, 6, 6, 543);
    // A filter as a training run leaves it (count, means, M2), so `snapshot` is not identity.
    EXPECT_TRUE(
        policy_.filter.SetState({40, 0.3, 0.25, 0.1, 0.1, 0.05, 0.05, 8.4, 7.5, 3.6, 3.6, 1.9, 1.9})
            .ok());
    schedule_ = GenerateSchedule::Make(config_.generate, policy_.actions).value();
  }
  Config config_;
  GenerationPolicy policy_{nullptr, rl::RunningMeanStd(6, 5.0), evol::ActionSet(), "final", ""};
  GenerateSchedule schedule_;
};

Eigen::VectorXd OneHot(int index) {
  Eigen::VectorXd v = Eigen::VectorXd::Zero(6);
  if (index >= 0) v[index] = 1.0;
  return v;
}

// `snapshot` is each seed's own computation: its stream, the frozen filter, the schedule.
TEST_F(ActionPlannerTest, SnapshotPlanIsThePerSeedComputation) {
  ActionPlanner planner(config_, policy_, schedule_);
  for (int64_t index : {5, 0, 3}) {  // any order
    Rng rng = Rng::ForStream(config_.run.seed, StreamKind::kGenerate, static_cast<uint64_t>(index));
    std::vector<int> expected;
    int last = -1;
    for (int t = 0; t < 6; ++t) {
      int a = 0;  // breadth
      if (t != 1 && t != 4) {
        a = policy_.policy->ActWithBias(policy_.filter.Normalize(OneHot(last)), rng,
                                        schedule_.bias);
        if (a == 0) a = 1;  // a chosen breadth becomes add_constraints
      }
      expected.push_back(a);
      last = a;
    }
    EXPECT_EQ(planner.Plan(index), expected) << "seed " << index;
  }
}

// The fresh filter takes 7 observations per seed of 6 steps: the reset state (zeros) and the
// one-hot of each action taken. Its statistics follow from the counts of the actions alone.
TEST_F(ActionPlannerTest, FreshFilterStatisticsMatchAHandComputation) {
  config_.generate.obs_filter = GenerateObsFilter::kFresh;
  ActionPlanner planner(config_, policy_, schedule_);
  const int seeds = 50;
  std::vector<double> ones(6, 0.0);
  for (int64_t k = 0; k < seeds; ++k) {
    for (int a : planner.Plan(k)) ones[static_cast<size_t>(a)] += 1.0;
  }
  const rl::RunningMeanStd& f = planner.fresh_filter();
  const double n = seeds * 7.0;
  ASSERT_EQ(f.count(), seeds * 7);
  for (int i = 0; i < 6; ++i) {
    const double c = ones[static_cast<size_t>(i)];
    const double mean = c / n;
    const double var = (c - c * c / n) / (n - 1);  // c ones and n - c zeros
    EXPECT_NEAR(f.mean()[i], mean, 1e-13) << "entry " << i;
    EXPECT_NEAR(f.Variance()[i], var, 1e-12) << "entry " << i;
  }
  EXPECT_EQ(ones[0], 2.0 * seeds);  // breadth only where forced
}

// The first observation of the first seed is the reset state normalised by a filter holding
// only it: 0, not the clip an empty filter would give.
TEST_F(ActionPlannerTest, FreshFilterStartsFromTheResetState) {
  config_.generate.obs_filter = GenerateObsFilter::kFresh;
  rl::RunningMeanStd reference(6, 5.0);
  const Eigen::VectorXd first = reference.Filter(OneHot(-1));
  EXPECT_EQ(first, Eigen::VectorXd::Zero(6));
  ActionPlanner planner(config_, policy_, schedule_);
  const std::vector<int> plan = planner.Plan(0);
  Rng rng = Rng::ForStream(config_.run.seed, StreamKind::kGenerate, 0);
  int a = policy_.policy->ActWithBias(first, rng, schedule_.bias);
  if (a == 0) a = 1;
  EXPECT_EQ(plan[0], a);
}

// Whatever block of seeds a rank is asked for first, it walks the ones before it: the same
// actions and the same filter, bitwise, for any ranks and chunk sizes.
TEST_F(ActionPlannerTest, FreshPlanDoesNotDependOnWhereABlockStarts) {
  config_.generate.obs_filter = GenerateObsFilter::kFresh;
  ActionPlanner all(config_, policy_, schedule_);
  std::vector<std::vector<int>> plans;
  for (int64_t k = 0; k < 12; ++k) plans.push_back(all.Plan(k));
  ActionPlanner late(config_, policy_, schedule_);
  for (int64_t k = 7; k < 9; ++k) EXPECT_EQ(late.Plan(k), plans[static_cast<size_t>(k)]);
  EXPECT_EQ(late.Plan(10), plans[10]);
  late.AdvanceTo(12);
  EXPECT_EQ(late.fresh_filter().State(), all.fresh_filter().State());
  EXPECT_DEATH(late.Plan(3), "asked after seed 11");
}

TEST_F(ActionPlannerTest, MaxSamplesCutsTheLastSeed) {
  config_.generate.max_samples = 15;
  config_.generate.obs_filter = GenerateObsFilter::kFresh;
  ActionPlanner planner(config_, policy_, schedule_);
  EXPECT_EQ(planner.Plan(0).size(), 6u);
  EXPECT_EQ(planner.Plan(2).size(), 3u);
  EXPECT_EQ(planner.fresh_filter().count(), 7 + 7 + 4);
}

}  // namespace
}  // namespace teamsrl::pipeline
