#include "io/eval_group.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>

#include "io/attributes.h"
#include "io/hdf5_handle.h"
#include "io/run_file.h"

namespace teamsrl::io {
namespace {

class EvalGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("teamsrl_eval_group_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "run.h5").string();
    Result<RunFile> f = RunFile::Create(path_, RootAttributes{});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE(f->Finish(RunStatus::kCompleted).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(EvalGroupTest, WritesFlattenedMetricsAndJsonAndReplaces) {
  nlohmann::json m = {
      {"records", 7},         {"distinct_1", 0.25},
      {"rouge", nullptr},     {"approximate", true},
      {"dataset", "d.jsonl"}, {"elimination_reasons", {{"equal", 3}, {"sorry", 1}}}};
  ASSERT_TRUE(WriteEvalGroup(path_, "dataset", m).ok());
  m["records"] = 8;
  ASSERT_TRUE(WriteEvalGroup(path_, "dataset", m).ok());  // replaces

  FileId file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);
  GroupId g(H5Gopen2(file.get(), "/eval/dataset", H5P_DEFAULT));
  ASSERT_TRUE(g);
  EXPECT_EQ(*ReadInt64Attribute(g.get(), "records"), 8);
  EXPECT_EQ(*ReadFloat64Attribute(g.get(), "distinct_1"), 0.25);
  EXPECT_EQ(*ReadInt64Attribute(g.get(), "approximate"), 1);
  EXPECT_EQ(*ReadStringAttribute(g.get(), "dataset"), "d.jsonl");
  EXPECT_EQ(*ReadInt64Attribute(g.get(), "elimination_reasons.equal"), 3);
  EXPECT_FALSE(HasAttribute(g.get(), "rouge"));  // n/a is left out
  EXPECT_EQ(nlohmann::json::parse(*ReadStringAttribute(g.get(), "json")), m);
  // The run's own attributes are untouched.
  EXPECT_EQ(*ReadStringAttribute(file.get(), "status"), "completed");
}

TEST_F(EvalGroupTest, ErrorsNameTheFile) {
  Status missing = WriteEvalGroup((dir_ / "none.h5").string(), "dataset", {});
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("none.h5"), std::string::npos);
  EXPECT_EQ(WriteEvalGroup(path_, "a/b", {}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace teamsrl::io
