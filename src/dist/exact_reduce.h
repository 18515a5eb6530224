// Reductions whose bits do not depend on the number of ranks (issue 15 item 2): each rank
// accumulates its own terms exactly (core/exact_sum.h); the ranks add the accumulators as
// integers, which is exact and order-independent, and every rank rounds the same total once.
//
// Communication: one integer reduction of the limbs any element uses anywhere (the window
// is agreed first with two scalar reductions), plus one integer per element for the
// non-finite terms: a few words per element, whatever the number of terms behind them.
#pragma once

#include <vector>

#include "core/exact_sum.h"
#include "core/exact_vector_sum.h"
#include "dist/comm.h"

namespace teamsrl::dist {

// Collective; every rank passes the same number of elements (checked). Element i of the
// result is the exact sum of every rank's local[i], rounded once, the same on every rank.
std::vector<double> ExactAllReduce(const Comm& comm, const std::vector<ExactSum>& local);

// The same for the terms of an ExactVectorSum, in two reductions whatever the number of
// terms: an element-wise max of the bit ranges (3 words per element), then an element-wise
// sum of the digits (3 words per element whose terms span at most 102 bits, 71 otherwise).
// The distributed learner's sums (pipeline/rank_sum.h).
// `words`, when given, gets the number of int64 this rank passed to the two reductions.
std::vector<double> ExactAllReduce(const Comm& comm, const ExactVectorSum& local,
                                   long long* words = nullptr);

}  // namespace teamsrl::dist
