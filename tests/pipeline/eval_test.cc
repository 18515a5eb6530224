#include "pipeline/eval.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace teamsrl::pipeline {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::string kSelfInstruct =
    std::string(TEAMSRL_SHARED_DATA_DIR) + "/self_instruct_seed_tasks.jsonl";

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
  ASSERT_TRUE(WriteJsonFile(j, out).ok());
  std::ifstream in(out);
  EXPECT_EQ(json::parse(in), j);
  std::filesystem::remove(path);
  std::filesystem::remove(out);
}

TEST(EvalTest, SelfInstructSeedsThroughFieldMapping) {
  io::DatasetFields fields;
  fields.input = "instances[0].input";
  fields.output = "instances[0].output";
  NeighbourOptions options;
  options.mode = NeighbourMode::kExact;
  Result<DatasetMetrics> exact = EvaluateDataset(kSelfInstruct, fields, options);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->records, 175);
  EXPECT_EQ(exact->kept, 175);
  EXPECT_GT(exact->output_words.mean, 10);
  // Hand-written seeds are diverse: low nearest-neighbour overlap, no near-duplicates.
  EXPECT_LT(*exact->rouge_nn_mean, 0.5);
  EXPECT_LT(*exact->rouge_nn_share_ge_threshold, 0.05);
  json j = MetricsToJson(*exact, kSelfInstruct);
  EXPECT_TRUE(j["elimination_rate"].is_null());
  EXPECT_TRUE(j["action_mix"].is_null());
  EXPECT_TRUE(j["queries_per_kept_sample"].is_null());
  EXPECT_THAT(FormatMetricsTable(*exact, kSelfInstruct),
              HasSubstr("Not-Equal rate             n/a"));

  options.mode = NeighbourMode::kApprox;
  Result<DatasetMetrics> approx = EvaluateDataset(kSelfInstruct, fields, options);
  ASSERT_TRUE(approx.ok());
  EXPECT_TRUE(approx->rouge_approximate);
  EXPECT_LE(*approx->rouge_nn_mean, *exact->rouge_nn_mean + 1e-12);
  EXPECT_GT(*approx->rouge_nn_mean, 0.8 * *exact->rouge_nn_mean);
}

TEST(EvalTest, MissingFileAndBadLinesAreErrors) {
  EXPECT_EQ(EvaluateDataset(TempPath("nope.jsonl"), {}, {}).status().code(), StatusCode::kNotFound);
  io::DatasetFields wrong;
  wrong.instruction = "Instruction";  // Self-Instruct's field is lower-case
  EXPECT_THAT(EvaluateDataset(kSelfInstruct, wrong, {}).status().message(),
              HasSubstr("self_instruct_seed_tasks.jsonl:1: field 'Instruction' is missing"));
}

}  // namespace
}  // namespace teamsrl::pipeline
