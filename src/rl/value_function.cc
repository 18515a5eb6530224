#include "rl/value_function.h"

#include "core/check.h"
#include "core/rng.h"

namespace teamsrl::rl {

ValueFunction::ValueFunction(int obs_dim, const std::vector<int>& hidden, uint64_t seed)
    : mlp_(MlpSizes(obs_dim, hidden, 1), Activation::kRelu) {
  Rng rng = Rng::ForStream(seed, StreamKind::kPolicyInit, 1);
  mlp_.Initialize(rng, /*output_weight_scale=*/0.1, /*output_bias_scale=*/0.0);
}

Eigen::VectorXd ValueFunction::Predict(const Eigen::MatrixXd& obs) const {
  return mlp_.Forward(obs).col(0);
}

double ValueFunction::Loss(std::span<const Batch> parts,
                           const std::vector<Eigen::VectorXd>& targets, double rows, double l2,
                           const BatchSum& sum, Eigen::VectorXd* grad) const {
  TEAMSRL_CHECK(targets.size() == parts.size() && rows > 0)
      << "value loss: " << targets.size() << " target sets for " << parts.size() << " parts";
  const double inv_n = 1.0 / rows;
  caches_.resize(parts.size());
  const int dim = 1 + (grad != nullptr ? NumParameters() : 0);
  std::vector<Eigen::VectorXd> terms;  // [squared residuals, gradient of the mean part]
  terms.reserve(parts.size());
  for (size_t p = 0; p < parts.size(); ++p) {
    TEAMSRL_CHECK(targets[p].size() == parts[p].obs.rows())
        << "value loss: " << targets[p].size() << " targets for " << parts[p].obs.rows()
        << " observations";
    mlp_.ForwardInto(parts[p].obs, &caches_[p]);
    const Eigen::VectorXd residual = caches_[p].output.col(0) - targets[p];
    Eigen::VectorXd& term = terms.emplace_back(dim);
    term[0] = residual.squaredNorm();
    if (grad != nullptr) term.tail(dim - 1) = mlp_.Backward(caches_[p], (2.0 * inv_n) * residual);
  }
  const Eigen::VectorXd total = sum.Total(dim, terms);
  const Eigen::VectorXd& params = mlp_.Parameters();
  const double loss = total[0] * inv_n + l2 * params.squaredNorm();
  if (grad != nullptr) {
    *grad = total.tail(dim - 1);
    *grad += (2.0 * l2) * params;
  }
  return loss;
}

ValueFitStats ValueFunction::FitLbfgs(std::span<const Batch> parts,
                                      const std::vector<Eigen::VectorXd>& targets, double rows,
                                      double l2, int iterations, const BatchSum& sum) {
  ValueFitStats stats;
  stats.mse_before = Loss(parts, targets, rows, 0.0, sum, nullptr);
  LbfgsOptions options;
  options.max_iterations = iterations;
  Mlp& mlp = mlp_;
  // Every process evaluates at the same points with the same totals, so the iterates are
  // the same everywhere.
  const LbfgsResult result = MinimizeLbfgs(
      [&](const Eigen::VectorXd& x, Eigen::VectorXd* grad) {
        mlp.SetParameters(x);
        return Loss(parts, targets, rows, l2, sum, grad);
      },
      mlp_.Parameters(), options);
  mlp_.SetParameters(result.x);
  stats.iterations = result.iterations;
  stats.evaluations = result.evaluations;
  stats.mse_after = Loss(parts, targets, rows, 0.0, sum, nullptr);
  return stats;
}

ValueFitStats ValueFunction::FitAdam(std::span<const Batch> parts,
                                     const std::vector<Eigen::VectorXd>& targets, double rows,
                                     int steps, Adam* adam, const BatchSum& sum) {
  TEAMSRL_CHECK(adam->dim() == NumParameters()) << "value Adam has the wrong dimension";
  ValueFitStats stats;
  Eigen::VectorXd grad;
  Eigen::VectorXd params = mlp_.Parameters();
  for (int i = 0; i < steps; ++i) {
    const double mse = Loss(parts, targets, rows, 0.0, sum, &grad);
    if (i == 0) stats.mse_before = mse;
    adam->Step(grad, &params);
    mlp_.SetParameters(params);
    ++stats.iterations;
    ++stats.evaluations;
  }
  stats.mse_after = Loss(parts, targets, rows, 0.0, sum, nullptr);
  if (steps <= 0) stats.mse_before = stats.mse_after;
  return stats;
}

namespace {
// One part holding `obs` (a copy: these overloads are for tests and tools, not the learners).
Batch OnePart(const Eigen::MatrixXd& obs) {
  Batch b;
  b.obs = obs;
  return b;
}
}  // namespace

double ValueFunction::Loss(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets, double l2,
                           Eigen::VectorXd* grad) const {
  const Batch part = OnePart(obs);
  return Loss({&part, 1}, {targets}, static_cast<double>(obs.rows()), l2, OrderedSum(), grad);
}

ValueFitStats ValueFunction::FitLbfgs(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets,
                                      double l2, int iterations) {
  const Batch part = OnePart(obs);
  return FitLbfgs({&part, 1}, {targets}, static_cast<double>(obs.rows()), l2, iterations,
                  OrderedSum());
}

ValueFitStats ValueFunction::FitAdam(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets,
                                     int steps, Adam* adam) {
  const Batch part = OnePart(obs);
  return FitAdam({&part, 1}, {targets}, static_cast<double>(obs.rows()), steps, adam, OrderedSum());
}

}  // namespace teamsrl::rl
