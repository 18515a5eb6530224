#include "sweep/slurm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace teamsrl::sweep {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Manifest Sweep(const std::string& name, const std::string& body) {
  const std::string dir = ::testing::TempDir() + "/slurm_test";
  std::filesystem::create_directories(dir);
  const std::string grid = dir + "/" + name + ".yaml";
  std::ofstream(grid) << "base: " << TEAMSRL_SOURCE_DIR << "/experiments/quickstart.yaml\n" << body;
  Result<GridSpec> g = LoadGrid(grid);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return Expand(*g, "sw");
}

TEST(SlurmTest, ArrayIndicesCompressToRanges) {
  EXPECT_EQ(FormatArray({0, 1, 2, 3}, 0), "0-3");
  EXPECT_EQ(FormatArray({0, 2, 3, 4, 7}, 2), "0,2-4,7%2");
  EXPECT_EQ(FormatArray({5}, 0), "5");
}

TEST(SlurmTest, StagesChunkAtMaxArraySizeAndWaitPerCorrespondingTask) {
  const Manifest m = Sweep("chunks", "seeds: 5\nstages: [train, generate]\n");
  ASSERT_EQ(m.tasks.size(), 10u);
  Result<std::vector<ArrayJob>> plan = PlanSlurm(m, std::vector<bool>(10, false), 3, 2);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->size(), 4u);
  const std::vector<ArrayJob>& p = *plan;
  EXPECT_EQ(p[0].name, "train.c0");
  EXPECT_THAT(p[0].indices, ElementsAre(0, 1, 2));
  EXPECT_EQ(p[1].name, "train.c1");
  EXPECT_THAT(p[1].indices, ElementsAre(0, 1));
  EXPECT_EQ(p[2].name, "generate.c0");
  EXPECT_EQ(p[2].after, 0);
  EXPECT_EQ(p[3].after, 1);
  EXPECT_EQ(p[3].ntasks, 2);
  // Line i of a generate file is the generation of line i of its train file's point.
  EXPECT_THAT(p[3].lines[1], HasSubstr("--policy sw/train/" + m.tasks[4].id + "/run.h5"));
  EXPECT_THAT(p[1].lines[1], HasSubstr("--out sw/train/" + m.tasks[4].id));
  EXPECT_EQ(p[3].task_ids[1], m.tasks[9].id);
}

TEST(SlurmTest, OnlyUnfinishedTasksGetIndicesAndFinishedDependenciesAreNotWaitedFor) {
  const Manifest m = Sweep("resume", "seeds: 3\nstages: [train, generate, eval]\n");
  ASSERT_EQ(m.tasks.size(), 9u);
  std::vector<bool> done(9, false);
  done[0] = true;            // train of seed 1 completed: its generate starts at once
  done[1] = done[4] = true;  // seed 2 trained and generated: only its eval is left
  Result<std::vector<ArrayJob>> plan = PlanSlurm(m, done, 1000, 1);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  std::map<std::string, const ArrayJob*> by;
  std::vector<std::string> names;
  for (const ArrayJob& j : *plan)
    names.push_back(j.name + ":" + FormatArray(j.indices, 0) + ":" + std::to_string(j.after));
  // train: seed 3; generate: seed 1 at once, seed 3 after train; eval: seed 1 and 3 after
  // their generates (two arrays), seed 2 at once.
  EXPECT_THAT(names, ElementsAre("train:2:-1", "generate:0:-1", "generate:2:0", "eval-generate:0:1",
                                 "eval-generate:1:-1", "eval-generate:2:2"));
  EXPECT_EQ((*plan)[3].lines.size(), 3u);  // every line of the chunk, so indices align
}

TEST(SlurmTest, RanksSplitArraysAndSbatchArgsCarryDependencyThrottleAndExtras) {
  const Manifest m = Sweep("ranks", "ranks: [1, 2]\nrepeats: 2\n");
  Result<std::vector<ArrayJob>> plan =
      PlanSlurm(m, std::vector<bool>(m.tasks.size(), false), 100, 1);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].name, "train.r1");
  EXPECT_EQ((*plan)[1].name, "train.r2");
  EXPECT_EQ((*plan)[1].ntasks, 2);
  SlurmOptions o;
  o.template_path = "/r/slurm/sweep.sbatch";
  o.max_running = 4;
  o.sbatch_args = {"--partition=p"};
  const std::vector<std::string> args = SbatchArgs((*plan)[1], "123", "sw/slurm/logs", o);
  EXPECT_THAT(args, ::testing::Contains("--array=0-1%4"));
  EXPECT_THAT(args, ::testing::Contains("--ntasks=2"));
  EXPECT_THAT(args, ::testing::Contains("--dependency=aftercorr:123"));
  EXPECT_THAT(args, ::testing::Contains("--kill-on-invalid-dep=yes"));
  EXPECT_THAT(args, ::testing::Contains("--output=sw/slurm/logs/%x-%A_%a.out"));
  EXPECT_EQ(args[args.size() - 3], "--partition=p");
  EXPECT_EQ(args.back(), "sw/slurm/train.r2.tasks");
}

TEST(SlurmTest, QuotedLinesKeepSpacesAndQuotes) {
  EXPECT_EQ(QuoteLine({"train", "a b", "it's", "x\"y"}), "train 'a b' \"it's\" 'x\"y'");
}

}  // namespace
}  // namespace teamsrl::sweep
