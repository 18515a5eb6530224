// What the sim's structure means for a policy (sim_rewriter.h): repeating an operation has
// diminishing returns, increase_reasoning and complicate_input are rarely rewarded, and a
// fixed order of the reliable operations after a breadth reset beats uniform random choice
// by a clear margin. Driven through the asynchronous Client
// (RunAll over a batch of actors), as the environment will.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/text.h"
#include "llm/sim/sim_backend.h"

namespace teamsrl::llm {
namespace {

constexpr std::array<const char*, 6> kActions = {
    "breadth",      "add_constraints",    "deepening",
    "concretizing", "increase_reasoning", "complicate_input"};
const std::vector<std::string> kSeeds = {
    "How to cook food?", "What are the best ways for people to save money?",
    "Describe some useful tools for gardening.", "How do people learn a new language?",
    "Write a short guide for people who travel by train."};

// Reward as the normalized match reads it (the reply-parsing noise is tested elsewhere).
bool NotEqual(const Completion& c) { return NormalizeText(c.content) == "not equal"; }

// Runs every actor for `steps` steps in lockstep: a batch of rewrites, then a batch of
// reviews; the rewrite is carried over whatever the verdict. `choose(actor, t)` picks the
// action. Returns the Not-Equal rate of each step index.
template <typename Choose>
std::vector<double> RunPolicy(int actors, int steps, uint64_t seed, Choose choose) {
  SimBackend sim(EndpointConfig{}, seed);
  std::vector<std::string> text(actors);
  for (int a = 0; a < actors; ++a) text[a] = kSeeds[a % kSeeds.size()];
  std::vector<double> rate(steps, 0.0);
  for (int t = 0; t < steps; ++t) {
    std::vector<Request> rewrites(actors), reviews(actors);
    for (int a = 0; a < actors; ++a) {
      Request& r = rewrites[a];
      r.role = Role::kRewriter;
      r.key = {a, 0, t, 0};
      r.intent = {kActions[choose(a, t)], {text[a]}};
      r.messages = {{"user", text[a]}};
    }
    std::vector<Completion> out = RunAll(sim, std::move(rewrites));
    for (int a = 0; a < actors; ++a) {
      Request& r = reviews[a];
      r.role = Role::kReviewer;
      r.key = {a, 0, t, 0};
      r.intent = {"", {text[a], out[a].content}};
      r.messages = {{"user", text[a] + "\n" + out[a].content}};
    }
    const std::vector<Completion> verdicts = RunAll(sim, std::move(reviews));
    for (int a = 0; a < actors; ++a) {
      rate[t] += NotEqual(verdicts[a]) / static_cast<double>(actors);
      text[a] = std::move(out[a].content);
    }
  }
  return rate;
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

TEST(SimPolicyTest, RepeatingAddConstraintsHasDiminishingReturns) {
  const std::vector<double> r = RunPolicy(400, 5, 543, [](int, int) { return 1; });
  std::printf("add_constraints x5 Not-Equal rate by repetition: %.3f %.3f %.3f %.3f %.3f\n", r[0],
              r[1], r[2], r[3], r[4]);
  EXPECT_GT(r[0], 0.7);
  for (int k = 1; k < 5; ++k) EXPECT_LT(r[k], r[k - 1] + 0.02) << k;
  EXPECT_GT(r[0] - r[2], 0.1);
  EXPECT_LT(r[4], r[0] - 0.2);
}

TEST(SimPolicyTest, ReasoningAndStructuredInputAreRarelyRewarded) {
  const std::vector<double> r = RunPolicy(400, 2, 543, [](int, int) { return 4; });
  const std::vector<double> c = RunPolicy(400, 1, 543, [](int, int) { return 5; });
  const std::vector<double> d = RunPolicy(400, 1, 543, [](int, int) { return 2; });
  std::printf("increase_reasoning x2: %.3f then %.3f; complicate_input %.3f; deepening %.3f\n",
              r[0], r[1], c[0], d[0]);
  EXPECT_LT(r[0], 0.25);
  EXPECT_LT(r[1], 0.15);
  EXPECT_LT(c[0], 0.25);
  EXPECT_GT(d[0], 0.7);
}

TEST(SimPolicyTest, FixedCycleBeatsUniformChoice) {
  // breadth, add_constraints, deepening, concretizing, add_constraints, deepening
  constexpr std::array<int, 6> kCycle = {0, 1, 2, 3, 1, 2};
  const int actors = 8, steps = 250;  // 2000 steps per policy
  const double cycle =
      Mean(RunPolicy(actors, steps, 543, [&](int, int t) { return kCycle[t % 6]; }));
  std::vector<Rng> rngs;
  for (int a = 0; a < actors; ++a) rngs.push_back(Rng::ForStream(543, StreamKind::kActor, a));
  const double uniform = Mean(RunPolicy(actors, steps, 543, [&](int a, int) {
    return static_cast<int>(rngs[a].UniformInt(kActions.size()));
  }));
  std::printf("Not-Equal rate over 2000 steps: cycle %.3f, uniform %.3f, ratio %.2f\n", cycle,
              uniform, cycle / uniform);
  EXPECT_GE(cycle / uniform, 1.4);
}

}  // namespace
}  // namespace teamsrl::llm
