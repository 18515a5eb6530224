#include "io/dataset_export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../external_data.h"
#include "test_util.h"

namespace teamsrl::io {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::TempDir;

constexpr const char* kDataset =
    R"({"instruction": "Name a prime.", "input": "", "output": "7", "seed_index": 0, "step": 0, "action": "breadth", "eliminated": false, "reason": null, "not_equal": true, "queries": 2}
{"instruction": "Sum the list.", "input": "1, 2, 3", "output": "6", "action": "deepening", "eliminated": false, "not_equal": true, "queries": 2}

{"instruction": "Sorry prompt", "input": "", "output": "Sorry, I can't.", "action": 3, "eliminated": true, "reason": "sorry", "not_equal": false, "queries": 3}
)";

std::string Write(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.File(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

TEST(DatasetReaderTest, ReadsTextAndProvenance) {
  TempDir dir;
  Result<std::unique_ptr<DatasetReader>> reader =
      DatasetReader::Open(Write(dir, "d.jsonl", kDataset), DatasetFields{});
  ASSERT_TRUE(reader.ok());
  DatasetRecord r;
  ASSERT_TRUE(*(*reader)->Next(&r));
  EXPECT_EQ(r.line, 1);
  EXPECT_EQ(r.instruction, "Name a prime.");
  EXPECT_EQ(r.output, "7");
  EXPECT_EQ(r.action, "breadth");
  EXPECT_EQ(r.eliminated, false);
  EXPECT_EQ(r.reason, std::nullopt);  // null
  EXPECT_EQ(r.not_equal, true);
  EXPECT_EQ(r.queries, 2);
  ASSERT_TRUE(*(*reader)->Next(&r));
  EXPECT_EQ(r.input, "1, 2, 3");
  ASSERT_TRUE(*(*reader)->Next(&r));
  EXPECT_EQ(r.line, 4);  // the blank line is skipped but counted
  EXPECT_EQ(r.action, "3");
  EXPECT_EQ(r.reason, "sorry");
  EXPECT_FALSE(*(*reader)->Next(&r));
}

TEST(DatasetReaderTest, AbsentProvenanceStaysUnset) {
  TempDir dir;
  auto reader =
      DatasetReader::Open(Write(dir, "d.jsonl", R"({"instruction": "x"})"), DatasetFields{});
  ASSERT_TRUE(reader.ok());
  DatasetRecord r;
  ASSERT_TRUE(*(*reader)->Next(&r));
  EXPECT_EQ(r.input, "");
  EXPECT_EQ(r.output, "");
  EXPECT_FALSE(r.eliminated.has_value());
  EXPECT_FALSE(r.not_equal.has_value());
  EXPECT_FALSE(r.action.has_value());
  EXPECT_FALSE(r.queries.has_value());
}

TEST(DatasetReaderTest, MalformedLinesNameFileAndLine) {
  TempDir dir;
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"{\"instruction\": \"a\"}\n{oops}\n", ":2: invalid JSON"},
           {"{\"instruction\": 1}\n", ":1: field 'instruction' is not a string"},
           {"{\"prompt\": \"a\"}\n", ":1: field 'instruction' is missing"},
           {"{\"instruction\": \"a\", \"output\": 5}\n", ":1: field 'output' is not a string"},
           {"[\n{\"instruction\": \"a\"}\n]\n", "JSON array?"}}) {
    std::string path = Write(dir, "bad.jsonl", text);
    auto reader = DatasetReader::Open(path, DatasetFields{});
    ASSERT_TRUE(reader.ok());
    DatasetRecord r;
    Result<bool> got = true;
    while (got.ok() && *got) got = (*reader)->Next(&r);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_THAT(got.status().message(), HasSubstr(expected));
  }
}

