#include "sweep/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace teamsrl::sweep {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string Dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/manifest_test/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Manifest ExpandIn(const std::string& dir, const std::string& body,
                  const std::string& base_text = "") {
  std::string base = std::string(TEAMSRL_SOURCE_DIR) + "/experiments/quickstart.yaml";
  if (!base_text.empty()) {
    base = dir + "/base.yaml";
    std::ofstream(base) << base_text;
  }
  const std::string grid = dir + "/grid.yaml";
  std::ofstream(grid) << "base: " << base << "\n" << body;
  Result<GridSpec> g = LoadGrid(grid);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return Expand(*g, dir + "/sweep");
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str());
}

TEST(ManifestTest, SweepJsonIndexesEveryTaskAndTaskJsonGivesTheLabels) {
  const std::string dir = Dir("files");
  const Manifest m = ExpandIn(dir, "grid:\n  policy.type: [categorical, uniform]\nseeds: 2\n");
  ASSERT_TRUE(WriteSweepFiles(m).ok());
  const nlohmann::json doc = ReadJson(dir + "/sweep/sweep.json");
  EXPECT_EQ(doc["sweep_id"], m.sweep_id);
  EXPECT_EQ(doc["base_hash"], m.base_hash);
  ASSERT_EQ(doc["tasks"].size(), 4u);
  EXPECT_EQ(doc["tasks"][1]["point"]["policy.type"], "categorical");
  EXPECT_EQ(doc["tasks"][1]["point"]["run.seed"], "2");
  EXPECT_EQ(doc["tasks"][1]["run_file"], m.tasks[1].out_dir + "/run.h5");

  Result<std::map<std::string, std::string>> labels =
      ReadTaskLabels(m.tasks[1].out_dir + "/task.json");
  ASSERT_TRUE(labels.ok()) << labels.status().message();
  EXPECT_EQ(labels->at("sweep_id"), m.sweep_id);
  EXPECT_EQ(labels->at("sweep_task"), m.tasks[1].id);
  EXPECT_EQ(labels->at("sweep_stage"), "train");
  EXPECT_EQ(nlohmann::json::parse(labels->at("sweep_point")),
            nlohmann::json({{"policy.type", "categorical"}, {"run.seed", "2"}}));
  EXPECT_EQ(nlohmann::json::parse(labels->at("sweep_overrides")),
            nlohmann::json({"policy.type=categorical", "run.seed=2"}));
  EXPECT_EQ(labels->at("sweep_dir"), dir + "/sweep");
}

TEST(ManifestTest, TaskLabelErrorsNameTheFile) {
  const std::string dir = Dir("bad");
  Result<std::map<std::string, std::string>> missing = ReadTaskLabels(dir + "/none.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr(dir + "/none.json"));
  std::ofstream(dir + "/t.json") << "{\"id\": \"x\"}";
  Result<std::map<std::string, std::string>> partial = ReadTaskLabels(dir + "/t.json");
  ASSERT_FALSE(partial.ok());
  EXPECT_THAT(partial.status().message(), HasSubstr(dir + "/t.json: no 'sweep_id'"));
}

TEST(ManifestTest, ComparingWithTheSavedManifestFindsNewGoneAndBaseChanges) {
  const std::string dir = Dir("change");
  const std::string base = "run: {name: b, seed: 1}\ntrain: {iterations: 2}\n";
  const Manifest first = ExpandIn(dir, "seeds: 2\n", base);
  Result<ManifestChange> none = CompareWithSaved(first);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->had_previous);
  ASSERT_TRUE(WriteSweepFiles(first).ok());
  EXPECT_EQ(FormatChange(*CompareWithSaved(first), first), "");

  const Manifest wider = ExpandIn(dir, "seeds: [2, 3]\n", base);
  Result<ManifestChange> c = CompareWithSaved(wider);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->added, std::vector<std::string>{wider.tasks[1].id});
  EXPECT_EQ(c->gone, std::vector<std::string>{first.tasks[0].id});
  EXPECT_FALSE(c->base_changed);
  EXPECT_THAT(FormatChange(*c, wider), HasSubstr("1 new task(s) (" + wider.tasks[1].id + ")"));
  EXPECT_THAT(FormatChange(*c, wider), HasSubstr("1 gone (" + first.tasks[0].id));

  // A comment changes nothing; a value does.
  EXPECT_FALSE(CompareWithSaved(ExpandIn(dir, "seeds: 2\n", base + "# note\n"))->base_changed);
  const Manifest changed =
      ExpandIn(dir, "seeds: 2\n", "run: {name: b, seed: 1}\ntrain: {iterations: 3}\n");
  Result<ManifestChange> b = CompareWithSaved(changed);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->base_changed);
  EXPECT_TRUE(b->added.empty());
  EXPECT_THAT(FormatChange(*b, changed), HasSubstr("resolves differently"));
}

}  // namespace
}  // namespace teamsrl::sweep
