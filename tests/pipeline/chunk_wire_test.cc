#include "pipeline/chunk_wire.h"

#include <gtest/gtest.h>

namespace teamsrl::pipeline {
namespace {

ChunkPart SamplePart() {
  ChunkPart part;
  io::SampleLine s;
  s.instruction = "Explain tides.";
  s.input = "";
  s.output = "The moon pulls the sea.";
  s.seed_index = 4;
  s.step = 2;
  s.action = "deepening";
  s.parent = 25;
  s.sample_id = 26;
  s.eliminated = true;
  s.reason = "sorry";
  s.not_equal = false;
  s.queries = 3;
  s.malformed_reply = true;
  part.samples = {s, s};
  part.samples[1].not_equal.reset();
  part.samples[1].malformed_reply = false;
  CallRecord c;
  c.role = 2;
  c.status = 3;
  c.http_status = 503;
  c.attempts = 4;
  c.cached = 0;
  c.latency_ms = 0.25;
  c.prompt_tokens = 11;
  c.completion_tokens = 7;
  c.error = "UNAVAILABLE: busy";
  part.calls = {{4, 2, c}};
  return part;
}

TEST(ChunkWireTest, PartRoundTripsAndAppends) {
  const ChunkPart part = SamplePart();
  ChunkPart out;
  DecodePart(EncodePart(part), &out);
  DecodePart(EncodePart(part), &out);  // appends
  ASSERT_EQ(out.samples.size(), 4u);
  ASSERT_EQ(out.calls.size(), 2u);
  const io::SampleLine& s = out.samples[2];
  EXPECT_EQ(s.instruction, "Explain tides.");
  EXPECT_EQ(s.output, "The moon pulls the sea.");
  EXPECT_EQ(s.seed_index, 4);
  EXPECT_EQ(s.step, 2);
  EXPECT_EQ(s.action, "deepening");
  EXPECT_EQ(s.parent, 25);
  EXPECT_EQ(s.sample_id, 26);
  EXPECT_TRUE(s.eliminated);
  EXPECT_EQ(s.reason, "sorry");
  EXPECT_EQ(s.not_equal, std::optional<bool>(false));
  EXPECT_FALSE(out.samples[3].not_equal.has_value());
  EXPECT_EQ(s.queries, 3);
  EXPECT_TRUE(s.malformed_reply);
  EXPECT_FALSE(out.samples[3].malformed_reply);
  const ChunkCall& c = out.calls[1];
  EXPECT_EQ(c.seed_index, 4);
  EXPECT_EQ(c.step, 2);
  EXPECT_EQ(c.call.http_status, 503);
  EXPECT_EQ(c.call.attempts, 4);
  EXPECT_EQ(c.call.latency_ms, 0.25);
  EXPECT_EQ(c.call.completion_tokens, 7);
  EXPECT_EQ(c.call.error, "UNAVAILABLE: busy");
}

// The journal's bytes: seed index and step (int64 each), then the call as the gather
// carries it (actor_record.h), so the journal written before this unit reads back.
// Entries added out of seed order (as completions arrive) come out in seed order, then in
// the order added within a seed.
TEST(ChunkWireTest, PerSeedPartFlattensInSeedOrder) {
  PerSeedPart per_seed(3);
  auto sample = [](int64_t seed, int64_t step) {
    io::SampleLine s;
    s.seed_index = seed;
    s.step = step;
    return s;
  };
  for (auto [seed, step] : {std::pair{2, 0}, {0, 0}, {2, 1}, {1, 0}, {0, 1}}) {
    per_seed.samples[seed].push_back(sample(seed, step));
    per_seed.calls[seed].push_back({seed, step, CallRecord{}});
  }
  const ChunkPart part = std::move(per_seed).Flatten();
  const std::vector<std::pair<int64_t, int64_t>> want = {{0, 0}, {0, 1}, {1, 0}, {2, 0}, {2, 1}};
  ASSERT_EQ(part.samples.size(), want.size());
  ASSERT_EQ(part.calls.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(std::pair(part.samples[i].seed_index, part.samples[i].step), want[i]) << i;
    EXPECT_EQ(std::pair(part.calls[i].seed_index, part.calls[i].step), want[i]) << i;
  }
}

TEST(ChunkWireTest, JournalRecordIsSeedStepThenTheCallRecord) {
  const ChunkCall call = SamplePart().calls[0];
  ByteWriter journal;
  PutCall(journal, call);
  ByteWriter expected;
  expected.Put<int64_t>(4);
  expected.Put<int64_t>(2);
  PutCallRecord(expected, call.call);
  EXPECT_EQ(journal.bytes(), expected.bytes());
  ByteReader r(journal.bytes());
  EXPECT_EQ(GetCall(r).call.prompt_tokens, 11);
  EXPECT_TRUE(r.done());
}

}  // namespace
}  // namespace teamsrl::pipeline