TEST(DatasetExportTest, AlpacaLeavesOutEliminatedByDefault) {
  TempDir dir;
  std::string in = Write(dir, "d.jsonl", kDataset);
  std::string out = dir.File("alpaca.json");
  Result<ExportReport> report = ExportDataset(in, out, ExportOptions{});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->read, 3);
  EXPECT_EQ(report->written, 2);
  EXPECT_EQ(report->excluded, 1);
  json j = ReadJson(out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1], (json{{"instruction", "Sum the list."}, {"input", "1, 2, 3"}, {"output", "6"}}));
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));

  ExportOptions all;
  all.include_eliminated = true;
  Result<ExportReport> refused = ExportDataset(in, out, all);  // an existing file is kept
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("--overwrite"));
  EXPECT_EQ(ReadJson(out).size(), 2u);
  all.overwrite = true;
  ASSERT_TRUE(ExportDataset(in, out, all).ok());
  EXPECT_EQ(ReadJson(out).size(), 3u);
}

TEST(DatasetExportTest, ShareGptJoinsInstructionAndInput) {
  TempDir dir;
  std::string out = dir.File("sharegpt.json");
  ExportOptions options;
  options.format = *ParseExportFormat("sharegpt");
  ASSERT_TRUE(ExportDataset(Write(dir, "d.jsonl", kDataset), out, options).ok());
  json j = ReadJson(out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["conversations"][0], (json{{"from", "human"}, {"value", "Name a prime."}}));
  EXPECT_EQ(j[0]["conversations"][1], (json{{"from", "gpt"}, {"value", "7"}}));
  EXPECT_EQ(j[1]["conversations"][0]["value"], "Sum the list.\n\n1, 2, 3");
  EXPECT_FALSE(ParseExportFormat("openai").ok());
}

TEST(DatasetExportTest, EmptyDatasetIsAnEmptyArrayAndErrorsLeaveNoFile) {
  TempDir dir;
  std::string out = dir.File("e.json");
  ASSERT_TRUE(ExportDataset(Write(dir, "e.jsonl", "\n"), out, ExportOptions{}).ok());
  EXPECT_EQ(ReadJson(out), json::array());
  std::string bad_out = dir.File("bad.json");
  EXPECT_FALSE(
      ExportDataset(Write(dir, "b.jsonl", "{\"instruction\": \"a\"}\nnope\n"), bad_out, {}).ok());
  EXPECT_FALSE(std::filesystem::exists(bad_out));
  EXPECT_FALSE(std::filesystem::exists(bad_out + ".tmp"));
}

// Our own fixture in Self-Instruct's layout (tests/data/README.md); the expected records are
// its lines, mapped by hand.
TEST(DatasetExportTest, MapsNestedFieldsOfSelfInstructLayout) {
  TempDir dir;
  ExportOptions options;
  options.fields.input = "instances[0].input";
  options.fields.output = "instances[0].output";
  std::string out = dir.File("si.json");
  Result<ExportReport> report = ExportDataset(
      std::string(TEAMSRL_TEST_DATA_DIR) + "/self_instruct_style.jsonl", out, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->read, 4);
  EXPECT_EQ(report->written, 4);
  EXPECT_EQ(report->excluded, 0);
  json j = ReadJson(out);
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0], (json{{"instruction", "Make a packing list for a weekend hike."},
                        {"input", ""},
                        {"output", "Boots, water, map, rain jacket."}}));
  EXPECT_EQ(j[1], (json{{"instruction", "Sort the numbers from smallest to largest."},
                        {"input", "9, 2, 5"},
                        {"output", "2, 5, 9"}}));
  EXPECT_EQ(j[3]["output"], "hammer");
}

// The same on the real set, when it is available (opt-in: external_data.h).
TEST(DatasetExportTest, MapsFieldsOfSelfInstructSeeds) {
  TEAMSRL_EXTERNAL_DATA_OR_SKIP(path, "self_instruct_seed_tasks.jsonl");
  TempDir dir;
  ExportOptions options;
  options.fields.input = "instances[0].input";
  options.fields.output = "instances[0].output";
  std::string out = dir.File("si.json");
  Result<ExportReport> report = ExportDataset(path, out, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->written, 175);
  json j = ReadJson(out);
  EXPECT_THAT(j[0]["output"].get<std::string>(), HasSubstr("oatmeal"));
}

}  // namespace
}  // namespace teamsrl::io
