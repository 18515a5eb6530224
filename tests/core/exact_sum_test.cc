#include "core/exact_sum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace teamsrl {
namespace {

// An independent, correctly rounded reference: Shewchuk's exact partials and the
// final half-way correction, as CPython's math.fsum computes them (no overflow handling, so
// the inputs below stay within +-1e290).
double Fsum(const std::vector<double>& xs) {
  std::vector<double> partials;
  for (double x : xs) {
    size_t i = 0;
    for (double y : partials) {
      if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
      const double hi = x + y;
      const double lo = y - (hi - x);
      if (lo != 0.0) partials[i++] = lo;
      x = hi;
    }
    partials.resize(i);
    partials.push_back(x);
  }
  size_t n = partials.size();
  double hi = 0.0, lo = 0.0;
  if (n > 0) {
    hi = partials[--n];
    while (n > 0) {
      const double x = hi;
      const double y = partials[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo != 0.0) break;
    }
    if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
      const double y = lo * 2;
      const double x = hi + y;
      if (y == x - hi) hi = x;
    }
  }
  return hi;
}

// Mixed signs and magnitudes from 1e-300 to 1e290, some subnormals and exact cancellations.
std::vector<double> MixedDoubles(std::mt19937_64& gen, size_t n) {
  std::uniform_real_distribution<double> unit(0.5, 1.0);
  std::uniform_int_distribution<int> exponent(-996, 963);
  std::uniform_int_distribution<int> kind(0, 19);
  std::vector<double> xs;
  while (xs.size() < n) {
    const int k = kind(gen);
    double x = std::ldexp(unit(gen), exponent(gen));
    if (k == 0) x = std::numeric_limits<double>::denorm_min() * static_cast<double>(gen() % 1000);
    if (k == 1) x = std::ldexp(unit(gen), static_cast<int>(gen() % 60));  // a cluster near 1
    if (gen() & 1) x = -x;
    xs.push_back(x);
    if (k == 2 && xs.size() < n) xs.push_back(-x);  // cancels exactly
  }
  return xs;
}

uint64_t Bits(double x) { return std::bit_cast<uint64_t>(x); }

TEST(ExactSumTest, IsCorrectlyRoundedAgainstAnIndependentReference) {
  std::mt19937_64 gen(20261203);
  for (int trial = 0; trial < 300; ++trial) {
    const std::vector<double> xs = MixedDoubles(gen, 1 + gen() % 400);
    EXPECT_EQ(Bits(ExactTotal(xs)), Bits(Fsum(xs))) << "trial " << trial;
  }
}

// The same 10,000 doubles in any order and any partition, merged in any order or summed
// limb-wise as an MPI reduction of the wire form would: the same bits every time.
TEST(ExactSumTest, AnyOrderAndPartitionGivesTheSameBits) {
  std::mt19937_64 gen(7);
  std::vector<double> xs = MixedDoubles(gen, 10000);
  const double reference = ExactTotal(xs);
  EXPECT_EQ(Bits(reference), Bits(Fsum(xs)));
  int naive_differs = 0;
  double first_naive = 0.0;
  for (int round = 0; round < 20; ++round) {
    std::shuffle(xs.begin(), xs.end(), gen);
    double naive = 0.0;
    for (double x : xs) naive += x;
    if (round == 0) first_naive = naive;
    naive_differs += Bits(naive) != Bits(first_naive) ? 1 : 0;
    EXPECT_EQ(Bits(ExactTotal(xs)), Bits(reference)) << "order " << round;
    for (int parts : {2, 4, 8}) {
      std::vector<size_t> cuts = {0, xs.size()};
      for (int c = 1; c < parts; ++c) cuts.push_back(gen() % xs.size());
      std::sort(cuts.begin(), cuts.end());
      std::vector<ExactSum> sums(parts);
      for (int p = 0; p < parts; ++p) {
        sums[p].Add(std::span<const double>(xs).subspan(cuts[p], cuts[p + 1] - cuts[p]));
      }
      std::shuffle(sums.begin(), sums.end(), gen);
      ExactSum merged;
      for (const ExactSum& s : sums) merged.Merge(s);
      EXPECT_EQ(Bits(merged.Value()), Bits(reference)) << parts << " parts";
      ExactSum::Wire total;  // what MPI_Allreduce(MPI_INT64_T, MPI_SUM) of the wires gives
      for (const ExactSum& s : sums) {
        const ExactSum::Wire w = s.ToWire();
        for (int i = 0; i < ExactSum::kLimbs; ++i) total.limbs[i] += w.limbs[i];
      }
      EXPECT_EQ(Bits(ExactSum::FromWire(total).Value()), Bits(reference)) << parts << " wires";
    }
  }
  EXPECT_GT(naive_differs, 0);  // a plain double sum does depend on the order here
}

TEST(ExactSumTest, KnownAnswers) {
  const double max = std::numeric_limits<double>::max();
  const double tiny = std::numeric_limits<double>::denorm_min();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ExactTotal({}), 0.0);
  EXPECT_FALSE(std::signbit(ExactTotal(std::vector<double>{1.5, -1.5})));
  EXPECT_EQ(ExactTotal(std::vector<double>{1e16, 1.0, -1e16}), 1.0);
  EXPECT_EQ(ExactTotal(std::vector<double>{0x1p53, 1.0}), 0x1p53);  // a tie goes to even
  EXPECT_EQ(ExactTotal(std::vector<double>{0x1p53, 1.0, 0x1p-30}), 0x1p53 + 2.0);
  EXPECT_EQ(ExactTotal(std::vector<double>(10, 0.1)), 1.0);
  EXPECT_EQ(ExactTotal(std::vector<double>{max, max, -max}), max);  // no intermediate overflow
  EXPECT_EQ(ExactTotal(std::vector<double>{max, max}), inf);
  EXPECT_EQ(ExactTotal(std::vector<double>{-max, -max}), -inf);
  EXPECT_EQ(ExactTotal(std::vector<double>{tiny, tiny, tiny}), 3 * tiny);
  EXPECT_EQ(ExactTotal(std::vector<double>{-2.5, 0.5}), -2.0);
  EXPECT_EQ(ExactTotal(std::vector<double>{inf, 1.0}), inf);
  EXPECT_TRUE(std::isnan(ExactTotal(std::vector<double>{inf, -inf})));
  EXPECT_TRUE(std::isnan(ExactTotal(std::vector<double>{1.0, std::nan("")})));
}

// Balanced digits: a negative sum, like a positive one, leaves the limbs above its highest
// bit at 0, so a reduction need only send the limbs in use.
TEST(ExactSumTest, WireLimbsAboveTheSumAreZeroForEitherSign) {
  for (double x : {-1.0, 1.0, -0x1p-1074, 3e-300}) {
    ExactSum s;
    s.Add(x);
    const ExactSum::Wire w = s.ToWire();
    const int top = (1074 + std::ilogb(x)) / 32;  // the limb of x's highest bit
    for (int i = top + 2; i < ExactSum::kLimbs; ++i) EXPECT_EQ(w.limbs[i], 0) << x << " limb " << i;
    EXPECT_EQ(ExactSum::FromWire(w).Value(), x);
  }
}

}  // namespace
}  // namespace teamsrl
