#include "llm/sim/sim_backend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "core/text.h"

namespace teamsrl::llm {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

Request Rewrite(std::string action, std::string text, int64_t step, int64_t actor = 0) {
  Request r;
  r.role = Role::kRewriter;
  r.key = {actor, 0, step, 0};
  r.messages = {{"system", "You rewrite instructions."}, {"user", "Rewrite: " + text}};
  r.intent.action = std::move(action);
  r.intent.texts = {std::move(text)};
  return r;
}

Request Review(std::string before, std::string after, int64_t step) {
  Request r;
  r.role = Role::kReviewer;
  r.key = {0, 0, step, 0};
  r.messages = {{"user", "Compare: " + before + " / " + after}};
  r.intent.texts = {std::move(before), std::move(after)};
  return r;
}

Request Respond(std::string text, int64_t step) {
  Request r;
  r.role = Role::kResponder;
  r.key = {0, 0, step, 0};
  r.messages = {{"user", text}};
  r.intent.texts = {std::move(text)};
  return r;
}

std::vector<Request> MixedBatch() {
  const char* actions[] = {"breadth",      "add_constraints",    "deepening",
                           "concretizing", "increase_reasoning", "complicate_input"};
  std::vector<Request> batch;
  for (int i = 0; i < 24; ++i) {
    batch.push_back(Rewrite(actions[i % 6], "How to cook food?", i, i % 3));
    batch.push_back(Review("How to cook food?", "How to cook food? Use exactly 3 spices.", i));
    batch.push_back(Respond("How to cook food? Think step by step.", i));
  }
  return batch;
}

TEST(SimBackendTest, SameRequestSameCompletion) {
  SimBackend a(EndpointConfig{}, 543), b(EndpointConfig{}, 543);
  for (const Request& r : MixedBatch()) {
    const Completion x = a.Simulate(r), y = a.Simulate(r), z = b.Simulate(r);
    EXPECT_EQ(x.content, y.content);
    EXPECT_EQ(x.content, z.content);
    EXPECT_TRUE(x.status.ok()) << x.status.ToString();
  }
}

TEST(SimBackendTest, IndependentOfSubmitOrderAndOtherRequestsInFlight) {
  const std::vector<Request> batch = MixedBatch();
  SimBackend forward(EndpointConfig{}, 9);
  const std::vector<Completion> fwd = RunAll(forward, batch);

  std::vector<Request> reversed(batch.rbegin(), batch.rend());
  SimBackend backward(EndpointConfig{}, 9);
  const std::vector<Completion> bwd = RunAll(backward, reversed);

  SimBackend alone(EndpointConfig{}, 9);
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(fwd[i].content, bwd[batch.size() - 1 - i].content) << i;
    EXPECT_EQ(fwd[i].content, RunAll(alone, {batch[i]})[0].content) << i;
  }
}

TEST(SimBackendTest, OutputDependsOnKeyInputAndAction) {
  SimBackend sim(EndpointConfig{}, 1);
  std::vector<std::string> by_key;
  for (int step = 0; step < 10; ++step) {
    by_key.push_back(sim.Simulate(Rewrite("add_constraints", "How to cook food?", step)).content);
  }
  std::sort(by_key.begin(), by_key.end());
  EXPECT_GT(std::unique(by_key.begin(), by_key.end()) - by_key.begin(), 3);
  EXPECT_NE(sim.Simulate(Rewrite("increase_reasoning", "How to cook food?", 0)).content,
            sim.Simulate(Rewrite("complicate_input", "How to cook food?", 0)).content);
  // Another run seed is another run.
  SimBackend other(EndpointConfig{}, 2);
  int differ = 0;
  for (int step = 0; step < 10; ++step) {
    const Request r = Rewrite("add_constraints", "How to cook food?", step);
    differ += sim.Simulate(r).content != other.Simulate(r).content;
  }
  EXPECT_GT(differ, 3);
}

TEST(SimBackendTest, UsageAndFinishReason) {
  SimBackend sim(EndpointConfig{}, 1);
  Request r = Respond("How can beginners bake sourdough bread at home? Think step by step.", 1);
  const Completion c = sim.Simulate(r);
  EXPECT_EQ(c.usage.prompt_tokens, EstimateTokens(r.messages[0].content));
  EXPECT_EQ(c.usage.completion_tokens, EstimateTokens(c.content));
  EXPECT_GT(c.usage.completion_tokens, 0);
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.http_status, 0);
  EXPECT_EQ(c.role, Role::kResponder);

  r.sampling.max_tokens = 5;
  const Completion cut = sim.Simulate(r);
  EXPECT_EQ(cut.finish_reason, "length");
  EXPECT_EQ(cut.content.size(), 20u);
  EXPECT_TRUE(c.content.starts_with(cut.content));
  EXPECT_EQ(cut.usage.completion_tokens, 5);
}

