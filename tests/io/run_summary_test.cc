#include "io/run_summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "io/run_file.h"
#include "test_util.h"

namespace teamsrl::io {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 12 iterations with mean_return = iteration / 10 except a best of 5.0 at iteration 7;
// steps with actions {0: 2, 1: 1, 2: 1}; calls: 3 rewriter (one failed UNAVAILABLE),
// 2 reviewer (one cached), 0 responder.
void WriteKnownRun(const std::string& path, RunStatus status) {
  RootAttributes a;
  a.config_yaml = "llm:\n  name: not-this\nrun:\n  seed: 1\n  name: \"known-run\"  # comment\n";
  a.command = "teamsrl train known.yaml";
  a.world_size = 2;
  a.actors = 4;
  a.seed = 99;
  a.started_at = "2024-01-01T00:00:00Z";
  a.action_names = {"add_constraints", "deepening", "concretizing"};
  a.endpoint_names = {"sim"};
  auto run = RunFile::Create(path, a);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  std::vector<IterationRow> iterations;
  for (int i = 0; i < 12; ++i) {
    IterationRow row;
    row.iteration = i;
    row.episodes = 4;
    row.steps = 16;
    row.mean_return = i == 7 ? 5.0 : i / 10.0;
    iterations.push_back(row);
  }
  run->AppendIterations(iterations);
  run->AppendSteps({StepRow{0, 0, 0, 0, 0}, StepRow{0, 0, 0, 1, 0}, StepRow{0, 0, 0, 2, 1},
                    StepRow{0, 0, 0, 3, 2}});
  CallRow ok{0, 0, 0, 0, 200, 1, 10.0, 100, 20, 0, 0, -1};
  CallRow failed = ok;
  failed.status = static_cast<int32_t>(StatusCode::kUnavailable);
  failed.prompt_tokens = 0;
  failed.completion_tokens = 0;
  CallRow review{0, 0, 1, 0, 200, 1, 10.0, 50, 2, 1, 0, -1};
  run->AppendCalls({ok, ok, failed, review, review});
  run->AppendCalls({});
  ASSERT_TRUE(run->WriteBudget({BudgetRow{3, 5, 300, 44, 1.5, 100, 0, 10.0}}).ok());
  ASSERT_TRUE(run->Finish(status).ok());
}

TEST(RunSummaryTest, SummarizesAKnownRun) {
  testing::TempDir dir;
  const std::string path = dir.File("run.h5");
  WriteKnownRun(path, RunStatus::kCompleted);
  auto summary = SummarizeRunFile(path);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  const std::string& s = *summary;
  SCOPED_TRACE(s);
  EXPECT_THAT(s, HasSubstr("run               known-run\n"));
  EXPECT_THAT(s, HasSubstr("status            completed\n"));
  EXPECT_THAT(s, HasSubstr("started           2024-01-01T00:00:00Z\n"));
  EXPECT_THAT(s, Not(HasSubstr("finished          -")));
  EXPECT_THAT(s, HasSubstr("ranks / actors    2 / 4\n"));
  EXPECT_THAT(s, HasSubstr("iterations        12 (last: iteration 11)\n"));
  EXPECT_THAT(s, HasSubstr("episodes / steps  48 / 192\n"));
  // first 10: (0 + 0.1 + ... + 0.6 + 5.0 + 0.8 + 0.9) / 10 = 8.8 / 10;
  // last 10: iterations 2..11: (0.2 + ... + 0.6 + 5.0 + 0.8 + ... + 1.1) / 10 = 10.8 / 10.
  EXPECT_THAT(s, HasSubstr("first 10: 0.8800   last 10: 1.0800   best: 5.0000 (iteration 7)"));
  EXPECT_THAT(s, HasSubstr("action mix over 4 steps\n"));
  EXPECT_THAT(s, HasSubstr("add_constraints         2   50.0%\n"));
  EXPECT_THAT(s, HasSubstr("deepening               1   25.0%\n"));
  EXPECT_THAT(s, HasSubstr("concretizing            1   25.0%\n"));
  EXPECT_THAT(
      s,
      HasSubstr("  rewriter           3            200                 40         0         1\n"));
  EXPECT_THAT(
      s,
      HasSubstr("  reviewer           2            100                  4         2         0\n"));
  EXPECT_THAT(
      s,
      HasSubstr("  responder          0              0                  0         0         0\n"));
  EXPECT_THAT(
      s,
      HasSubstr("  total              5            300                 44         2         1\n"));
  EXPECT_THAT(s, HasSubstr("failed calls      1 of 5 (20.0%): UNAVAILABLE 1\n"));
  EXPECT_THAT(
      s, HasSubstr(
             "budget used       queries 5 of 100, tokens 344 (no limit), cost $1.50 of $10.00\n"));
}

TEST(RunSummaryTest, EmptyLiveRun) {
  testing::TempDir dir;
  const std::string path = dir.File("run.h5");
  auto run = RunFile::Create(path, RootAttributes{});
  ASSERT_TRUE(run.ok());
  auto summary = SummarizeRunFile(path);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_THAT(*summary, HasSubstr("run               (unnamed)\n"));
  EXPECT_THAT(*summary,
              HasSubstr("status            running (live, or killed before finishing)\n"));
  EXPECT_THAT(*summary, HasSubstr("finished          -\n"));
  EXPECT_THAT(*summary, HasSubstr("iterations        0\n"));
  EXPECT_THAT(*summary, HasSubstr("failed calls      0 of 0 (-)\n"));
}

TEST(RunSummaryTest, ErrorsNameTheFile) {
  testing::TempDir dir;
  const std::string missing = dir.File("missing.h5");
  auto a = SummarizeRunFile(missing);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().message(), "run file " + missing + " does not exist");

  const std::string text = dir.File("run.txt");
  std::ofstream(text) << "hello";
  auto b = SummarizeRunFile(text);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), text + " is not an HDF5 file");

  const std::string other = dir.File("other.h5");
  H5Fclose(H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  auto c = SummarizeRunFile(other);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("not a teamsrl run file"));
}

TEST(RunNameFromConfigYamlTest, BlockAndFlowStyles) {
  EXPECT_EQ(RunNameFromConfigYaml("run:\n  name: quickstart\n  seed: 1\n"), "quickstart");
  EXPECT_EQ(RunNameFromConfigYaml("algo:\n  name: trpo\nrun:\n  seed: 1\n  name: 'x y'\n"), "x y");
  EXPECT_EQ(RunNameFromConfigYaml("run: {seed: 3, name: flow, out_dir: o}\n"), "flow");
  EXPECT_EQ(RunNameFromConfigYaml("run:\n  seed: 1\nllm:\n  name: no\n"), "");
  EXPECT_EQ(RunNameFromConfigYaml(""), "");
}

}  // namespace
}  // namespace teamsrl::io
