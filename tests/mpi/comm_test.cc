// The MPI wrapper under real mpiexec with 1, 2, 4 and 8 ranks: gather order, broadcast,
// all-gather and reductions, the exact ones included.
#include "dist/comm.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "dist/exact_reduce.h"
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

// The same terms split over any number of ranks, each rank summing a different subset (an
// interleaved one, a contiguous block, or none): every rank gets the bits of the exact sum
// of all terms, as one process computes it.
TEST(ExactAllReduceTest, SameBitsForAnyRankCount) {
  Comm comm;
  std::vector<std::vector<double>> terms(5);
  uint64_t state = 88172645463325252ull;  // xorshift64: the same terms on every rank
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (size_t e = 0; e < terms.size(); ++e) {
    for (int k = 0; k < 2000; ++k) {
      const double mantissa = 1.0 + static_cast<double>(next() % (1ull << 52)) * 0x1p-52;
      const int exponent = static_cast<int>(next() % (e == 4 ? 1200 : 80)) - (e == 4 ? 600 : 40);
      terms[e].push_back(std::ldexp(mantissa, exponent) * ((next() & 1) ? -1.0 : 1.0));
    }
  }
  terms[3].assign(2000, 0.0);  // an all-zero element
  std::vector<ExactSum> local(terms.size());
  for (size_t e = 0; e < terms.size(); ++e) {
    const size_t n = terms[e].size();
    for (size_t k = 0; k < n; ++k) {
      const bool mine = e % 2 == 0 ? static_cast<int>(k % comm.size()) == comm.rank()
                                   : static_cast<int>(k * comm.size() / n) == comm.rank();
      if (mine) local[e].Add(terms[e][k]);
    }
  }
  local[2].Add(comm.rank() == comm.size() - 1 ? std::numeric_limits<double>::infinity() : 0.0);
  const std::vector<double> got = ExactAllReduce(comm, local);
  ASSERT_EQ(got.size(), terms.size());
  for (size_t e = 0; e < terms.size(); ++e) {
    const double expected = e == 2 ? std::numeric_limits<double>::infinity() : ExactTotal(terms[e]);
    EXPECT_EQ(std::bit_cast<uint64_t>(got[e]), std::bit_cast<uint64_t>(expected))
        << "element " << e;
  }
  // And every rank holds the same bits.
  std::string mine(reinterpret_cast<const char*>(got.data()), got.size() * sizeof(double));
  for (const std::string& other : comm.AllGather(mine)) EXPECT_EQ(other, mine);
}

// The vector form: 40 term vectors of 6 elements (gradient-like, wide, cancelling, zero,
// with an infinity, huge and tiny together) dealt to the ranks in blocks; every rank gets
// each element's correctly rounded exact sum.
TEST(ExactAllReduceTest, VectorSumsSameBitsForAnyRankCount) {
  Comm comm;
  const int count = 40, dim = 6;
  uint64_t state = 2463534242ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  std::vector<std::vector<double>> terms(count, std::vector<double>(dim));
  for (int t = 0; t < count; ++t) {
    const double u = static_cast<double>(next() % (1ull << 52)) * 0x1p-52 - 0.5;
    terms[t] = {u * 1e-3,
                std::ldexp(u, static_cast<int>(next() % 120) - 60),
                t % 2 == 0 ? 1.0 + t : -(1.0 + t - 1),
                0.0,
                t == 7 ? std::numeric_limits<double>::infinity() : u,
                t % 3 == 0 ? 1e300 * u : 1e-300 * u};
  }
  ExactVectorSum local(dim);
  for (int t = 0; t < count; ++t) {
    if (t * comm.size() / count == comm.rank()) local.Add(terms[t]);
  }
  const std::vector<double> got = ExactAllReduce(comm, local);
  ASSERT_EQ(got.size(), static_cast<size_t>(dim));
  for (int e = 0; e < dim; ++e) {
    std::vector<double> column;
    for (const auto& t : terms) column.push_back(t[e]);
    EXPECT_EQ(std::bit_cast<uint64_t>(got[e]), std::bit_cast<uint64_t>(ExactTotal(column)))
        << "element " << e;
  }
  std::string mine(reinterpret_cast<const char*>(got.data()), got.size() * sizeof(double));
  for (const std::string& other : comm.AllGather(mine)) EXPECT_EQ(other, mine);
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
