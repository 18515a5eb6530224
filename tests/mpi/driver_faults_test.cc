// One rank failing in train, generate or baseline, in setup or in the middle of the work,
// ends the job on every rank in seconds with one error naming the rank; ranks started
// differently end in one error naming what differs. Runs the drivers in-process under
// real mpiexec with 2 and 4 ranks; faults come through the drivers' test seam
// (pipeline/driver_hooks.h), never from the environment.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "dist/comm.h"
#include "io/run_reader.h"
#include "pipeline/baseline.h"
#include "pipeline/generate.h"
#include "pipeline/train.h"

namespace teamsrl::pipeline {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Fails on `rank`: at setup, or before step `step` of round `round`.
class FailOn : public DriverHooks {
 public:
  static FailOn Setup(int rank) { return FailOn(rank, -1, -1); }
  static FailOn Step(int rank, int64_t round, int step) { return FailOn(rank, round, step); }

  Status AfterSetup(int rank) override {
    return round_ < 0 && rank == rank_ ? Internal("injected setup fault") : OkStatus();
  }
  Status BeforeStep(int rank, int64_t round, int step) override {
    return rank == rank_ && round == round_ && step == step_ ? Internal("injected fault")
                                                             : OkStatus();
  }

 private:
  FailOn(int rank, int64_t round, int step) : rank_(rank), round_(round), step_(step) {}
  int rank_;
  int64_t round_;
  int step_;
};

const char* kYaml = R"(
run: {name: faults, seed: 543}
env:
  prompts_dir: experiments/prompts
  seeds: {path: experiments/seeds/teamsrl_seeds.jsonl}
train: {iterations: 5, actors: 4}
generate: {chunk_size: 8}
baseline: {rounds: 2, chunk_size: 8}
)";

Config MakeConfig(const std::vector<std::string>& overrides = {}) {
  Result<Config> c = ParseConfigWithBaseDir(kYaml, "faults.yaml", TEAMSRL_SOURCE_DIR, overrides);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

// A fresh directory every rank agrees on (root makes it).
std::string SharedTempDir(const dist::Comm& comm) {
  std::string dir;
  if (comm.is_root()) {
    char tmpl[] = "/tmp/teamsrl_faults_XXXXXX";
    dir = mkdtemp(tmpl);
  }
  comm.Broadcast(dir);
  return dir;
}

std::string RankName(int rank) { return "rank " + std::to_string(rank) + ": "; }

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class DriverFaultsTest : public ::testing::Test {
 protected:
  dist::Comm comm_;
  int last() const { return comm_.size() - 1; }

  // A one-iteration training run, for generate's --policy.
  std::string TrainPolicy(const std::string& dir) {
    TrainOptions o;
    o.out_dir = dir + "/policy";
    Config config = MakeConfig({"train.iterations=1"});
    Result<TrainOutcome> t = RunTrain(config, o, comm_);
    EXPECT_TRUE(t.ok() && t->status == io::RunStatus::kCompleted);
    return o.out_dir + "/run.h5";
  }
};

TEST_F(DriverFaultsTest, TrainSetupFailingOnOneRankEndsEveryRank) {
  const std::string dir = SharedTempDir(comm_);
  FailOn hooks = FailOn::Setup(last());
  TrainOptions o;
  o.out_dir = dir;
  o.hooks = &hooks;
  const Config config = MakeConfig();
  const auto start = Clock::now();
  Result<TrainOutcome> r = RunTrain(config, o, comm_);
  EXPECT_LT(SecondsSince(start), 10.0);
  ASSERT_FALSE(r.ok());
  const std::string expected =
      comm_.size() == 1 ? "injected setup fault" : RankName(last()) + "injected setup fault";
  EXPECT_EQ(r.status().message(), expected);
  EXPECT_FALSE(fs::exists(dir + "/run.h5"));  // nothing written
}

TEST_F(DriverFaultsTest, TrainFailingMidRunOnRootOrTheLastRank) {
  for (int rank : {0, last()}) {
    const std::string dir = SharedTempDir(comm_);
    FailOn hooks = FailOn::Step(rank, /*iteration=*/2, /*step=*/3);
    TrainOptions o;
    o.out_dir = dir;
    o.hooks = &hooks;
    const Config config = MakeConfig();
    const auto start = Clock::now();
    Result<TrainOutcome> r = RunTrain(config, o, comm_);
    EXPECT_LT(SecondsSince(start), 10.0);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, io::RunStatus::kFailed);
    EXPECT_EQ(r->error.message(), RankName(rank) + "injected fault");
    if (comm_.is_root()) {
      Result<io::RunInfo> info = io::ReadRunInfo(dir + "/run.h5");
      ASSERT_TRUE(info.ok()) << info.status().ToString();
      EXPECT_EQ(info->status, "failed");
      EXPECT_EQ(r->iterations, 2);  // the iterations before the fault were written
    }
  }
}

