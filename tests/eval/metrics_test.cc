#include "eval/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace teamsrl::eval {
namespace {

io::DatasetRecord Record(std::string instruction, std::string input, std::string output) {
  io::DatasetRecord r;
  r.instruction = std::move(instruction);
  r.input = std::move(input);
  r.output = std::move(output);
  return r;
}

TEST(EvalMetricsTest, LengthStatsMatchNumpy) {
  // numpy.percentile([1, 2, 3, 4, 10], 90) = 4 + 0.6 * (10 - 4) = 7.6 (rank 0.9 * 4 = 3.6).
  LengthStats s = ComputeLengthStats({10, 2, 4, 1, 3});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.mean, 4.0);
  EXPECT_DOUBLE_EQ(s.median, 3.0);
  EXPECT_DOUBLE_EQ(s.p90, 7.6);
  EXPECT_DOUBLE_EQ(s.max, 10.0);
  EXPECT_DOUBLE_EQ(ComputeLengthStats({1, 2}).median, 1.5);
  EXPECT_EQ(ComputeLengthStats({}).count, 0);
}

TEST(EvalMetricsTest, DistinctNOnHandExample) {
  // [a b a] and [a b]: unigrams 5 in total, {a, b} unique -> 2/5; bigrams ab, ba, ab -> 2/3.
  std::vector<std::vector<int32_t>> docs = {{0, 1, 0}, {0, 1}};
  EXPECT_DOUBLE_EQ(*DistinctN(docs, 1), 0.4);
  EXPECT_DOUBLE_EQ(*DistinctN(docs, 2), 2.0 / 3.0);
  EXPECT_FALSE(DistinctN({{0}}, 2).has_value());  // no bigram at all: n/a
  EXPECT_FALSE(DistinctN({}, 1).has_value());
}

TEST(EvalMetricsTest, BuilderOnHandExampleWithProvenance) {
  DatasetMetricsBuilder builder;
  io::DatasetRecord r1 = Record("Write a poem about the sea.", "", "Waves roll in.");
  r1.action = "breadth", r1.eliminated = false, r1.not_equal = true, r1.queries = 2;
  io::DatasetRecord r2 =
      Record("Write a poem about the moon.", "short", "Silver light above the hills.");
  r2.action = "add_constraints", r2.eliminated = false, r2.not_equal = true, r2.queries = 2;
  io::DatasetRecord r3 = Record("How do I bake bread?", "", "");
  r3.action = "breadth", r3.eliminated = true, r3.reason = "sorry", r3.not_equal = false;
  r3.queries = 3;
  io::DatasetRecord r4 = Record("Name three rivers in Europe.", "", "Danube, Rhine, Seine.");
  r4.action = "deepening", r4.eliminated = false, r4.queries = 2;  // no not_equal
  for (const auto& r : {r1, r2, r3, r4}) builder.Add(r);
  NeighbourOptions exact;
  exact.mode = NeighbourMode::kExact;
  DatasetMetrics m = builder.Finish(exact);

  EXPECT_EQ(m.records, 4);
  EXPECT_EQ(m.kept, 3);  // r3 is eliminated: out of every text metric
  // Instruction words 6, 6, 5; output words 3, 5, 3 (p90 of [3 3 5]: 3 + 0.8 * 2).
  EXPECT_DOUBLE_EQ(m.instruction_words.mean, 17.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.instruction_words.median, 6.0);
  EXPECT_DOUBLE_EQ(m.instruction_words.max, 6.0);
  EXPECT_DOUBLE_EQ(m.output_words.mean, 11.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.output_words.p90, 4.6);
  EXPECT_DOUBLE_EQ(m.input_share, 1.0 / 3.0);
  // 17 unigrams of which 12 distinct (write a poem about the sea moon name three rivers in
  // europe); 14 bigrams of which 10 distinct (the second poem repeats 4 of its 5).
  EXPECT_DOUBLE_EQ(*m.distinct_1, 12.0 / 17.0);
  EXPECT_DOUBLE_EQ(*m.distinct_2, 10.0 / 14.0);
  // Poems: F = 2 * 5 / 12 each; rivers: 0. Mean 5/9, share >= 0.7: 2 of 3.
  EXPECT_FALSE(m.rouge_approximate);
  EXPECT_DOUBLE_EQ(*m.rouge_nn_mean, 5.0 / 9.0);
  EXPECT_DOUBLE_EQ(*m.rouge_nn_share_ge_threshold, 2.0 / 3.0);
  EXPECT_EQ(m.eliminated, 1);
  EXPECT_DOUBLE_EQ(*m.elimination_rate, 0.25);
  EXPECT_EQ(m.elimination_reasons, (std::map<std::string, int64_t>{{"sorry", 1}}));
  EXPECT_DOUBLE_EQ(*m.not_equal_rate, 2.0 / 3.0);  // 2 of the 3 records that carry it
  EXPECT_EQ(m.action_counts, (std::map<std::string, int64_t>{
                                 {"add_constraints", 1}, {"breadth", 2}, {"deepening", 1}}));
  EXPECT_EQ(m.action_records, 4);
  EXPECT_EQ(m.queries_total, 9);
  EXPECT_DOUBLE_EQ(*m.queries_per_kept, 3.0);  // 9 queries / 3 kept samples
}

TEST(EvalMetricsTest, AbsentProvenanceIsNotAvailable) {
  DatasetMetricsBuilder builder;
  builder.Add(Record("Only one instruction here", "", "yes"));
  DatasetMetrics m = builder.Finish(NeighbourOptions{});
  EXPECT_EQ(m.kept, 1);
  EXPECT_FALSE(m.rouge_nn_mean.has_value());  // a neighbour needs two samples
  EXPECT_FALSE(m.eliminated.has_value());
  EXPECT_FALSE(m.elimination_rate.has_value());
  EXPECT_FALSE(m.not_equal_rate.has_value());
  EXPECT_TRUE(m.action_counts.empty());
  EXPECT_FALSE(m.queries_total.has_value());
  EXPECT_FALSE(m.queries_per_kept.has_value());
  EXPECT_DOUBLE_EQ(*m.distinct_1, 1.0);
}

}  // namespace
}  // namespace teamsrl::eval
