#include "env/instruction_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <deque>

#include "evol/review.h"
#include "llm/options.h"
#include "llm/sim/sim_backend.h"

namespace teamsrl::env {
namespace {

using llm::EndpointConfig;
using ::testing::ElementsAre;

evol::PromptSet Prompts() {
  auto p = evol::PromptSet::Load(TEAMSRL_SOURCE_DIR "/experiments/prompts");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return *p;
}

// A client that records requests and answers from a script (for failure paths the
// simulator does not produce on demand).
class ScriptedClient : public llm::Client {
 public:
  std::deque<llm::Completion> answers;
  std::vector<llm::Request> requests;
  std::vector<llm::Completion> ready;
  void Submit(llm::Request r) override {
    llm::Completion c = answers.front();
    answers.pop_front();
    c.tag = r.tag;
    c.role = r.role;
    requests.push_back(std::move(r));
    ready.push_back(std::move(c));
  }
  std::vector<llm::Completion> Poll(std::chrono::milliseconds) override {
    return std::exchange(ready, {});
  }
  size_t InFlight() const override { return ready.size(); }
};

llm::Completion Answer(std::string content, Status status = OkStatus()) {
  llm::Completion c;
  c.content = std::move(content);
  c.status = std::move(status);
  return c;
}

class InstructionEnvTest : public ::testing::Test {
 protected:
  evol::ActionSet actions_;
  evol::PromptSet prompts_ = Prompts();
};

TEST_F(InstructionEnvTest, ObservationIsOneHotOfLastActionAndZeroAfterReset) {
  llm::SimBackend sim(EndpointConfig{}, 1);
  InstructionEnv env({}, actions_, prompts_, sim, {0, 1}, {"How to cook food?", "Write a poem."});
  env.Reset(0);
  EXPECT_THAT(env.Observation(0), ElementsAre(0, 0, 0, 0, 0, 0));
  env.Step({2, 5});
  EXPECT_THAT(env.Observation(0), ElementsAre(0, 0, 1, 0, 0, 0));
  EXPECT_THAT(env.Observation(1), ElementsAre(0, 0, 0, 0, 0, 1));
  env.Reset(1);
  EXPECT_THAT(env.Observation(1), ElementsAre(0, 0, 0, 0, 0, 0));
}

TEST_F(InstructionEnvTest, RewardIsTheReviewersVerdictAndTextFollowsTheRewrite) {
  llm::SimBackend sim(EndpointConfig{}, 3);
  InstructionEnv env({}, actions_, prompts_, sim, {0, 1, 2, 3},
                     std::vector<std::string>(4, "How to cook food?"));
  env.Reset(0);
  int rewarded = 0;
  for (int t = 0; t < 6; ++t) {
    std::vector<std::string> before = {env.instruction(0), env.instruction(1), env.instruction(2),
                                       env.instruction(3)};
    std::vector<ActorStep> steps = env.Step({1, 1, 4, 5});
    ASSERT_EQ(steps.size(), 4u);
    for (int i = 0; i < 4; ++i) {
      const ActorStep& s = steps[i];
      EXPECT_FALSE(s.failed);
      EXPECT_EQ(s.reward, evol::IsNotEqual(s.reply, evol::MatchMode::kExact) ? 1.0 : 0.0);
      rewarded += s.reward > 0;
      ASSERT_EQ(s.calls.size(), 2u);
      EXPECT_EQ(s.calls[0].role, llm::Role::kRewriter);
      EXPECT_EQ(s.calls[1].role, llm::Role::kReviewer);
      EXPECT_EQ(env.instruction(i), s.instruction);
    }
  }
  EXPECT_GT(rewarded, 0);
}

TEST_F(InstructionEnvTest, CarryOverKeepsTheTextAcrossEpisodesOtherwiseItResets) {
  for (bool carry : {true, false}) {
    llm::SimBackend sim(EndpointConfig{}, 5);
    EnvOptions options;
    options.carry_over = carry;
    InstructionEnv env(options, actions_, prompts_, sim, {0}, {"How to cook food?"});
    env.Reset(0);
    for (int t = 0; t < 3; ++t) env.Step({1});
    const std::string after = env.instruction(0);
    ASSERT_NE(after, "How to cook food?");
    env.Reset(1);
    EXPECT_EQ(env.instruction(0), carry ? after : "How to cook food?");
  }
}

TEST_F(InstructionEnvTest, RequestsCarryKeysIntentAndRenderedPrompt) {
  ScriptedClient client;
  client.answers = {Answer("How to cook a vegetarian lasagna?"), Answer("Not Equal")};
  InstructionEnv env({}, actions_, prompts_, client, {7}, {"How to cook food?"});
  env.Reset(4);
  ActorStep s = env.Step({3})[0];
  ASSERT_EQ(client.requests.size(), 2u);
  const llm::Request& rw = client.requests[0];
  EXPECT_EQ(rw.key.actor, 7);
  EXPECT_EQ(rw.key.episode, 4);
  EXPECT_EQ(rw.key.step, 0);
  EXPECT_EQ(rw.intent.action, "concretizing");
  EXPECT_NE(rw.messages.back().content.find("How to cook food?"), std::string::npos);
  const llm::Request& rv = client.requests[1];
  EXPECT_EQ(rv.role, llm::Role::kReviewer);
  EXPECT_THAT(rv.intent.texts,
              ElementsAre("How to cook food?", "How to cook a vegetarian lasagna?"));
  EXPECT_EQ(s.reward, 1.0);
  EXPECT_EQ(s.instruction, "How to cook a vegetarian lasagna?");
}

TEST_F(InstructionEnvTest, MatchModeDecidesHowNoisyRepliesCount) {
  for (auto [mode, expected] :
       {std::pair{evol::MatchMode::kExact, 0.0}, std::pair{evol::MatchMode::kNormalized, 1.0}}) {
    ScriptedClient client;
    client.answers = {Answer("A new text entirely."), Answer("not equal.")};
    EnvOptions options;
    options.match = mode;
    InstructionEnv env(options, actions_, prompts_, client, {0}, {"Old text."});
    env.Reset(0);
    EXPECT_EQ(env.Step({0})[0].reward, expected);
  }
}

TEST_F(InstructionEnvTest, FailedOrEmptyRewriteIsAFailedStepWithoutReview) {
  ScriptedClient client;
  client.answers = {Answer("", Unavailable("HTTP 503 from endpoint sim")), Answer("   ")};
  InstructionEnv env({}, actions_, prompts_, client, {0, 1}, {"Keep me.", "Keep me too."});
  env.Reset(0);
  std::vector<ActorStep> steps = env.Step({1, 2});
  EXPECT_EQ(client.requests.size(), 2u);  // no review was asked for
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(steps[i].failed);
    EXPECT_EQ(steps[i].reward, 0.0);
    EXPECT_EQ(steps[i].calls.size(), 1u);
  }
  EXPECT_EQ(env.instruction(0), "Keep me.");
  EXPECT_EQ(env.instruction(1), "Keep me too.");
  EXPECT_FALSE(steps[0].calls[0].status.ok());
}

TEST_F(InstructionEnvTest, QueryCostIsChargedPerCall) {
  ScriptedClient client;
  client.answers = {Answer("A new text entirely."), Answer("Not Equal")};
  EnvOptions options;
  options.query_cost = -0.25;
  InstructionEnv env(options, actions_, prompts_, client, {0}, {"Old text."});
  env.Reset(0);
  EXPECT_DOUBLE_EQ(env.Step({0})[0].reward, 1.0 - 0.5);
}

TEST_F(InstructionEnvTest, AllActorsCallsAreInFlightTogether) {
  EndpointConfig slow;
  slow.latency_ms = 50;
  llm::SimBackend sim(slow, 1);
  InstructionEnv env({}, actions_, prompts_, sim, {0, 1, 2, 3, 4, 5, 6, 7},
                     std::vector<std::string>(8, "How to cook food?"));
  env.Reset(0);
  const auto start = std::chrono::steady_clock::now();
  env.Step({0, 1, 2, 3, 4, 5, 0, 1});
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  // Rewrite then review: two latencies, not 16.
  EXPECT_GE(ms, 95.0);
  EXPECT_LT(ms, 400.0);
}

}  // namespace
}  // namespace teamsrl::env
