#include "io/run_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "io/attributes.h"
#include "test_util.h"

namespace teamsrl::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RunReaderTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(RunReaderTest, ReadsRootAttributesAndEnumTables) {
  const std::string path = dir_.File("run.h5");
  RootAttributes a;
  a.run_name = "reader";
  a.command = "teamsrl train x.yaml";
  a.config_yaml = "run: {name: reader}\n";
  a.seed = 123;
  a.world_size = 2;
  a.actors = 6;
  a.hostnames = "h1";
  a.slurm_job_id = "77";
  a.slurm_array_task_id = "5";
  a.started_at = "2024-01-02T03:04:05Z";
  a.action_names = {"x", "y"};
  a.endpoint_names = {"local"};
  a.reason_names = {"kept"};
  {
    auto run = RunFile::Create(path, a);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    ASSERT_TRUE(run->SetStatus(RunStatus::kBudgetExhausted).ok());
  }
  auto info = ReadRunInfo(path);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->schema_version, 1);
  EXPECT_EQ(info->status, "budget_exhausted");
  EXPECT_EQ(info->finished_at, "");
  const RootAttributes& r = info->root;
  EXPECT_EQ(r.run_name, "reader");
  EXPECT_EQ(r.teamsrl_version, Version());
  EXPECT_EQ(r.command, a.command);
  EXPECT_EQ(r.config_yaml, a.config_yaml);
  EXPECT_EQ(r.seed, 123u);
  EXPECT_EQ(r.world_size, 2);
  EXPECT_EQ(r.actors, 6);
  EXPECT_EQ(r.hostnames, "h1");
  EXPECT_EQ(r.slurm_job_id, "77");
  EXPECT_EQ(r.slurm_array_task_id, "5");
  EXPECT_EQ(r.started_at, "2024-01-02T03:04:05Z");
  EXPECT_THAT(r.action_names, ElementsAre("x", "y"));
  EXPECT_THAT(r.role_names, ElementsAre("rewriter", "reviewer", "responder"));
  EXPECT_THAT(r.endpoint_names, ElementsAre("local"));
  EXPECT_THAT(r.reason_names, ElementsAre("kept"));
  EXPECT_TRUE(ListPolicies(path)->empty());
}

TEST_F(RunReaderTest, MissingFile) {
  const std::string path = dir_.File("absent.h5");
  auto info = ReadRunInfo(path);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(info.status().message(), "run file " + path + " does not exist");
}

TEST_F(RunReaderTest, RunFileCompletedOnlyForACompletedFile) {
  const std::string path = dir_.File("run.h5");
  EXPECT_FALSE(RunFileCompleted(path));  // missing
  {
    auto run = RunFile::Create(path, RootAttributes{});
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    ASSERT_TRUE(run->Flush().ok());
    EXPECT_FALSE(RunFileCompleted(path));  // running
    ASSERT_TRUE(run->Finish(RunStatus::kFailed).ok());
  }
  EXPECT_FALSE(RunFileCompleted(path));
  auto run = RunFile::OpenForResume(path, RowCounts{});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_TRUE(run->Finish(RunStatus::kCompleted).ok());
  EXPECT_TRUE(RunFileCompleted(path));
}

TEST_F(RunReaderTest, NotAnHdf5File) {
  const std::string path = dir_.File("notes.txt");
  std::ofstream(path) << "just text\n";
  auto info = ReadRunInfo(path);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(info.status().message(), path + " is not an HDF5 file");
}

TEST_F(RunReaderTest, Directory) {
  auto info = ReadRunInfo(dir_.path());
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(info.status().message(), HasSubstr("is a directory"));
}

TEST_F(RunReaderTest, HdfButNotATeamsrlRunFile) {
  const std::string path = dir_.File("other.h5");
  {
    FileId file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    ASSERT_TRUE(WriteStringAttribute(file.get(), "creator", "someone else").ok());
  }
  auto info = ReadRunInfo(path);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(info.status().message(), HasSubstr(path));
  EXPECT_THAT(info.status().message(), HasSubstr("not a teamsrl run file"));
}

TEST_F(RunReaderTest, NewerSchemaIsRejected) {
  const std::string path = dir_.File("future.h5");
  {
    auto run = RunFile::Create(path, RootAttributes{});
    ASSERT_TRUE(run.ok());
    ASSERT_TRUE(run->SetAttribute("schema_version", int64_t{2}).ok());
  }
  auto info = ReadRunInfo(path);
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(info.status().message(), HasSubstr("schema_version 2"));
}

}  // namespace
}  // namespace teamsrl::io
