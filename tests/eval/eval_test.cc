#include "eval/eval.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../external_data.h"

namespace teamsrl::eval {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Our own fixture in Self-Instruct's layout (tests/data/README.md).
const std::string kFixture = std::string(TEAMSRL_TEST_DATA_DIR) + "/self_instruct_style.jsonl";

io::DatasetFields SelfInstructFields() {
  io::DatasetFields fields;
  fields.input = "instances[0].input";
  fields.output = "instances[0].output";
  return fields;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("teamsrl_eval_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(EvalTest, EvaluatesAFileIntoTableAndJson) {
  std::string path = TempPath("d.jsonl");
  std::ofstream(path)
      << R"({"instruction": "Write a poem about the sea.", "input": "", "output": "Waves.", "action": "breadth", "eliminated": false, "not_equal": true, "queries": 2})"
      << "\n"
      << R"({"instruction": "Write a poem about the moon.", "input": "", "output": "Light.", "action": "deepening", "eliminated": true, "reason": "equal", "not_equal": false, "queries": 3})"
      << "\n";
  Result<DatasetMetrics> m = EvaluateDataset(path, io::DatasetFields{}, NeighbourOptions{});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  json j = MetricsToJson(*m, path);
  EXPECT_EQ(j["records"], 2);
  EXPECT_EQ(j["kept"], 1);
  EXPECT_EQ(j["elimination_rate"], 0.5);
  EXPECT_EQ(j["elimination_reasons"], (json{{"equal", 1}}));
  EXPECT_EQ(j["not_equal_rate"], 0.5);
  EXPECT_EQ(j["action_mix"]["breadth"]["share"], 0.5);
  EXPECT_EQ(j["queries_per_kept_sample"], 5.0);
  EXPECT_TRUE(j["rouge_l_nn"]["mean"].is_null());  // one kept sample: no neighbour
  std::string table = FormatMetricsTable(*m, path);
  EXPECT_THAT(table, HasSubstr("elimination rate           50.0 %"));
  EXPECT_THAT(table, HasSubstr("  action: deepening        50.0 % (1)"));

  std::string out = TempPath("m.json");
  ASSERT_TRUE(WriteJsonFile(j, out, false).ok());
  EXPECT_EQ(WriteJsonFile(j, out, false).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(WriteJsonFile(j, out, true).ok());
  std::ifstream in(out);
  EXPECT_EQ(json::parse(in), j);
  std::filesystem::remove(path);
  std::filesystem::remove(out);
}

// Every expected value below is worked out by hand from the four fixture lines.
// ROUGE tokens of the instructions (eval_rouge.h):
//   0 make a packing list for a weekend hike      (8)
//   1 sort the numbers from smallest to largest   (7)
//   2 make a packing list for a beach day         (8)
//   3 which word does not belong with the others  (8)
// LCS(0,2) = "make a packing list for a" = 6, F = 2*6/16 = 0.75; LCS(1,3) = "the" = 1,
// F = 2/15; every other pair shares no token. Nearest neighbours: 0.75, 2/15, 0.75, 2/15,
// mean = (1.5 + 4/15) / 4 = 53/120; share >= 0.7 = 2/4.
// Unigrams: 31 in all, 23 distinct (7 + 7 + 2 new in instruction 2 + 7 with "the" repeated);
// bigrams: 27 in all, 22 distinct (7 + 6 + 2 + 7: instruction 2 repeats the first five of
// 0). Output words (whitespace): 5, 3, 3, 1: mean 3, median 3, p90 = 3 + 0.7 * (5 - 3) =
// 4.4, max 5. Instruction words 8, 7, 8, 8: mean 7.75. Two of four have an input.
TEST(EvalTest, SelfInstructLayoutByHand) {
  NeighbourOptions options;
  options.mode = NeighbourMode::kExact;
  Result<DatasetMetrics> m = EvaluateDataset(kFixture, SelfInstructFields(), options);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->records, 4);
  EXPECT_EQ(m->kept, 4);
  EXPECT_DOUBLE_EQ(m->instruction_words.mean, 7.75);
  EXPECT_DOUBLE_EQ(m->output_words.mean, 3.0);
  EXPECT_DOUBLE_EQ(m->output_words.median, 3.0);
  EXPECT_DOUBLE_EQ(m->output_words.p90, 4.4);
  EXPECT_DOUBLE_EQ(m->output_words.max, 5.0);
  EXPECT_DOUBLE_EQ(m->input_share, 0.5);
  EXPECT_DOUBLE_EQ(*m->distinct_1, 23.0 / 31.0);
  EXPECT_DOUBLE_EQ(*m->distinct_2, 22.0 / 27.0);
  EXPECT_FALSE(m->rouge_approximate);
  EXPECT_DOUBLE_EQ(*m->rouge_nn_mean, 53.0 / 120.0);
  EXPECT_DOUBLE_EQ(*m->rouge_nn_share_ge_threshold, 0.5);
  // No provenance fields in this layout: the method's own signals are n/a.
  EXPECT_FALSE(m->elimination_rate.has_value());
  EXPECT_FALSE(m->not_equal_rate.has_value());
  EXPECT_TRUE(m->action_counts.empty());
  EXPECT_FALSE(m->queries_per_kept.has_value());

  // Every pair with a non-zero score shares a feature seen twice ("make a", "the"), so the
  // approximate search finds the same neighbours.
  options.mode = NeighbourMode::kApprox;
  Result<DatasetMetrics> approx = EvaluateDataset(kFixture, SelfInstructFields(), options);
  ASSERT_TRUE(approx.ok());
  EXPECT_TRUE(approx->rouge_approximate);
  EXPECT_DOUBLE_EQ(*approx->rouge_nn_mean, 53.0 / 120.0);
}

// The same on the real set, when it is available (opt-in: external_data.h).
TEST(EvalTest, SelfInstructSeedsThroughFieldMapping) {
  TEAMSRL_EXTERNAL_DATA_OR_SKIP(self_instruct, "self_instruct_seed_tasks.jsonl");
  NeighbourOptions options;
  options.mode = NeighbourMode::kExact;
  Result<DatasetMetrics> exact = EvaluateDataset(self_instruct, SelfInstructFields(), options);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->records, 175);
  EXPECT_EQ(exact->kept, 175);
  EXPECT_GT(exact->output_words.mean, 10);
  // Hand-written seeds are diverse: low nearest-neighbour overlap, no near-duplicates.
  EXPECT_LT(*exact->rouge_nn_mean, 0.5);
  EXPECT_LT(*exact->rouge_nn_share_ge_threshold, 0.05);
  json j = MetricsToJson(*exact, self_instruct);
  EXPECT_TRUE(j["elimination_rate"].is_null());
  EXPECT_TRUE(j["action_mix"].is_null());
  EXPECT_TRUE(j["queries_per_kept_sample"].is_null());
  EXPECT_THAT(FormatMetricsTable(*exact, self_instruct),
              HasSubstr("Not-Equal rate             n/a"));

  options.mode = NeighbourMode::kApprox;
  Result<DatasetMetrics> approx = EvaluateDataset(self_instruct, SelfInstructFields(), options);
  ASSERT_TRUE(approx.ok());
  EXPECT_TRUE(approx->rouge_approximate);
  EXPECT_LE(*approx->rouge_nn_mean, *exact->rouge_nn_mean + 1e-12);
  EXPECT_GT(*approx->rouge_nn_mean, 0.8 * *exact->rouge_nn_mean);

  io::DatasetFields wrong;
  wrong.instruction = "Instruction";  // Self-Instruct's field is lower-case
  EXPECT_THAT(EvaluateDataset(self_instruct, wrong, {}).status().message(),
              HasSubstr("self_instruct_seed_tasks.jsonl:1: field 'Instruction' is missing"));
}

TEST(EvalTest, MissingFileAndBadLinesAreErrors) {
  EXPECT_EQ(EvaluateDataset(TempPath("nope.jsonl"), {}, {}).status().code(), StatusCode::kNotFound);
  io::DatasetFields wrong;
  wrong.instruction = "Instruction";  // the layout's field is lower-case
  EXPECT_THAT(EvaluateDataset(kFixture, wrong, {}).status().message(),
              HasSubstr("self_instruct_style.jsonl:1: field 'Instruction' is missing"));
}

}  // namespace
}  // namespace teamsrl::eval
