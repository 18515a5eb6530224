#include "pipeline/baseline.h"

#include <gtest/gtest.h>

#include <vector>

#include "llm/sim/sim_backend.h"

namespace teamsrl::pipeline {
namespace {

TEST(BaselineTest, ActionsAreUniformAndKeyedBySeedAndRound) {
  std::vector<int> counts(6, 0);
  for (int64_t seed = 0; seed < 3000; ++seed) {
    for (int round = 0; round < 4; ++round) {
      const int a = BaselineAction(543, seed, round, 6);
      ASSERT_GE(a, 0);
      ASSERT_LT(a, 6);
      ++counts[a];
      EXPECT_EQ(a, BaselineAction(543, seed, round, 6));
    }
  }
  for (int c : counts) EXPECT_NEAR(c, 2000, 150);
}

TEST(BaselineTest, ThreeCallsPerSampleAndTheParentReturnsToThePool) {
  auto prompts = evol::PromptSet::Load(TEAMSRL_SOURCE_DIR "/experiments/prompts");
  ASSERT_TRUE(prompts.ok());
  llm::SimBackend sim(llm::EndpointConfig{}, 543);
  Config config;
  evol::ActionSet actions;
  EvolveContext context;
  context.prompts = &*prompts;
  context.rules = evol::EliminationRules::All();
  context.review = true;
  BaselineEvolver evolver(config, actions, context, sim);
  std::vector<io::Seed> seeds;
  for (int64_t i = 0; i < 8; ++i)
    seeds.push_back({i, "How to cook dish number " + std::to_string(i) + "?", "", i + 1});
  const ChunkPart part = evolver.Run(seeds).value();
  ASSERT_EQ(part.samples.size(), 32u);
  EXPECT_EQ(part.calls.size(), 96u);
  int eliminated = 0;
  for (size_t k = 0; k < part.samples.size(); ++k) {
    const io::SampleLine& s = part.samples[k];
    EXPECT_EQ(s.sample_id, static_cast<int64_t>(k));
    EXPECT_EQ(s.step, static_cast<int64_t>(k % 4));
    EXPECT_EQ(s.action, evol::ActionName(actions.at(
                            BaselineAction(543, s.seed_index, static_cast<int>(s.step), 6))));
    EXPECT_EQ(s.queries, 3);
    if (s.step == 0) {
      EXPECT_EQ(s.parent, -1);
    } else {
      const io::SampleLine& prev = part.samples[k - 1];
      EXPECT_EQ(s.parent, prev.eliminated ? prev.parent : prev.sample_id);
    }
    eliminated += s.eliminated ? 1 : 0;
  }
  EXPECT_GT(eliminated, 0);
  EXPECT_LT(eliminated, 32);
}

}  // namespace
}  // namespace teamsrl::pipeline
