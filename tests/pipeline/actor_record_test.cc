#include "pipeline/actor_record.h"

#include <gtest/gtest.h>

namespace teamsrl::pipeline {
namespace {

TEST(ActorRecordTest, RoundTripKeepsEveryField) {
  ActorRecord a;
  a.actor = 7;
  StepRecord s;
  s.episode = 3;
  s.t = 5;
  s.action = 2;
  s.failed = 1;
  s.reward = 1.0;
  s.logp = -1.25;
  s.obs = {0.5, -5.0};
  s.raw_obs = {1.0, 0.0};
  s.instruction = "How to cook food?";
  s.reply = "Not Equal";
  a.steps = {s, s};
  CallRecord c;
  c.role = 1;
  c.status = 4;
  c.http_status = 429;
  c.attempts = 3;
  c.cached = 1;
  c.latency_ms = 12.5;
  c.prompt_tokens = 100;
  c.completion_tokens = 20;
  c.error = "RESOURCE_EXHAUSTED: slow down";
  a.calls = {c};
  std::vector<ActorRecord> decoded;
  DecodeActors(EncodeActors({a, a}), &decoded);
  ASSERT_EQ(decoded.size(), 2u);
  const StepRecord& d = decoded[1].steps[1];
  EXPECT_EQ(decoded[1].actor, 7);
  EXPECT_EQ(d.episode, 3);
  EXPECT_EQ(d.t, 5);
  EXPECT_EQ(d.action, 2);
  EXPECT_EQ(d.failed, 1);
  EXPECT_EQ(d.reward, 1.0);
  EXPECT_EQ(d.logp, -1.25);
  EXPECT_EQ(d.obs, s.obs);
  EXPECT_EQ(d.raw_obs, s.raw_obs);
  EXPECT_EQ(d.instruction, s.instruction);
  EXPECT_EQ(d.reply, s.reply);
  const CallRecord& dc = decoded[0].calls[0];
  EXPECT_EQ(dc.role, 1);
  EXPECT_EQ(dc.status, 4);
  EXPECT_EQ(dc.http_status, 429);
  EXPECT_EQ(dc.attempts, 3);
  EXPECT_EQ(dc.cached, 1);
  EXPECT_EQ(dc.latency_ms, 12.5);
  EXPECT_EQ(dc.prompt_tokens, 100);
  EXPECT_EQ(dc.completion_tokens, 20);
  EXPECT_EQ(dc.error, c.error);
}

TEST(ActorRecordTest, EmptyRankHasNoActors) {
  std::vector<ActorRecord> decoded;
  DecodeActors(EncodeActors({}), &decoded);
  EXPECT_TRUE(decoded.empty());
}

}  // namespace
}  // namespace teamsrl::pipeline
