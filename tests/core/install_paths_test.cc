#include "core/install_paths.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace teamsrl {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(InstallPathsTest, CandidatesInOrderNormalised) {
  // Written out by hand: /opt/x/bin/teamsrl -> /opt/x/bin/.. = /opt/x, /opt/x/bin/../.. = /opt.
  EXPECT_THAT(DefaultPromptsCandidates("/cfg/./experiments/prompts", "/opt/x/bin/teamsrl"),
              ElementsAre("/cfg/experiments/prompts", "/opt/x/share/teamsrl/prompts",
                          "/opt/experiments/prompts"));
  // No executable path known: only the config-relative place.
  EXPECT_THAT(DefaultPromptsCandidates("/cfg/experiments/prompts", ""),
              ElementsAre("/cfg/experiments/prompts"));
}

class InstallTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "teamsrl_install_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ / "cfg");
    fs::create_directories(root_ / "prefix" / "bin");
    fs::create_directories(root_ / "src" / "build" / "bin");
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string P(const fs::path& rel) const { return (root_ / rel).string(); }

  fs::path root_;
};

TEST_F(InstallTreeTest, ConfigRelativeWinsWhenPresent) {
  fs::create_directories(root_ / "cfg" / "experiments" / "prompts");
  fs::create_directories(root_ / "prefix" / "share" / "teamsrl" / "prompts");
  Result<std::string> r =
      FindDefaultPromptsDir(P("cfg/experiments/prompts"), P("prefix/bin/teamsrl"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, P("cfg/experiments/prompts"));
}

TEST_F(InstallTreeTest, InstalledShareDirBesideBin) {
  fs::create_directories(root_ / "prefix" / "share" / "teamsrl" / "prompts");
  Result<std::string> r =
      FindDefaultPromptsDir(P("cfg/experiments/prompts"), P("prefix/bin/teamsrl"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, P("prefix/share/teamsrl/prompts"));
}

TEST_F(InstallTreeTest, BuildTreeFindsTheSourceExperiments) {
  // SOURCE/build/bin/teamsrl -> SOURCE/experiments/prompts.
  fs::create_directories(root_ / "src" / "experiments" / "prompts");
  Result<std::string> r =
      FindDefaultPromptsDir(P("cfg/experiments/prompts"), P("src/build/bin/teamsrl"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, P("src/experiments/prompts"));
}

TEST_F(InstallTreeTest, AFileIsNotADirectory) {
  fs::create_directories(root_ / "prefix" / "share" / "teamsrl");
  { std::ofstream(root_ / "prefix" / "share" / "teamsrl" / "prompts") << "x"; }
  Result<std::string> r =
      FindDefaultPromptsDir(P("cfg/experiments/prompts"), P("prefix/bin/teamsrl"));
  EXPECT_FALSE(r.ok());
}

TEST_F(InstallTreeTest, NoneFoundNamesEveryPlaceTried) {
  Result<std::string> r =
      FindDefaultPromptsDir(P("cfg/experiments/prompts"), P("prefix/bin/teamsrl"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "prompt templates not found; tried " +
                                      P("cfg/experiments/prompts") + ", " +
                                      P("prefix/share/teamsrl/prompts") + ", " +
                                      (root_ / "experiments" / "prompts").string());
}

TEST_F(InstallTreeTest, ShippedFilesAreFoundInstalledThenInTheSourceTree) {
  // The SLURM template and the analysis package: PREFIX/share/teamsrl/X wins over SOURCE/X.
  fs::create_directories(root_ / "src" / "slurm");
  { std::ofstream(root_ / "src" / "slurm" / "sweep.sbatch") << "#!/bin/bash\n"; }
  Result<std::string> tree =
      FindShipped(P("src/build/bin/teamsrl"), "slurm/sweep.sbatch", "slurm/sweep.sbatch");
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ(*tree, P("src/slurm/sweep.sbatch"));
  fs::create_directories(root_ / "src" / "share" / "teamsrl" / "analysis");
  Result<std::string> installed = FindShipped(P("src/bin/teamsrl"), "analysis", "analysis");
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_EQ(*installed, P("src/share/teamsrl/analysis"));
  Result<std::string> none = FindShipped(P("src/bin/teamsrl"), "nothing", "nothing");
  EXPECT_EQ(none.status().message(), "nothing not found; tried " + P("src/share/teamsrl/nothing") +
                                         ", " + (root_ / "nothing").string());
  EXPECT_EQ(FindShipped("", "analysis", "analysis").status().code(), StatusCode::kNotFound);
}

TEST(InstallPathsTest, RunningExecutableIsThisTest) {
  // gtest binaries are named after their layer: this one is core_test.
  const std::string exe = RunningExecutablePath();
  ASSERT_FALSE(exe.empty());
  EXPECT_EQ(fs::path(exe).filename(), "core_test");
  EXPECT_TRUE(fs::path(exe).is_absolute());
  EXPECT_THAT(exe, HasSubstr("/bin/"));
}

}  // namespace
}  // namespace teamsrl
