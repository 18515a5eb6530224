#include "sweep/grid.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "sweep/manifest.h"

namespace teamsrl::sweep {
namespace {

using ::testing::HasSubstr;

// Writes a grid file beside a copy-free reference to the shipped quickstart config.
std::string WriteGrid(const std::string& name, const std::string& body) {
  const std::string dir = ::testing::TempDir() + "/grid_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream(path) << "base: " << TEAMSRL_SOURCE_DIR << "/experiments/quickstart.yaml\n" << body;
  return path;
}

TEST(GridTest, CartesianZipAndSeedsExpandInFileOrder) {
  const std::string path = WriteGrid("expand",
                                     "set: {train.iterations: 2}\n"
                                     "grid:\n"
                                     "  policy.type: [categorical, uniform]\n"
                                     "zip:\n"
                                     "  algo.type: [trpo, ppo, reinforce]\n"
                                     "  algo.learning_rate: [0.001, 0.01, 0.1]\n"
                                     "seeds: 2\n");
  Result<GridSpec> g = LoadGrid(path);
  ASSERT_TRUE(g.ok()) << g.status().message();
  const Manifest m = Expand(*g, "/sweeps/x");
  ASSERT_EQ(m.tasks.size(), 2u * 3u * 2u);  // only the default train stage
  const Task& first = m.tasks.front();
  EXPECT_THAT(first.overrides, ::testing::ElementsAre("algo.learning_rate=0.001", "algo.type=trpo",
                                                      "policy.type=categorical", "run.seed=1",
                                                      "train.iterations=2"));
  EXPECT_EQ(m.tasks[1].point.back(), (std::pair<std::string, std::string>{"run.seed", "2"}));
  EXPECT_EQ(m.tasks[2].point[1].second, "ppo");  // the zip group varies after the grid axis
  EXPECT_EQ(m.tasks[2].point[2].second, "0.01");
  EXPECT_EQ(m.tasks[6].point[0].second, "uniform");
  EXPECT_EQ(first.out_dir, "/sweeps/x/train/" + first.id);
  EXPECT_THAT(first.args, ::testing::Contains("--resume=auto"));
  std::set<std::string> ids;
  for (const Task& t : m.tasks) ids.insert(t.id);
  EXPECT_EQ(ids.size(), m.tasks.size());
}

TEST(GridTest, IdsAreStableAcrossReExpansionAndAxisOrder) {
  const std::string a = WriteGrid("order_a",
                                  "grid:\n  policy.type: [categorical, uniform]\n"
                                  "  algo.type: [trpo, ppo]\n");
  const std::string b = WriteGrid("order_b",
                                  "grid:\n  algo.type: [trpo, ppo]\n"
                                  "  policy.type: [categorical, uniform]\n");
  std::set<std::string> ia, ib;
  for (const Task& t : Expand(*LoadGrid(a), "d").tasks) ia.insert(t.id);
  for (const Task& t : Expand(*LoadGrid(b), "d").tasks) ib.insert(t.id);
  EXPECT_EQ(ia, ib);
  EXPECT_EQ(Expand(*LoadGrid(a), "d").sweep_id, Expand(*LoadGrid(a), "d").sweep_id);
}

TEST(GridTest, StagesChainAndTheBaselineIsSharedPerSeed) {
  const std::string path = WriteGrid("stages",
                                     "grid:\n  policy.type: [categorical, uniform]\n"
                                     "seeds: [5, 6]\n"
                                     "stages: [train, generate, baseline, eval]\n");
  const Manifest m = Expand(*LoadGrid(path), "s");
  int train = 0, generate = 0, baseline = 0, eval = 0;
  for (const Task& t : m.tasks) {
    switch (t.stage) {
      case Stage::kTrain:
        ++train;
        break;
      case Stage::kGenerate:
        ++generate;
        EXPECT_EQ(t.deps.size(), 1u);
        EXPECT_THAT(t.args, ::testing::Contains("s/train/" + t.deps[0] + "/run.h5"));
        break;
      case Stage::kBaseline:
        ++baseline;
        EXPECT_TRUE(t.deps.empty());
        EXPECT_EQ(t.point.size(), 1u);  // the seed only
        break;
      case Stage::kEval:
        ++eval;
        break;
    }
  }
  EXPECT_EQ(train, 4);
  EXPECT_EQ(generate, 4);
  EXPECT_EQ(baseline, 2);  // one per seed, shared by both policies
  EXPECT_EQ(eval, 6);      // each generate and each baseline
}

void ExpectError(const std::string& name, const std::string& body, const std::string& what) {
  const std::string path = WriteGrid(name, body);
  Result<GridSpec> g = LoadGrid(path);
  ASSERT_FALSE(g.ok()) << name;
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr(path + ":" + what)) << g.status().message();
}

TEST(GridTest, ValidationNamesFileLineAndKey) {
  ExpectError("unknown_key", "grid:\n  train.actorz: [1, 2]\n",
              "3: grid.train.actorz: unknown key");
  ExpectError("empty_axis", "grid:\n  train.actors: []\n", "3: grid.train.actors: empty axis");
  ExpectError("two_axes", "set: {train.actors: 4}\ngrid:\n  train.actors: [1, 2]\n",
              "4: grid.train.actors: also set by set");
  ExpectError("zip_lengths", "zip:\n  algo.type: [trpo, ppo]\n  algo.max_kl: [0.1]\n",
              "4: zip.algo.max_kl: 1 values, but zip.algo.type has 2");
  ExpectError("bad_value", "grid:\n  train.actors: [2, -3]\n", "3: grid.train.actors: expected");
  ExpectError("bad_stage", "stages: [train, evaluate]\n", "2: stages: unknown stage 'evaluate'");
  ExpectError("no_train", "stages: [generate]\n", "2: stages: generate needs a train stage");
  ExpectError("top_key", "grids: {}\n", "2: grids: unknown key");
  ExpectError("seeds_twice", "seeds: 2\ngrid:\n  run.seed: [1, 2]\n",
              "4: grid.run.seed: also set by seeds");
}

TEST(GridTest, ManifestJsonAndDryRunListEveryTask) {
  const Manifest m = Expand(*LoadGrid(WriteGrid("json", "grid:\n  train.actors: [1, 2]\n")), "out");
  const std::string json = SweepJson(m);
  EXPECT_THAT(json, HasSubstr("\"sweep_id\": \"" + m.sweep_id + "\""));
  EXPECT_THAT(json, HasSubstr("\"train.actors=2\""));
  const std::string dry = FormatDryRun(m);
  EXPECT_THAT(dry, HasSubstr("(2 tasks)"));
  EXPECT_THAT(dry, HasSubstr("teamsrl train "));
  EXPECT_THAT(dry, HasSubstr("--set train.actors=1"));
}

TEST(GridTest, RanksAndRepeatsAreLaunchAxesWithTheirOwnIds) {
  const std::string plain = WriteGrid("plain", "seeds: 2\nstages: [train, generate]\n");
  const std::string launch =
      WriteGrid("launch", "seeds: 2\nstages: [train, generate]\nranks: [1, 4]\nrepeats: 2\n");
  const Manifest a = Expand(*LoadGrid(plain), "d");
  const Manifest b = Expand(*LoadGrid(launch), "d");
  ASSERT_EQ(a.tasks.size(), 4u);
  ASSERT_EQ(b.tasks.size(), 2u * 2u * 2u * 2u);
  std::set<std::string> ids;
  for (const Task& t : b.tasks) ids.insert(t.id);
  EXPECT_EQ(ids.size(), b.tasks.size());
  // The overrides are the config's alone; ranks and repeat are in the point and the id.
  const Task& t = b.tasks[3];  // seed 1, ranks 4, repeat 1
  EXPECT_THAT(t.overrides, ::testing::ElementsAre("run.seed=1"));
  EXPECT_EQ(t.np, 4);
  EXPECT_EQ(t.repeat, 1);
  EXPECT_THAT(t.point, ::testing::ElementsAre(::testing::Pair("run.seed", "1"),
                                              ::testing::Pair("ranks", "4"),
                                              ::testing::Pair("repeat", "1")));
  // A generate task follows the train task of its own launch.
  const Task& gen = b.tasks[8 + 3];
  EXPECT_EQ(gen.stage, Stage::kGenerate);
  EXPECT_EQ(gen.deps, std::vector<std::string>{t.id});
  // The grid without launch axes keeps the ids it had.
  EXPECT_EQ(Expand(*LoadGrid(plain), "d").tasks[0].id, a.tasks[0].id);
  EXPECT_NE(a.tasks[0].id, b.tasks[0].id);
  // Every command but eval records its provenance.
  EXPECT_THAT(t.args, ::testing::Contains(t.out_dir + "/task.json"));
}

TEST(GridTest, LaunchAxisErrorsNameTheLine) {
  ExpectError("ranks_empty", "ranks: []\n", "2: ranks: a non-empty list");
  ExpectError("ranks_zero", "ranks: [1, 0]\n", "2: ranks: a rank count is an integer >= 1");
  ExpectError("ranks_twice", "ranks: [2, 2]\n", "2: ranks: 2 twice");
  ExpectError("repeats_zero", "repeats: 0\n", "2: repeats: a count >= 1");
}

// Expansion cost is in bench/ terms too, but a 10,000-task grid must stay interactive.
TEST(GridTest, TenThousandTasksExpand) {
  std::string values;
  for (int i = 1; i <= 100; ++i) values += (i > 1 ? ", " : "") + std::to_string(i);
  const std::string path = WriteGrid(
      "big", "grid:\n  train.actors: [" + values + "]\n  train.iterations: [" + values + "]\n");
  Result<GridSpec> g = LoadGrid(path);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(Expand(*g, "d").tasks.size(), 10000u);
}

}  // namespace
}  // namespace teamsrl::sweep
