#include "io/dataset_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace teamsrl::io {
namespace {

std::string TempDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("teamsrl_dw_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SampleLine Sample(int64_t id) {
  SampleLine s;
  s.instruction = "Cook rice \"fast\"\n#" + std::to_string(id);
  s.input = "in";
  s.output = "out";
  s.seed_index = id / 6;
  s.step = id % 6;
  s.action = "deepening";
  s.parent = id - 1;
  s.sample_id = id;
  s.eliminated = id % 2 == 1;
  s.reason = s.eliminated ? "sorry" : "none";
  if (id % 3 == 0) s.not_equal = true;
  s.queries = 2;
  return s;
}

TEST(GenerateDatasetWriterTest, SampleLineRoundTrips) {
  for (int64_t id = 0; id < 4; ++id) {
    const std::string json = SampleLineJson(Sample(id), "step");
    ASSERT_EQ(json.back(), '\n');
    EXPECT_EQ(json.find('\n'), json.size() - 1);  // one line
    Result<SampleLine> back = ParseSampleLine(json, "step");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(SampleLineJson(*back, "step"), json);
  }
  EXPECT_NE(SampleLineJson(Sample(0), "round").find("\"round\":0"), std::string::npos);
  EXPECT_FALSE(ParseSampleLine("{\"instruction\": 1}", "step").ok());
  // A seed the baseline keeps has no action (null); malformed_reply is written when true.
  SampleLine seed = Sample(0);
  seed.action = "";
  seed.malformed_reply = true;
  const std::string json = SampleLineJson(seed, "round");
  EXPECT_NE(json.find("\"action\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"malformed_reply\":true"), std::string::npos) << json;
  EXPECT_EQ(SampleLineJson(Sample(0), "round").find("malformed_reply"), std::string::npos);
  Result<SampleLine> back = ParseSampleLine(json, "round");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->action, "");
  EXPECT_TRUE(back->malformed_reply);
}

TEST(GenerateDatasetWriterTest, CommitsAndResumesAtTheCommitPoint) {
  const std::string dir = TempDir("resume");
  const std::string a = SampleLineJson(Sample(0), "step"), b = SampleLineJson(Sample(1), "step");
  {
    Result<DatasetWriter> w = DatasetWriter::Open(dir, "fp", false);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_FALSE(w->resumed());
    ASSERT_TRUE(w->Commit(a, "calls1", 1, 1).ok());
  }
  // A crash after appending more but before the commit point moved.
  {
    std::ofstream(dir + "/dataset.jsonl", std::ios::app) << b << "{\"partial";
    std::ofstream(dir + "/calls.bin", std::ios::app) << "garbage";
  }
  Result<DatasetWriter> w = DatasetWriter::Open(dir, "fp", false);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(w->resumed());
  EXPECT_EQ(w->committed().next_seed, 1);
  EXPECT_EQ(w->committed().samples, 1);
  EXPECT_EQ(ReadAll(dir + "/dataset.jsonl"), a);
  ASSERT_TRUE(w->Commit(b, "c2", 2, 1).ok());
  ASSERT_TRUE(w->MarkComplete().ok());
  EXPECT_EQ(ReadAll(dir + "/dataset.jsonl"), a + b);
  std::vector<std::string> blocks;
  ASSERT_TRUE(
      ForEachCallBlock(dir + "/calls.bin", w->committed().calls_bytes, [&](std::string_view blk) {
        blocks.emplace_back(blk);
        return OkStatus();
      }).ok());
  EXPECT_EQ(blocks, (std::vector<std::string>{"calls1", "c2"}));
  EXPECT_TRUE(w->committed().complete);
  std::filesystem::remove_all(dir);
}

TEST(GenerateDatasetWriterTest, RemovesTheJournalOnlyOnceComplete) {
  const std::string dir = TempDir("journal");
  const std::string a = SampleLineJson(Sample(0), "step");
  const std::string journal = dir + "/calls.bin";
  {
    Result<DatasetWriter> w = DatasetWriter::Open(dir, "fp", false);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE(w->Commit(a, "calls1", 1, 1).ok());
    ASSERT_TRUE(w->RemoveJournal().ok());  // not complete: a rerun resumes from it
    EXPECT_TRUE(std::filesystem::exists(journal));
    EXPECT_FALSE(w->journal_removed());
    ASSERT_TRUE(w->MarkComplete().ok());
    ASSERT_TRUE(w->RemoveJournal().ok());
    EXPECT_FALSE(std::filesystem::exists(journal));
    EXPECT_TRUE(w->journal_removed());
  }
  // Reopening the complete run neither needs nor recreates it.
  {
    Result<DatasetWriter> w = DatasetWriter::Open(dir, "fp", false);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_TRUE(w->resumed());
    EXPECT_TRUE(w->journal_removed());
    EXPECT_FALSE(std::filesystem::exists(journal));
    EXPECT_EQ(ReadAll(dir + "/dataset.jsonl"), a);
  }
  // Starting over writes a new one.
  Result<DatasetWriter> w = DatasetWriter::Open(dir, "fp", true);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_FALSE(w->journal_removed());
  EXPECT_TRUE(std::filesystem::exists(journal));
  std::filesystem::remove_all(dir);
}

TEST(GenerateDatasetWriterTest, RefusesAnotherRunsDirectoryUnlessOverwriting) {
  const std::string dir = TempDir("other");
  {
    Result<DatasetWriter> w = DatasetWriter::Open(dir, "fp1", false);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->Commit("x\n", "", 1, 1).ok());
  }
  Result<DatasetWriter> other = DatasetWriter::Open(dir, "fp2", false);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  Result<DatasetWriter> fresh = DatasetWriter::Open(dir, "fp2", true);
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh->resumed());
  EXPECT_EQ(ReadAll(dir + "/dataset.jsonl"), "");
  std::filesystem::remove_all(dir);
}

TEST(GenerateDatasetWriterTest, RefusesAStrayDatasetWithoutProgress) {
  const std::string dir = TempDir("stray");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/dataset.jsonl") << "{}\n";
  Result<DatasetWriter> w = DatasetWriter::Open(dir, "fp", false);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kFailedPrecondition);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace teamsrl::io
