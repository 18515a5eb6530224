// The MPI wrapper under real mpiexec with 1, 2 and 4 ranks: gather order, broadcast,
// all-gather and reductions.
#include "dist/comm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "dist/layout.h"

namespace teamsrl::dist {
namespace {

TEST(CommTest, GatherReturnsEveryRanksBytesInRankOrderAtRoot) {
  Comm comm;
  // Ranks send different lengths (including empty) so displacements are exercised.
  std::string local(static_cast<size_t>(comm.rank()), static_cast<char>('a' + comm.rank()));
  std::vector<std::string> all = comm.Gather(local);
  if (comm.is_root()) {
    ASSERT_EQ(static_cast<int>(all.size()), comm.size());
    for (int r = 0; r < comm.size(); ++r) {
      EXPECT_EQ(all[r], std::string(static_cast<size_t>(r), static_cast<char>('a' + r)));
    }
  } else {
    EXPECT_TRUE(all.empty());
  }
}

TEST(CommTest, BroadcastReplacesEveryRanksValue) {
  Comm comm;
  std::string bytes = comm.is_root() ? std::string("from root\0with nul", 18) : "x";
  comm.Broadcast(bytes);
  EXPECT_EQ(bytes, std::string("from root\0with nul", 18));
  std::vector<double> values =
      comm.is_root() ? std::vector<double>{1.5, -0.0, 1e-300} : std::vector<double>{};
  comm.Broadcast(values);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[2], 1e-300);
  EXPECT_TRUE(std::signbit(values[1]));
}

TEST(CommTest, AllGatherAndReductions) {
  Comm comm;
  std::vector<std::string> all = comm.AllGather(std::to_string(comm.rank() * 10));
  ASSERT_EQ(static_cast<int>(all.size()), comm.size());
  for (int r = 0; r < comm.size(); ++r) EXPECT_EQ(all[r], std::to_string(r * 10));
  EXPECT_EQ(comm.AllReduceMax(comm.rank()), comm.size() - 1);
  EXPECT_EQ(comm.AllReduceSum(1), comm.size());
  EXPECT_EQ(static_cast<int>(comm.HostNames().size()), comm.size());
}

TEST(CommTest, ActorBlocksConcatenateToActorOrder) {
  Comm comm;
  const int actors = 7;
  ActorRange mine = LocalActors(actors, comm.size(), comm.rank());
  std::string ids;
  for (int a = mine.begin; a < mine.end; ++a) ids += static_cast<char>('0' + a);
  std::vector<std::string> all = comm.Gather(ids);
  if (comm.is_root()) {
    std::string joined;
    for (const std::string& s : all) joined += s;
    EXPECT_EQ(joined, "0123456");
  }
}

}  // namespace
}  // namespace teamsrl::dist

int main(int argc, char** argv) {
  teamsrl::dist::MpiSession mpi(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  // Only root prints, so the output reads like one test run.
  if (teamsrl::dist::Comm().rank() != 0) {
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  }
  int failed = RUN_ALL_TESTS();
  // Every rank's verdict counts: a failure on rank 3 fails the test.
  return teamsrl::dist::Comm().AllReduceMax(failed) != 0 ? 1 : 0;
}
