#include "pipeline/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rl/learner.h"
#include "rl/policy.h"

namespace teamsrl::pipeline {
namespace {

TrainCheckpoint Sample() {
  TrainCheckpoint c;
  c.config_yaml = "run:\n  name: x\n";
  c.iterations_done = 7;
  c.policy = {0.5, -1.25, 3.0};
  c.value = {1e-300, -0.0};
  c.optimizer = {2, 5, 0.1, 0.2, 0.3, 0.4};
  c.filter = {1, 2, 3};
  Rng rng(42);
  rng.Normal();  // leaves a cached spare
  c.actors = {{rng.snapshot(), "How to cook food?", {}},
              {Rng(7).snapshot(), "\xc3\xa9t\xc3\xa9", {3, 0.5, 0.25, 1e-9}}};
  c.totals.queries[1] = 12;
  c.totals.cached_completion_tokens[2] = 99;
  c.failed_calls = 3;
  c.limit_wait_s = 1.5;
  c.rows = {7, 56, 336, 672, 0, 1000};
  c.wall_s = 12.5;
  c.last_mean_return = 3.25;
  c.restarts = 2;
  c.stops = {1, 0, 1};
  return c;
}

void ExpectSame(const TrainCheckpoint& a, const TrainCheckpoint& b) {
  EXPECT_EQ(a.config_yaml, b.config_yaml);
  EXPECT_EQ(a.iterations_done, b.iterations_done);
  EXPECT_EQ(a.policy, b.policy);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.optimizer, b.optimizer);
  EXPECT_EQ(a.filter, b.filter);
  EXPECT_EQ(a.actors, b.actors);
  EXPECT_EQ(a.totals.queries[1], b.totals.queries[1]);
  EXPECT_EQ(a.totals.cached_completion_tokens[2], b.totals.cached_completion_tokens[2]);
  EXPECT_EQ(a.failed_calls, b.failed_calls);
  EXPECT_EQ(a.limit_wait_s, b.limit_wait_s);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.wall_s, b.wall_s);
  EXPECT_EQ(a.last_mean_return, b.last_mean_return);
  EXPECT_EQ(a.restarts, b.restarts);
  EXPECT_EQ(a.stops, b.stops);
}

TEST(CheckpointTest, RoundTripsEveryField) {
  const TrainCheckpoint c = Sample();
  Result<TrainCheckpoint> back = DecodeCheckpoint(EncodeCheckpoint(c), "t");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSame(c, *back);
}

TEST(CheckpointTest, RestoredRngDrawsTheSameNumbersAsTheOriginal) {
  Rng a(1234);
  a.Normal();  // spare cached: a restore without it would shift every later normal
  Rng b;
  b.restore(a.snapshot());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.Normal(), b.Normal());
  EXPECT_EQ(a.NextU64(), b.NextU64());
}

TEST(CheckpointTest, TruncatedOrDamagedBytesAreDataLossNeverHalfRead) {
  const std::string bytes = EncodeCheckpoint(Sample());
  for (size_t n : {size_t{0}, size_t{5}, size_t{24}, bytes.size() / 2, bytes.size() - 1}) {
    Result<TrainCheckpoint> r = DecodeCheckpoint(bytes.substr(0, n), "ckpt");
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << n;
  }
  std::string flipped = bytes;
  flipped[bytes.size() - 10] ^= 0x01;
  Result<TrainCheckpoint> r = DecodeCheckpoint(flipped, "ckpt");
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), testing::HasSubstr("ckpt is damaged"));
  EXPECT_EQ(DecodeCheckpoint("not a checkpoint at all, no", "x").status().code(),
            StatusCode::kDataLoss);
}

TEST(CheckpointTest, WriteThenReadAndMissingIsNotFound) {
  const std::string dir = testing::TempDir() + "/ckpt_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/checkpoint.bin";
  std::filesystem::remove(path);
  EXPECT_EQ(ReadCheckpoint(path).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteCheckpoint(path, Sample()).ok());
  TrainCheckpoint second = Sample();
  second.iterations_done = 8;
  ASSERT_TRUE(WriteCheckpoint(path, second).ok());  // replaces
  Result<TrainCheckpoint> back = ReadCheckpoint(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->iterations_done, 8);
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(CheckpointTest, ConfigDifferencesNameTheKeysAResumeMayNotChange) {
  const std::string a =
      "run:\n  name: q\n  out_dir: a\ntrain:\n  iterations: 30\n  actors: 8\n"
      "algo:\n  max_kl: 0.01\npolicy:\n  hidden: [64, 64]\nbudget:\n  max_queries: 10\n";
  const std::string b =
      "run:\n  name: q\n  out_dir: b\ntrain:\n  iterations: 60\n  actors: 8\n"
      "algo:\n  max_kl: 0.02\npolicy:\n  hidden: [64, 32]\nbudget:\n  max_queries: 99\n";
  EXPECT_THAT(ResumeConfigDifferences(a, b), testing::ElementsAre("algo.max_kl", "policy.hidden"));
  EXPECT_TRUE(ResumeConfigDifferences(a, a).empty());
  EXPECT_THAT(ResumeConfigDifferences(a, a + "env:\n  episode_length: 5\n"),
              testing::ElementsAre("env.episode_length"));
}

TEST(CheckpointTest, AdamLearnersRestoreTheirMomentsTrpoKeepsNone) {
  rl::PolicyConfig pc;
  pc.type = rl::PolicyType::kCategorical;
  pc.hidden = {8};
  for (rl::AlgoType type : {rl::AlgoType::kPpo, rl::AlgoType::kReinforce}) {
    rl::AlgoConfig ac;
    ac.type = type;
    auto policy = rl::MakePolicy(pc, 3, 3, 1);
    auto learner = rl::MakeLearner(ac, pc, 3, 1);
    rl::Batch batch;
    batch.obs = Eigen::MatrixXd::Identity(3, 3);
    batch.actions = {0, 1, 2};
    batch.rewards = (Eigen::VectorXd(3) << 1, 0, 1).finished();
    batch.masks = (Eigen::VectorXd(3) << 1, 1, 0).finished();
    batch.logp_old = Eigen::VectorXd::Constant(3, std::log(1.0 / 3));
    learner->Update(*policy, batch);
    const std::vector<double> state = learner->OptimizerState();
    ASSERT_FALSE(state.empty());
    auto other = rl::MakeLearner(ac, pc, 3, 1);
    ASSERT_TRUE(other->SetOptimizerState(state).ok());
    EXPECT_EQ(other->OptimizerState(), state);
    EXPECT_FALSE(other->SetOptimizerState({1.0}).ok());
  }
  rl::AlgoConfig trpo;
  trpo.type = rl::AlgoType::kTrpo;
  auto t = rl::MakeLearner(trpo, pc, 3, 1);
  EXPECT_TRUE(t->OptimizerState().empty());
  EXPECT_TRUE(t->SetOptimizerState({}).ok());
  EXPECT_FALSE(t->SetOptimizerState({1.0}).ok());
}

}  // namespace
}  // namespace teamsrl::pipeline
