// The collective protocol (dist/protocol.h) under real mpiexec with 1, 2 and 4 ranks.
#include "dist/protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace teamsrl::dist {
namespace {

TEST(ProtocolTest, AgreeOnStatusIsOkWhenEveryRankIs) {
  Comm comm;
  EXPECT_TRUE(AgreeOnStatus(comm, OkStatus()).ok());
}

TEST(ProtocolTest, OneRanksFailureReachesEveryRankNamedByItsRank) {
  Comm comm;
  const int last = comm.size() - 1;
  const Status local = comm.rank() == last ? NotFound("no such file: x") : OkStatus();
  const Status agreed = AgreeOnStatus(comm, local);
  EXPECT_EQ(agreed.code(), StatusCode::kNotFound);
  if (comm.size() == 1) {
    EXPECT_EQ(agreed.message(), "no such file: x");  // every rank failed alike
  } else {
    EXPECT_EQ(agreed.message(), "rank " + std::to_string(last) + ": no such file: x");
  }
}

TEST(ProtocolTest, AFailureEveryRankSharesIsReportedOnceWithoutARank) {
  Comm comm;
  const Status agreed = AgreeOnStatus(comm, InvalidArgument("bad.yaml:3: run.seed: bad"));
  EXPECT_EQ(agreed.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(agreed.message(), "bad.yaml:3: run.seed: bad");
}

TEST(ProtocolTest, TheFirstFailureInRankOrderWins) {
  Comm comm;
  const Status agreed = AgreeOnStatus(comm, Unavailable("down " + std::to_string(comm.rank())));
  const std::string expected = comm.size() > 1 ? "rank 0: down 0" : "down 0";
  EXPECT_EQ(agreed.message(), expected);
}

TEST(ProtocolTest, FollowGivesEveryRankRootsDecision) {
  Comm comm;
  Decision d;
  if (comm.is_root()) {
    d.status = DataLoss("root says stop");
    d.stop = true;
    d.payload = std::string("p\0q", 3);
  } else {
    d.payload = "ignored";
  }
  const Decision got = Follow(comm, d);
  EXPECT_EQ(got.status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(got.status.message(), "root says stop");
  EXPECT_TRUE(got.stop);
  EXPECT_EQ(got.payload, std::string("p\0q", 3));
  EXPECT_TRUE(ShareRootStatus(comm, OkStatus()).ok());
}

TEST(ProtocolTest, GatherWithStatusKeepsPayloadsInRankOrderAndTheFirstError) {
  Comm comm;
  const Status local =
      comm.rank() >= 1 ? Internal("broke on " + std::to_string(comm.rank())) : OkStatus();
  const Gathered g = GatherWithStatus(comm, local, std::string(comm.rank(), 'x'));
  if (!comm.is_root()) {
    EXPECT_TRUE(g.payloads.empty());
    return;
  }
  ASSERT_EQ(static_cast<int>(g.payloads.size()), comm.size());
  for (int r = 0; r < comm.size(); ++r) EXPECT_EQ(g.payloads[r], std::string(r, 'x'));
  if (comm.size() == 1) {
    EXPECT_TRUE(g.status.ok());
  } else {
    EXPECT_EQ(g.status.message(), "rank 1: broke on 1");
  }
}

TEST(ProtocolTest, AgreeOnInputsPassesIdenticalInputs) {
  Comm comm;
  EXPECT_TRUE(AgreeOnInputs(comm, {{"resolved configuration", Digest("run: {seed: 1}"), ""},
                                   {"seed file", Digest("{}\n"), "s.jsonl"}})
                  .ok());
}

TEST(ProtocolTest, AgreeOnInputsNamesWhatDiffersAndWhichRanks) {
  Comm comm;
  if (comm.size() == 1) GTEST_SKIP() << "needs two ranks or more";
  const int last = comm.size() - 1;
  const std::string seeds = comm.rank() == last ? "stale\n" : "fresh\n";
  const Status s = AgreeOnInputs(comm, {{"resolved configuration", Digest("same"), ""},
                                        {"seed file", Digest(seeds), "s.jsonl"}});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("ranks disagree on the seed file s.jsonl: rank " +
                             std::to_string(last) + " differs from rank 0"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(Digest("stale\n")), std::string::npos) << s.message();
}

TEST(ProtocolTest, AgreeOnInputsNamesRanksStartedWithOtherInputs) {
  Comm comm;
  if (comm.size() == 1) GTEST_SKIP() << "needs two ranks or more";
  std::vector<InputDigest> inputs = {{"resolved configuration", Digest("same"), ""}};
  if (comm.rank() == 1) inputs.push_back({"policy file", Digest("x"), "run.h5"});
  const Status s = AgreeOnInputs(comm, inputs);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("ranks 1 were started differently from rank 0"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace teamsrl::dist

int main(int argc, char** argv) {
  teamsrl::dist::MpiSession mpi(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  // Only root prints gtest's report; every rank's result still decides the exit code.
  if (teamsrl::dist::Comm().rank() != 0) {
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  return teamsrl::dist::Comm().AllReduceMax(failed) != 0 ? 1 : 0;
}
