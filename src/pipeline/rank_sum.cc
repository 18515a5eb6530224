#include "pipeline/rank_sum.h"

#include "core/exact_vector_sum.h"
#include "dist/exact_reduce.h"

namespace teamsrl::pipeline {

Eigen::VectorXd RankSum::Total(int dim, const std::vector<Eigen::VectorXd>& terms) const {
  ExactVectorSum local(dim);
  for (const Eigen::VectorXd& t : terms) local.Add({t.data(), static_cast<size_t>(t.size())});
  long long words = 0;
  const std::vector<double> total = dist::ExactAllReduce(comm_, local, &words);
  ++reductions_;
  bytes_ += static_cast<int64_t>(sizeof(long long)) * words;
  return Eigen::Map<const Eigen::VectorXd>(total.data(), dim);
}

}  // namespace teamsrl::pipeline
