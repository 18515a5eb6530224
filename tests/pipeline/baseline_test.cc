#include "pipeline/baseline.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

#include "evol/review.h"
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

// Passes everything to the simulator and keeps the requests and the reviewer's replies.
class Recording : public llm::Client {
 public:
  explicit Recording(llm::Client& inner) : inner_(inner) {}
  void Submit(llm::Request r) override {
    keys_[r.tag] = r.key;  // tags are reused batch to batch, never while in flight
    requests.push_back(r);
    inner_.Submit(std::move(r));
  }
  std::vector<llm::Completion> Poll(std::chrono::milliseconds wait) override {
    std::vector<llm::Completion> out = inner_.Poll(wait);
    for (const llm::Completion& c : out) {
      const llm::RequestKey& key = keys_.at(c.tag);
      if (c.role == llm::Role::kReviewer) replies[{key.episode, key.step}] = c.content;
    }
    return out;
  }
  size_t InFlight() const override { return inner_.InFlight(); }
  std::vector<llm::Request> requests;
  std::map<std::tuple<int64_t, int64_t>, std::string> replies;  // (seed, round) -> reply

 private:
  llm::Client& inner_;
  std::map<uint64_t, llm::RequestKey> keys_;
};

TEST(BaselineTest, JoinInputIsWizardLMsConcatenation) {
  EXPECT_EQ(JoinInput({0, "  Sort the list. ", " 3, 1, 2\n", 1}), "Sort the list.\r\n3, 1, 2");
  EXPECT_EQ(JoinInput({0, "Name a colour.", "  ", 1}), "Name a colour.");
}

// experiments/baseline.yaml's settings: WizardLM's prompts see the instruction with its
// input; with include_seeds each seed is answered once and written as round -1.
TEST(BaselineTest, WizardLMPromptsInputsAndSeedsInTheDataset) {
  auto prompts = evol::PromptSet::Load(TEAMSRL_SOURCE_DIR "/experiments/prompts/evol_instruct");
  ASSERT_TRUE(prompts.ok()) << prompts.status().ToString();
  llm::SimBackend sim(llm::EndpointConfig{}, 543);
  Recording client(sim);
  Config config;
  config.baseline.rounds = 2;
  config.baseline.join_input = true;
  config.baseline.include_seeds = true;
  evol::ActionSet actions;
  EvolveContext context;
  context.prompts = &*prompts;
  context.rules = evol::EliminationRules::All();
  context.review = true;
  BaselineEvolver evolver(config, actions, context, client);
  std::vector<io::Seed> seeds = {{0, "Sort the list.", "3, 1, 2", 1}, {1, "Name a colour.", "", 2}};
  for (int64_t i = 2; i < 40; ++i) seeds.push_back({i, "Explain idea " + std::to_string(i), "", i});
  const ChunkPart part = evolver.Run(seeds).value();
  ASSERT_EQ(part.samples.size(), seeds.size() * 3);
  const std::string system = "You are an assistant who helps with whatever the user asks.";
  int malformed = 0;
  for (size_t k = 0; k < part.samples.size(); ++k) {
    const io::SampleLine& s = part.samples[k];
    EXPECT_EQ(s.sample_id, static_cast<int64_t>(k));  // seed k: 3k (itself), 3k + 1 + round
    EXPECT_EQ(s.step, static_cast<int64_t>(k % 3) - 1);
    EXPECT_EQ(s.input, "");  // joined into the instruction
    if (s.step == -1) {
      EXPECT_EQ(s.action, "");
      EXPECT_EQ(s.queries, 1);  // the answer only
      EXPECT_EQ(s.instruction, JoinInput(seeds[k / 3]));
      EXPECT_FALSE(s.not_equal.has_value());
    } else {
      EXPECT_EQ(s.queries, 3);
      ASSERT_TRUE(s.not_equal.has_value());
      const std::string& reply = client.replies.at({s.seed_index, s.step});
      EXPECT_EQ(s.malformed_reply, !evol::IsExactVerdict(reply)) << reply;
      malformed += s.malformed_reply ? 1 : 0;
    }
  }
  // The seed's answer and its first rewrite carry the joined text and the system message.
  int answered = 0, rewritten = 0;
  for (const llm::Request& r : client.requests) {
    if (r.key.episode != 0) continue;
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0].content, system);
    if (r.role == llm::Role::kResponder && r.key.step == -1) {
      EXPECT_EQ(r.messages[1].content, "Sort the list.\r\n3, 1, 2");
      ++answered;
    }
    if (r.role == llm::Role::kRewriter && r.key.step == 0) {
      EXPECT_NE(r.messages[1].content.find("Sort the list.\r\n3, 1, 2\n#"), std::string::npos)
          << r.messages[1].content;
      ++rewritten;
    }
  }
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(rewritten, 1);
  std::printf("malformed reviewer replies: %d of %zu\n", malformed, seeds.size() * 2);
}

}  // namespace
}  // namespace teamsrl::pipeline
