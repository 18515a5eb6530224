#include "core/exact_vector_sum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/exact_sum.h"

namespace teamsrl {
namespace {

using Terms = std::vector<std::vector<double>>;  // terms[t][e]

// Sums `terms` as `parts` processes would, each holding the terms whose index `owner`
// maps to it, combining ranges by element-wise max and digits by element-wise sum.
std::vector<double> SplitSum(const Terms& terms, int dim, int parts,
                             const std::vector<int>& owner) {
  std::vector<ExactVectorSum> local(static_cast<size_t>(parts), ExactVectorSum(dim));
  for (size_t t = 0; t < terms.size(); ++t) local[static_cast<size_t>(owner[t])].Add(terms[t]);
  std::vector<long long> range = local[0].Range();
  for (int p = 1; p < parts; ++p) {
    const std::vector<long long> r = local[static_cast<size_t>(p)].Range();
    for (size_t i = 0; i < range.size(); ++i) range[i] = std::max(range[i], r[i]);
  }
  std::vector<long long> digits = local[0].Digits(range);
  for (int p = 1; p < parts; ++p) {
    const std::vector<long long> g = local[static_cast<size_t>(p)].Digits(range);
    EXPECT_EQ(g.size(), digits.size());
    for (size_t i = 0; i < digits.size(); ++i) digits[i] += g[i];
  }
  return ExactVectorSum::Totals(range, digits);
}

// The reference: each element's terms through ExactSum (itself tested against fsum).
std::vector<double> Reference(const Terms& terms, int dim) {
  std::vector<double> out;
  for (int e = 0; e < dim; ++e) {
    ExactSum s;
    for (const std::vector<double>& t : terms) s.Add(t[static_cast<size_t>(e)]);
    out.push_back(s.Value());
  }
  return out;
}

void ExpectSameBits(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t e = 0; e < got.size(); ++e) {
    if (std::isnan(want[e])) {
      EXPECT_TRUE(std::isnan(got[e])) << "element " << e;
    } else {
      EXPECT_EQ(std::bit_cast<uint64_t>(got[e]), std::bit_cast<uint64_t>(want[e]))
          << "element " << e << ": " << got[e] << " vs " << want[e];
    }
  }
}

// Columns of different kinds: gradient-like (one scale, mixed sign), a few orders of
// magnitude, cancelling pairs, zeros, huge and tiny together (the slow path), subnormals,
// and one column with an infinity and one with a NaN.
Terms MixedTerms(int count, int dim, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int> exponent(-60, 60);
  Terms terms(static_cast<size_t>(count), std::vector<double>(static_cast<size_t>(dim)));
  for (int t = 0; t < count; ++t) {
    for (int e = 0; e < dim; ++e) {
      double& x = terms[static_cast<size_t>(t)][static_cast<size_t>(e)];
      switch (e % 8) {
        case 0:
          x = 1e-3 * normal(rng);
          break;
        case 1:
          x = std::ldexp(normal(rng), exponent(rng));
          break;
        case 2:
          x = (t % 2 == 0 ? 1.0 : -1.0) * std::ldexp(1.0 + t / 2, -30);
          break;
        case 3:
          x = 0.0;
          break;
        case 4:
          x = t % 3 == 0 ? 1e300 * normal(rng) : 1e-300 * normal(rng);
          break;
        case 5:
          x = std::numeric_limits<double>::denorm_min() * (t + 1) * (t % 2 ? 1 : -1);
          break;
        case 6:
          x = std::ldexp(normal(rng), 900 + t % 100);
          break;
        default:
          x = normal(rng);
          break;
      }
    }
  }
  terms[1][static_cast<size_t>(dim - 1)] = std::numeric_limits<double>::infinity();
  terms[2][static_cast<size_t>(dim - 2)] = std::numeric_limits<double>::quiet_NaN();
  return terms;
}

TEST(ExactVectorSumTest, CorrectlyRoundedForAnySplit) {
  std::mt19937_64 rng(15);
  const int count = 64, dim = 203;
  const Terms terms = MixedTerms(count, dim, rng);
  const std::vector<double> want = Reference(terms, dim);
  for (int parts : {1, 2, 3, 8}) {
    std::vector<int> owner(count);
    for (int t = 0; t < count; ++t) owner[static_cast<size_t>(t)] = t * parts / count;  // blocks
    ExpectSameBits(SplitSum(terms, dim, parts, owner), want);
    std::uniform_int_distribution<int> pick(0, parts - 1);
    for (int& o : owner) o = pick(rng);  // scattered, uneven, possibly empty processes
    ExpectSameBits(SplitSum(terms, dim, parts, owner), want);
  }
}

TEST(ExactVectorSumTest, OrderOfTermsDoesNotMatter) {
  std::mt19937_64 rng(7);
  Terms terms = MixedTerms(33, 40, rng);
  const std::vector<double> want = SplitSum(terms, 40, 1, std::vector<int>(33, 0));
  std::shuffle(terms.begin(), terms.end(), rng);
  ExpectSameBits(SplitSum(terms, 40, 1, std::vector<int>(33, 0)), want);
}

TEST(ExactVectorSumTest, KnownAnswers) {
  // 1 + 2^-60 - 1 = 2^-60 exactly (a plain double sum gives 0); 0.1 ten times is the
  // correctly rounded 1.0000000000000000555 = 1.0; empty and all-zero columns are +0.
  const Terms terms = {{1.0, 0.1, 0.0}, {0x1p-60, 0.1, -0.0}, {-1.0, 0.1, 0.0}};
  Terms tenth = terms;
  for (int i = 0; i < 7; ++i) tenth.push_back({0.0, 0.1, 0.0});
  const std::vector<double> got = SplitSum(tenth, 3, 2, {0, 1, 0, 1, 0, 1, 0, 1, 0, 1});
  EXPECT_EQ(got[0], 0x1p-60);
  EXPECT_EQ(got[1], ExactTotal(std::vector<double>(10, 0.1)));
  EXPECT_EQ(std::bit_cast<uint64_t>(got[2]), uint64_t{0});
  const std::vector<double> none = SplitSum({}, 3, 1, {});
  EXPECT_EQ(none, std::vector<double>(3, 0.0));
}

// More terms than the int64 part sums hold (2^11 between two 128-bit updates), spanning the
// fast path's whole window: one term 1.0 sets the lowest bit (2^-52), the others are near
// 2^49 with random low bits, so scaled they are near 2^101 and both parts near their
// bounds. Of one sign per element, or cancelling: a part sum that overflowed or a block
// boundary that dropped terms would show.
TEST(ExactVectorSumTest, ManyTermsAcrossTheWholeWindow) {
  const int count = 5000, dim = 3;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> low_bits(0, (int64_t{1} << 52) - 1);
  Terms terms(count, std::vector<double>(dim));
  for (int t = 0; t < count; ++t) {
    auto& term = terms[static_cast<size_t>(t)];
    const double top = std::ldexp(1.0 + 0x1p-52 * static_cast<double>(low_bits(rng)), 48);
    term[0] = t == 0 ? 1.0 : top;
    term[1] = t == 0 ? -1.0 : -top;
    term[2] = t == 0 ? 1.0 : (t % 2 == 0 ? 1 : -1) * top;
  }
  ExactVectorSum probe(dim);
  for (const std::vector<double>& term : terms) probe.Add(term);
  ASSERT_EQ(probe.Digits(probe.Range()).size(), 3u * dim + 1);  // the fast path
  const std::vector<double> want = Reference(terms, dim);
  std::vector<int> owner(count);
  for (int parts : {1, 3}) {
    for (int t = 0; t < count; ++t) owner[static_cast<size_t>(t)] = t * parts / count;
    ExpectSameBits(SplitSum(terms, dim, parts, owner), want);
  }
}

TEST(ExactVectorSumTest, FastPathDigitsStaySmall) {
  // Gradient-like terms take three words per element, not ExactSum's 71.
  ExactVectorSum s(100);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  // Add keeps a pointer to each term, so the terms outlive the sum.
  std::vector<std::vector<double>> terms(10, std::vector<double>(100));
  for (std::vector<double>& term : terms) {
    for (double& x : term) x = normal(rng);
    s.Add(term);
  }
  EXPECT_EQ(s.Digits(s.Range()).size(), 3u * 100 + 1);
}

}  // namespace
}  // namespace teamsrl
