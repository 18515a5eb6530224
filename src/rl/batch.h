// A learner's batch and how its sums are taken (issue 15; docs/architecture.md, "The
// learner's sums").
//
// The batch may be held in parts: `dist.aggregate: trajectories` hands root one part, the
// whole batch; `gradients` hands every rank one part per actor it hosts. Every sum over
// steps that a learner takes (rows, advantage moments, losses, gradients, Fisher-vector
// products, KL, entropy) is then a sum over parts of a term each part computes from its
// own steps, and a BatchSum adds those terms up: over the local parts only (OrderedSum,
// ExactLocalSum) or over every rank's (pipeline/rank_sum.h). A learner's control flow
// depends only on totals, so with a BatchSum that gives every rank the same bits, every
// rank runs the same update in lockstep.
#pragma once

#include <Eigen/Dense>
#include <span>
#include <vector>

namespace teamsrl::rl {

// Rows = steps, episodes contiguous and in time order; masks are 0 at each episode's
// last step and 1 elsewhere. logp_old = the ActionSample::log_prob recorded when acting.
struct Batch {
  Eigen::MatrixXd obs;
  std::vector<int> actions;
  Eigen::VectorXd rewards;
  Eigen::VectorXd masks;
  Eigen::VectorXd logp_old;
};

class BatchSum {
 public:
  virtual ~BatchSum();
  // Element-wise total of `terms` (this process's, each of `dim` values) together with
  // every other process's. Collective when the sum spans processes: every process calls it
  // the same number of times, with the same `dim`.
  virtual Eigen::VectorXd Total(int dim, const std::vector<Eigen::VectorXd>& terms) const = 0;
  // True when Total involves no other process and no state, so two threads may take
  // totals at once (internal::ValueFitBesidePolicyStep).
  virtual bool local() const { return false; }
};

// The terms added in order in doubles; for one part, the term itself, so a learner given
// one part computes exactly what it computed before parts existed.
class OrderedSum final : public BatchSum {
 public:
  Eigen::VectorXd Total(int dim, const std::vector<Eigen::VectorXd>& terms) const override;
  bool local() const override { return true; }
};

// The terms' exact sum rounded once (core/exact_vector_sum.h): in one process, the bits
// pipeline/rank_sum.h gives for the same terms split over any number of ranks.
class ExactLocalSum final : public BatchSum {
 public:
  Eigen::VectorXd Total(int dim, const std::vector<Eigen::VectorXd>& terms) const override;
  bool local() const override { return true; }
};

// Scalar totals, one term per part: the sum of term(part) over every part everywhere.
double TotalScalar(const BatchSum& sum, const std::vector<double>& terms);

// Steps in the whole batch.
double TotalRows(std::span<const Batch> parts, const BatchSum& sum);

// NormalizeAdvantages (rl/gae.h) of the advantages of the whole batch, held per part:
// the mean and the unbiased std are totals.
std::vector<Eigen::VectorXd> NormalizeAdvantages(const std::vector<Eigen::VectorXd>& advantages,
                                                 double rows, const BatchSum& sum);

}  // namespace teamsrl::rl
