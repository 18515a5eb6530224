// Element-wise exact sums of many vectors whose terms are spread over processes (issue 15:
// the distributed learner's reductions, dist/exact_reduce.h).
//
// ExactSum (core/exact_sum.h) is exact for any terms but carries 68 limbs per element,
// which makes a gradient of thousands of entries cost milliseconds to round. Most of a
// learner's elements need far fewer bits: the terms of one gradient entry span a few
// dozen binary orders. So the sum is taken in two agreed steps:
//   1. Range(): per element, the largest and smallest exponent of any local term (and
//      whether one was NaN or infinite), kept as Add goes; the processes combine these by
//      element-wise max. They bound the bits in use: from the largest exponent's leading
//      bit down to the last place of the smallest exponent's significand.
//   2. Digits(range): with every process knowing the same range, an element whose bits fit
//      102 (exponents at most 49 apart) becomes a 128-bit integer count of that last
//      place: every term is an exact multiple of it, so the scaled terms are exact integers
//      and their sum is exact (2^24 terms of headroom, checked). That integer travels as three
//      43-bit digits in int64, so the processes can add the digits as int64 without carries being
//      lost. A wider element (or one with a non-finite term) falls back to ExactSum's wire.
//   3. Totals(range, summed digits): each element's exact integer, rounded once to the
//      nearest double (ties to even).
// Integer addition is associative, so the result has the same bits for any split of the
// terms over processes and any order; both combines are element-wise max and sum of
// int64, which MPI does exactly. The result is the correctly rounded exact sum, as
// ExactTotal gives (tested against it).
#pragma once

#include <span>
#include <vector>

namespace teamsrl {

class ExactVectorSum {
 public:
  explicit ExactVectorSum(int dim);

  int dim() const { return dim_; }
  // One local term vector (dim() values). Not copied: it must stay alive and unchanged
  // until Digits() has been called.
  void Add(std::span<const double> term);

  // Step 1: what the processes combine by element-wise max (3 * dim() values).
  std::vector<long long> Range() const;
  // Step 2: given the combined range, what the processes combine by element-wise sum.
  std::vector<long long> Digits(const std::vector<long long>& range) const;
  // Step 3: the totals, from the combined range and the summed digits.
  static std::vector<double> Totals(const std::vector<long long>& range,
                                    const std::vector<long long>& digits);

 private:
  int dim_;
  std::vector<const double*> terms_;
  std::vector<long long> range_;  // Range(), kept up to date by Add
};

}  // namespace teamsrl
