#include "io/run_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "io/run_file.h"

namespace teamsrl::io {
namespace {

using ::testing::HasSubstr;

// A small training run file; `tweak` changes one thing of what is written.
std::string WriteRun(const std::string& name, const std::string& command,
                     void (*tweak)(IterationRow*, CallRow*, std::string*, double*) = nullptr) {
  const std::string path = ::testing::TempDir() + "/diff_" + name + ".h5";
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".commit");
  RootAttributes a;
  a.run_name = "d";
  a.command = command;
  a.action_names = {"breadth"};
  a.endpoint_names = {"sim"};
  a.reason_names = {"kept"};
  auto run = RunFile::Create(path, a);
  EXPECT_TRUE(run.ok()) << run.status().message();
  IterationRow it;
  it.iteration = 0;
  it.mean_return = 2.5;
  it.wall_s = 1.0;
  CallRow call;
  call.prompt_tokens = 10;
  call.latency_ms = 3.0;
  std::string text = "How to cook food?";
  double param = 0.5;
  if (tweak) tweak(&it, &call, &text, &param);
  run->AppendIterations({it, it});
  run->AppendCalls({call, call, call});
  run->AddText(text);
  EXPECT_TRUE(run->Flush().ok());
  EXPECT_TRUE(run->WritePolicy("final", {0.25, param}, {}).ok());
  EXPECT_TRUE(run->Finish(RunStatus::kCompleted).ok());
  return path;
}

TEST(RunDiffTest, IdenticalRunsAndTimingIgnoredUnlessAll) {
  const std::string a = WriteRun("a", "teamsrl train x.yaml");
  const std::string b = WriteRun("b", "teamsrl train x.yaml --out elsewhere",
                                 [](IterationRow* it, CallRow* c, std::string*, double*) {
                                   it->wall_s = 9.0;
                                   c->latency_ms = 7.0;
                                 });
  Result<RunDiff> d = DiffRunFiles(a, b, /*all=*/false);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_TRUE(d->identical()) << d->Format();
  EXPECT_THAT(d->Format(), HasSubstr("identical: 8 datasets"));
  Result<RunDiff> all = DiffRunFiles(a, b, /*all=*/true);
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->identical());
  EXPECT_THAT(all->Format(), HasSubstr("row 0, wall_s: 1 vs 9 (2 of 2 rows differ)"));
  EXPECT_THAT(all->Format(), HasSubstr("row 0, latency_ms: 3 vs 7 (3 of 3 rows differ)"));
}

TEST(RunDiffTest, FindsOneValueATextAndAPolicyBit) {
  const std::string a = WriteRun("c", "teamsrl train x.yaml");
  const std::string b = WriteRun("d", "teamsrl train x.yaml",
                                 [](IterationRow* it, CallRow*, std::string* text, double* p) {
                                   it->mean_return = std::nextafter(2.5, 3.0);
                                   *text = "How to cook rice?";
                                   *p = -0.5;
                                 });
  Result<RunDiff> d = DiffRunFiles(a, b, false);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->identical());
  const std::string f = d->Format();
  EXPECT_THAT(f, HasSubstr("/train/iterations         DIFFERS    first difference at row 0, "
                           "mean_return: 2.5 vs 2.5000000000000004 (2 of 2 rows differ)"));
  EXPECT_THAT(f, HasSubstr("/text/strings             DIFFERS    first difference at text id 0"));
  EXPECT_THAT(f, HasSubstr("/policy/final             DIFFERS    first difference at element 1"));
  EXPECT_THAT(f, HasSubstr("/llm/calls                identical  3 rows"));
  EXPECT_THAT(f, HasSubstr("different: 3 of 8 datasets"));
}

TEST(RunDiffTest, RunsOfDifferentCommandsDiffer) {
  const std::string a = WriteRun("e", "teamsrl train x.yaml");
  const std::string b = WriteRun("f", "teamsrl generate x.yaml --policy r.h5");
  Result<RunDiff> d = DiffRunFiles(a, b, false);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->identical());
  EXPECT_THAT(d->Format(), HasSubstr("kind              train vs generate"));
  EXPECT_THAT(d->Format(), HasSubstr("and the kind of run"));
}

TEST(RunDiffTest, AMissingFileIsAnError) {
  Result<RunDiff> d = DiffRunFiles("/nonexistent/a.h5", WriteRun("g", "teamsrl train"), false);
  EXPECT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("/nonexistent/a.h5"));
}

}  // namespace
}  // namespace teamsrl::io
