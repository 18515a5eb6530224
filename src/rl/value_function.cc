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

double ValueFunction::Loss(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets, double l2,
                           Eigen::VectorXd* grad) const {
  TEAMSRL_CHECK(targets.size() == obs.rows() && obs.rows() > 0)
      << "value loss: " << targets.size() << " targets for " << obs.rows() << " observations";
  const double inv_n = 1.0 / static_cast<double>(obs.rows());
  mlp_.ForwardInto(obs, &cache_);
  const Eigen::VectorXd residual = cache_.output.col(0) - targets;
  const Eigen::VectorXd& params = mlp_.Parameters();
  const double loss = residual.squaredNorm() * inv_n + l2 * params.squaredNorm();
  if (grad != nullptr) {
    *grad = mlp_.Backward(cache_, (2.0 * inv_n) * residual);
    *grad += (2.0 * l2) * params;
  }
  return loss;
}

ValueFitStats ValueFunction::FitLbfgs(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets,
                                      double l2, int iterations) {
  ValueFitStats stats;
  stats.mse_before = Loss(obs, targets, 0.0, nullptr);
  LbfgsOptions options;
  options.max_iterations = iterations;
  Mlp& mlp = mlp_;
  const LbfgsResult result = MinimizeLbfgs(
      [&](const Eigen::VectorXd& x, Eigen::VectorXd* grad) {
        mlp.SetParameters(x);
        return Loss(obs, targets, l2, grad);
      },
      mlp_.Parameters(), options);
  mlp_.SetParameters(result.x);
  stats.iterations = result.iterations;
  stats.evaluations = result.evaluations;
  stats.mse_after = Loss(obs, targets, 0.0, nullptr);
  return stats;
}

ValueFitStats ValueFunction::FitAdam(const Eigen::MatrixXd& obs, const Eigen::VectorXd& targets,
                                     int steps, Adam* adam) {
  TEAMSRL_CHECK(adam->dim() == NumParameters()) << "value Adam has the wrong dimension";
  ValueFitStats stats;
  Eigen::VectorXd grad;
  Eigen::VectorXd params = mlp_.Parameters();
  for (int i = 0; i < steps; ++i) {
    const double mse = Loss(obs, targets, 0.0, &grad);
    if (i == 0) stats.mse_before = mse;
    adam->Step(grad, &params);
    mlp_.SetParameters(params);
    ++stats.iterations;
    ++stats.evaluations;
  }
  stats.mse_after = Loss(obs, targets, 0.0, nullptr);
  if (steps <= 0) stats.mse_before = stats.mse_after;
  return stats;
}

}  // namespace teamsrl::rl
