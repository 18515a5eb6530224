#include "rl/batch.h"

#include <cmath>

#include "core/check.h"
#include "core/exact_vector_sum.h"

namespace teamsrl::rl {

BatchSum::~BatchSum() = default;

Eigen::VectorXd OrderedSum::Total(int dim, const std::vector<Eigen::VectorXd>& terms) const {
  if (terms.size() == 1) return terms[0];
  Eigen::VectorXd out = Eigen::VectorXd::Zero(dim);
  for (const Eigen::VectorXd& t : terms) {
    TEAMSRL_CHECK(t.size() == dim) << "a term of " << t.size() << " values for " << dim;
    out += t;
  }
  return out;
}

Eigen::VectorXd ExactLocalSum::Total(int dim, const std::vector<Eigen::VectorXd>& terms) const {
  ExactVectorSum s(dim);
  for (const Eigen::VectorXd& t : terms) s.Add({t.data(), static_cast<size_t>(t.size())});
  const std::vector<double> total = ExactVectorSum::Totals(s.Range(), s.Digits(s.Range()));
  return Eigen::Map<const Eigen::VectorXd>(total.data(), dim);
}

double TotalScalar(const BatchSum& sum, const std::vector<double>& terms) {
  std::vector<Eigen::VectorXd> t;
  t.reserve(terms.size());
  for (double x : terms) t.emplace_back(Eigen::VectorXd::Constant(1, x));
  return sum.Total(1, t)[0];
}

double TotalRows(std::span<const Batch> parts, const BatchSum& sum) {
  std::vector<double> rows;
  rows.reserve(parts.size());
  for (const Batch& b : parts) rows.push_back(static_cast<double>(b.obs.rows()));
  return TotalScalar(sum, rows);
}

std::vector<Eigen::VectorXd> NormalizeAdvantages(const std::vector<Eigen::VectorXd>& advantages,
                                                 double rows, const BatchSum& sum) {
  std::vector<double> sums;
  sums.reserve(advantages.size());
  for (const Eigen::VectorXd& a : advantages) sums.push_back(a.sum());
  if (rows == 0) return advantages;
  const double mean = TotalScalar(sum, sums) / rows;
  std::vector<Eigen::VectorXd> centred;
  std::vector<double> squares;
  for (const Eigen::VectorXd& a : advantages) {
    centred.emplace_back((a.array() - mean).matrix());
    squares.push_back(centred.back().squaredNorm());
  }
  if (rows < 2) return centred;
  const double std = std::sqrt(TotalScalar(sum, squares) / (rows - 1));
  if (!(std > 0.0)) return centred;
  for (Eigen::VectorXd& c : centred) c /= std;
  return centred;
}

}  // namespace teamsrl::rl
