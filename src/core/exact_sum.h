// Exact, order-independent summation of doubles (issue 15 item 2: reductions whose bits do
// not depend on how the terms are split over ranks).
//
// A long fixed-point accumulator in the spirit of Kulisch's: every finite double is an
// integer multiple of 2^-1074 (the smallest subnormal), so a sum of doubles is an integer
// multiple of it too. ExactSum keeps that integer in base-2^32 digits held in int64 limbs,
// which leaves 31 bits of headroom per limb: adding a double adds at most 2^32 - 1 to three
// neighbouring limbs, and carries are propagated every 2^30 additions (and before reading).
// Integer addition is associative, so any order and any partition of the terms (merged
// with Merge, or summed limb-wise across ranks) gives the same accumulator, and Value()
// rounds that exact sum once, to nearest with ties to even, into a double. We chose this
// over binned summation (ReproBLAS) because it is exact, not merely reproducible, needs no
// bound on the terms in advance, and is short enough to check by hand; its cost is a few
// integer operations per term (bench/exact_sum_bench.cc prints it).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace teamsrl {

class ExactSum {
 public:
  // 2^-1074 .. 2^1024 is 2098 bits; 68 limbs of 32 bits (2176) leave room for 2^31 of the
  // largest doubles in the top limb.
  static constexpr int kLimbs = 68;

  void Add(double x);
  void Add(std::span<const double> xs);
  // Adds `other`'s terms, as if they had been added here.
  void Merge(const ExactSum& other);
  // The exact sum rounded once to nearest (ties to even); +-inf past the double range; NaN
  // when a term was NaN or both infinities were added; +0.0 for an exact zero.
  double Value() const;

  // Canonical form, for the wire: the limbs after carry propagation into balanced digits
  // (equal sums have equal limbs; limbs above the sum's highest bit are 0), plus the
  // non-finite terms seen. FromWire is its inverse, and also accepts the limb-wise sum of
  // several wires (an integer reduction across ranks).
  struct Wire {
    std::array<int64_t, kLimbs> limbs{};
    int8_t nan = 0, pos_inf = 0, neg_inf = 0;
  };
  Wire ToWire() const;
  static ExactSum FromWire(const Wire& wire);

 private:
  void Normalize();

  std::array<int64_t, kLimbs> limbs_{};
  int64_t pending_ = 0;  // additions since the last carry propagation
  bool nan_ = false, pos_inf_ = false, neg_inf_ = false;
};

// The exact sum of `xs`, rounded once.
double ExactTotal(std::span<const double> xs);

}  // namespace teamsrl