TEST_F(DriverFaultsTest, GenerateSetupFailingOnOneRankEndsEveryRank) {
  const std::string dir = SharedTempDir(comm_);
  const std::string policy = TrainPolicy(dir);
  FailOn hooks = FailOn::Setup(last());
  GenerateOptions o;
  o.policy_path = policy;
  o.out_dir = dir + "/generate";
  o.hooks = &hooks;
  const Config config = MakeConfig();
  const auto start = Clock::now();
  Result<ChunkedOutcome> r = RunGenerate(config, o, comm_);
  EXPECT_LT(SecondsSince(start), 10.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("injected setup fault"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir + "/generate/generate.h5"));
}

TEST_F(DriverFaultsTest, GenerateFailingInTheSecondChunkOnOneRank) {
  const std::string dir = SharedTempDir(comm_);
  const std::string policy = TrainPolicy(dir);
  FailOn hooks = FailOn::Step(last(), /*chunk=*/1, /*step=*/1);
  GenerateOptions o;
  o.policy_path = policy;
  o.out_dir = dir + "/generate";
  o.hooks = &hooks;
  const Config config = MakeConfig();
  Result<ChunkedOutcome> r = RunGenerate(config, o, comm_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, io::RunStatus::kFailed);
  EXPECT_EQ(r->error.message(), RankName(last()) + "injected fault");
  if (comm_.is_root()) {
    EXPECT_EQ(r->seeds, 8);  // the first chunk was committed
    EXPECT_EQ(io::ReadRunInfo(dir + "/generate/generate.h5")->status, "failed");
  }
}

TEST_F(DriverFaultsTest, BaselineSetupFailingOnOneRankEndsEveryRank) {
  const std::string dir = SharedTempDir(comm_);
  FailOn hooks = FailOn::Setup(last());
  BaselineOptions o;
  o.out_dir = dir;
  o.hooks = &hooks;
  const Config config = MakeConfig();
  const auto start = Clock::now();
  Result<ChunkedOutcome> r = RunBaseline(config, o, comm_);
  EXPECT_LT(SecondsSince(start), 10.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("injected setup fault"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir + "/baseline.h5"));
}

TEST_F(DriverFaultsTest, BaselineFailingInTheFirstChunkOnRoot) {
  const std::string dir = SharedTempDir(comm_);
  FailOn hooks = FailOn::Step(0, /*chunk=*/0, /*round=*/1);
  BaselineOptions o;
  o.out_dir = dir;
  o.hooks = &hooks;
  const Config config = MakeConfig();
  Result<ChunkedOutcome> r = RunBaseline(config, o, comm_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, io::RunStatus::kFailed);
  EXPECT_EQ(r->error.message(), "rank 0: injected fault");
}

TEST_F(DriverFaultsTest, RanksStartedWithAnotherConfigEndInOneErrorNamingIt) {
  if (comm_.size() == 1) GTEST_SKIP() << "needs two ranks or more";
  const std::string dir = SharedTempDir(comm_);
  TrainOptions o;
  o.out_dir = dir;
  // A wrong launcher line: the last rank got another --set.
  const Config config = MakeConfig(comm_.rank() == last() ? std::vector<std::string>{"run.seed=7"}
                                                          : std::vector<std::string>{});
  Result<TrainOutcome> r = RunTrain(config, o, comm_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("ranks disagree on the resolved configuration: rank " +
                                      std::to_string(last())),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(fs::exists(dir + "/run.h5"));
}

TEST_F(DriverFaultsTest, AStaleSeedFileOnOneRankEndsInOneErrorNamingIt) {
  if (comm_.size() == 1) GTEST_SKIP() << "needs two ranks or more";
  const std::string dir = SharedTempDir(comm_);
  Config config = MakeConfig();
  if (comm_.rank() == last()) {
    // Same configuration text, other bytes behind the seed path (as on a node that kept
    // an old copy): simulated by pointing this rank at its own file.
    const std::string stale = dir + "/stale_" + std::to_string(last()) + ".jsonl";
    std::ofstream(stale) << "{\"instruction\": \"an old seed\"}\n";
    config.env.seeds.path = stale;
  }
  BaselineOptions o;
  o.out_dir = dir + "/baseline";
  Result<ChunkedOutcome> r = RunBaseline(config, o, comm_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ranks disagree on the seed file"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(fs::exists(dir + "/baseline/baseline.h5"));
}

}  // namespace
}  // namespace teamsrl::pipeline

int main(int argc, char** argv) {
  teamsrl::dist::MpiSession mpi(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  if (teamsrl::dist::Comm().rank() != 0) {
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  return teamsrl::dist::Comm().AllReduceMax(failed) != 0 ? 1 : 0;
}