TEST(SimBackendTest, RequestsWithoutUsableIntentFail) {
  SimBackend sim(EndpointConfig{}, 1);
  Request unknown = Rewrite("widening", "x", 0);
  const Completion a = sim.Simulate(unknown);
  EXPECT_EQ(a.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(a.status.message().find("'widening'"), std::string::npos);
  Request review = Review("a", "b", 0);
  review.intent.texts.pop_back();
  EXPECT_EQ(sim.Simulate(review).status.code(), StatusCode::kInvalidArgument);
  Request respond = Respond("a", 0);
  respond.intent.texts.clear();
  EXPECT_FALSE(sim.Simulate(respond).status.ok());
}

TEST(SimBackendTest, ZeroLatencyCompletesAtOnceAndKeepsTags) {
  SimBackend sim(EndpointConfig{}, 1);
  EXPECT_TRUE(sim.Poll(milliseconds(50)).empty());  // nothing in flight: no wait
  for (uint64_t i = 0; i < 5; ++i) {
    Request r = Rewrite("deepening", "How to cook food?", static_cast<int64_t>(i));
    r.tag = 1000 + i;
    sim.Submit(std::move(r));
  }
  EXPECT_EQ(sim.InFlight(), 5u);
  const std::vector<Completion> done = sim.Poll(milliseconds(0));
  ASSERT_EQ(done.size(), 5u);
  for (uint64_t i = 0; i < 5; ++i) EXPECT_EQ(done[i].tag, 1000 + i);  // submit order
  EXPECT_EQ(sim.InFlight(), 0u);
}

TEST(SimBackendTest, ManyRequestsInFlightShareTheLatencyWithoutBurningCpu) {
  EndpointConfig cfg;
  cfg.latency_ms = 50;
  SimBackend sim(cfg, 1);
  std::vector<Request> batch;
  for (int i = 0; i < 16; ++i) batch.push_back(Rewrite("add_constraints", "How to cook food?", i));
  const std::clock_t cpu0 = std::clock();
  const Clock::time_point t0 = Clock::now();
  const std::vector<Completion> done = RunAll(sim, batch);
  const double wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  EXPECT_GE(wall_ms, 50.0);
  EXPECT_LE(wall_ms, 80.0);
  EXPECT_LT(cpu_ms, 10.0);
  for (const Completion& c : done) {
    EXPECT_GE(c.latency_ms, 50.0);
    EXPECT_LT(c.latency_ms, 80.0);
  }
}

TEST(SimBackendTest, PollWaitsAtMostMaxWait) {
  EndpointConfig cfg;
  cfg.latency_ms = 200;
  SimBackend sim(cfg, 1);
  sim.Submit(Rewrite("breadth", "How to cook food?", 0));
  const Clock::time_point t0 = Clock::now();
  EXPECT_TRUE(sim.Poll(milliseconds(20)).empty());
  const double waited = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  EXPECT_GE(waited, 19.0);
  EXPECT_LT(waited, 60.0);
  EXPECT_EQ(sim.InFlight(), 1u);
}

TEST(SimBackendTest, JitterIsDeterministicPerKeyAndBounded) {
  EndpointConfig cfg;
  cfg.latency_ms = 100;
  cfg.latency_jitter = 0.5;
  SimBackend a(cfg, 1), b(cfg, 1);
  std::vector<double> seen;
  for (int i = 0; i < 50; ++i) {
    const Request r = Rewrite("breadth", "x", i);
    const double l = a.LatencyMs(r);
    EXPECT_EQ(l, b.LatencyMs(r));
    EXPECT_GE(l, 50.0);
    EXPECT_LE(l, 150.0);
    seen.push_back(l);
  }
  EXPECT_LT(*std::min_element(seen.begin(), seen.end()), 70.0);
  EXPECT_GT(*std::max_element(seen.begin(), seen.end()), 130.0);
}

TEST(SimBackendTest, CompletionsComeBackInDeadlineOrder) {
  EndpointConfig cfg;
  cfg.latency_ms = 20;
  cfg.latency_jitter = 1.0;
  SimBackend sim(cfg, 3);
  // A deadline is submit time + latency; submitting takes time too (much more under a
  // sanitizer), so the order to expect is that of the deadlines, not of the latencies.
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> deadline_ms(8);
  for (int i = 0; i < 8; ++i) {
    Request r = Rewrite("breadth", "x", i);
    r.tag = static_cast<uint64_t>(i);
    deadline_ms[i] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count() +
        sim.LatencyMs(r);
    sim.Submit(std::move(r));
  }
  std::vector<double> deadlines;
  while (sim.InFlight() > 0) {
    for (const Completion& c : sim.Poll(milliseconds(100))) deadlines.push_back(deadline_ms[c.tag]);
  }
  ASSERT_EQ(deadlines.size(), 8u);
  // Deadlines measured here are at most a few microseconds off the backend's own.
  for (size_t i = 1; i < deadlines.size(); ++i) EXPECT_GE(deadlines[i], deadlines[i - 1] - 0.5);
}

}  // namespace
}  // namespace teamsrl::llm
