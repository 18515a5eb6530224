// rl::BatchSum across the ranks (issue 15, `dist.aggregate: gradients`): each rank's terms
// are summed exactly with every other rank's (dist::ExactAllReduce over
// core/exact_vector_sum.h) and rounded once, so every rank gets the same bits whatever
// the number of ranks and whichever actors it hosts, and the learner runs in lockstep.
// Each Total is two reductions of a few words per element, independent of the steps.
#pragma once

#include <cstdint>
#include <vector>

#include "dist/comm.h"
#include "rl/batch.h"

namespace teamsrl::pipeline {

class RankSum final : public rl::BatchSum {
 public:
  explicit RankSum(const dist::Comm& comm) : comm_(comm) {}
  Eigen::VectorXd Total(int dim, const std::vector<Eigen::VectorXd>& terms) const override;

  int64_t reductions() const { return reductions_; }
  // Bytes this rank contributed to the reductions so far (ranges and digits).
  int64_t bytes() const { return bytes_; }

 private:
  const dist::Comm& comm_;
  mutable int64_t reductions_ = 0;
  mutable int64_t bytes_ = 0;
};

}  // namespace teamsrl::pipeline
