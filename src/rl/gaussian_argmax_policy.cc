#include "rl/gaussian_argmax_policy.h"

#include <cmath>
#include <numbers>
#include <sstream>

#include "core/check.h"

namespace teamsrl::rl {
namespace {

const double kHalfLog2Pi = 0.5 * std::log(2.0 * std::numbers::pi);

// Gaussian log-density of the one-hot of `action` under N(mean_row, exp(log_std)^2).
// One fixed summation order, shared by Act and LogProb.
double OneHotLogDensity(const Eigen::Ref<const Eigen::RowVectorXd>& mean_row,
                        const Eigen::VectorXd& log_std, int action) {
  double logp = 0.0;
  for (Eigen::Index j = 0; j < mean_row.size(); ++j) {
    const double r = (j == action ? 1.0 : 0.0) - mean_row[j];
    logp += -0.5 * r * r * std::exp(-2.0 * log_std[j]) - kHalfLog2Pi - log_std[j];
  }
  return logp;
}

}  // namespace

GaussianArgmaxPolicy::GaussianArgmaxPolicy(int obs_dim, int num_actions,
                                           const std::vector<int>& hidden, double breadth_bias,
                                           double init_log_std, int breadth_index)
    : mlp_(MlpSizes(obs_dim, hidden, num_actions), Activation::kRelu),
      log_std_(Eigen::VectorXd::Constant(num_actions, init_log_std)),
      breadth_bias_(breadth_bias),
      breadth_index_(breadth_index) {
  TEAMSRL_CHECK(breadth_index >= -1 && breadth_index < num_actions) << "breadth index out of range";
}

Eigen::VectorXd GaussianArgmaxPolicy::ActBias() const {
  Eigen::VectorXd bias = Eigen::VectorXd::Zero(NumActions());
  if (breadth_index_ >= 0) bias[breadth_index_] = breadth_bias_;
  return bias;
}

void GaussianArgmaxPolicy::Initialize(Rng& rng) {
  mlp_.Initialize(rng, /*output_weight_scale=*/0.1, /*output_bias_scale=*/0.0);
}

Eigen::VectorXd GaussianArgmaxPolicy::Parameters() const {
  Eigen::VectorXd params(NumParameters());
  params << mlp_.Parameters(), log_std_;
  return params;
}

void GaussianArgmaxPolicy::SetParameters(const Eigen::VectorXd& params) {
  TEAMSRL_CHECK(params.size() == NumParameters())
      << "gaussian_argmax expects " << NumParameters() << " parameters, got " << params.size();
  mlp_.SetParameters(params.head(mlp_.NumParameters()));
  log_std_ = params.tail(NumActions());
}

std::unique_ptr<Policy> GaussianArgmaxPolicy::Clone() const {
  return std::make_unique<GaussianArgmaxPolicy>(*this);
}

std::string GaussianArgmaxPolicy::Describe() const {
  std::ostringstream out;
  out << "gaussian_argmax: mean = mlp " << mlp_.Describe()
      << " (init: PyTorch Linear default, output weights x0.1, output bias 0); log_std["
      << NumActions() << "] state-independent; act = argmax(z + breadth_bias e_" << breadth_index_
      << "), z ~ "
      << "N(mean, exp(log_std)^2), breadth_bias = " << breadth_bias_
      << "; log_prob = Gaussian log-density of the one-hot; params = per layer W (out x in, "
      << "row-major) then b, then log_std; float64";
  return out.str();
}

ActionSample GaussianArgmaxPolicy::Act(const Eigen::VectorXd& obs, Rng& rng) const {
  const Eigen::RowVectorXd mean = mlp_.Forward(obs.transpose()).row(0);
  const int best = Choose(mean, rng, ActBias());
  return {best, OneHotLogDensity(mean, log_std_, best)};
}

int GaussianArgmaxPolicy::ActWithBias(const Eigen::VectorXd& obs, Rng& rng,
                                      const Eigen::VectorXd& bias) const {
  TEAMSRL_CHECK(bias.size() == NumActions()) << "bias has the wrong size";
  return Choose(mlp_.Forward(obs.transpose()).row(0), rng, bias);
}

int GaussianArgmaxPolicy::Choose(const Eigen::RowVectorXd& mean, Rng& rng,
                                 const Eigen::VectorXd& bias) const {
  int best = 0;
  double best_value = 0.0;
  for (int j = 0; j < NumActions(); ++j) {  // one draw per action, in action order
    const double z = mean[j] + std::exp(log_std_[j]) * rng.Normal() + bias[j];
    if (j == 0 || z > best_value) {  // first index wins ties
      best = j;
      best_value = z;
    }
  }
  return best;
}

int GaussianArgmaxPolicy::GreedyAction(const Eigen::VectorXd& obs) const {
  const Eigen::RowVectorXd mean = mlp_.Forward(obs.transpose()).row(0) + ActBias().transpose();
  Eigen::Index best = 0;
  mean.maxCoeff(&best);
  return static_cast<int>(best);
}

Eigen::MatrixXd GaussianArgmaxPolicy::Residuals(const Eigen::MatrixXd& mean,
                                                const std::vector<int>& actions) const {
  Eigen::MatrixXd r = -mean;
  for (Eigen::Index i = 0; i < r.rows(); ++i) r(i, actions[i]) += 1.0;
  return r;
}

Eigen::VectorXd GaussianArgmaxPolicy::LogProb(const Eigen::MatrixXd& obs,
                                              const std::vector<int>& actions) const {
  internal::CheckBatch(*this, obs, &actions, nullptr);
  const Eigen::MatrixXd mean = mlp_.Forward(obs);
  Eigen::VectorXd logp(obs.rows());
  for (Eigen::Index i = 0; i < obs.rows(); ++i) {
    logp[i] = OneHotLogDensity(mean.row(i), log_std_, actions[i]);
  }
  return logp;
}

Eigen::VectorXd GaussianArgmaxPolicy::LogProbGradient(const Eigen::MatrixXd& obs,
                                                      const std::vector<int>& actions,
                                                      const Eigen::VectorXd& weights) const {
  internal::CheckBatch(*this, obs, &actions, &weights);
  Mlp::Cache cache;
  const Eigen::MatrixXd mean = mlp_.Forward(obs, &cache);
  const Eigen::MatrixXd r = Residuals(mean, actions);
  const Eigen::RowVectorXd inv_var = (-2.0 * log_std_.array()).exp().matrix().transpose();
  // d logp_i / d mean_ij = r_ij / var_j;  d logp_i / d log_std_j = r_ij^2 / var_j - 1.
  Eigen::MatrixXd scaled = r.array().rowwise() * inv_var.array();
  Eigen::MatrixXd grad_mean = scaled.array().colwise() * weights.array();
  Eigen::VectorXd grad(NumParameters());
  grad.head(mlp_.NumParameters()) = mlp_.Backward(cache, grad_mean);
  Eigen::MatrixXd per_ls = (r.array().square().rowwise() * inv_var.array() - 1.0).matrix();
  grad.tail(NumActions()) = (weights.transpose() * per_ls).transpose();
  return grad;
}

const GaussianArgmaxPolicy& GaussianArgmaxPolicy::CheckedOld(const Policy& old) const {
  const auto* typed = dynamic_cast<const GaussianArgmaxPolicy*>(&old);
  TEAMSRL_CHECK(typed != nullptr) << "KL between policies of different types";
  TEAMSRL_CHECK(typed->NumParameters() == NumParameters() && typed->mlp_.sizes() == mlp_.sizes())
      << "KL between policies of different shapes";
  return *typed;
}

double GaussianArgmaxPolicy::MeanKl(const Policy& old, const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  const GaussianArgmaxPolicy& p0 = CheckedOld(old);
  const Eigen::MatrixXd m0 = p0.mlp_.Forward(obs);
  const Eigen::MatrixXd m1 = mlp_.Forward(obs);
  // Per entry: ls1 - ls0 + (var0 + (m0 - m1)^2) / (2 var1) - 1/2, summed over actions.
  // var0/var1 is computed as exp(2 (ls0 - ls1)) so identical parameters give exactly 0.
  const Eigen::RowVectorXd var_ratio =
      (2.0 * (p0.log_std_ - log_std_).array()).exp().matrix().transpose();
  const Eigen::RowVectorXd inv_var1 = (-2.0 * log_std_.array()).exp().matrix().transpose();
  const Eigen::ArrayXXd sq = (m0 - m1).array().square();
  const Eigen::ArrayXXd quad = (sq.rowwise() * inv_var1.array()).rowwise() + var_ratio.array();
  double total = 0.0;
  for (Eigen::Index i = 0; i < quad.rows(); ++i) {
    double row = 0.0;
    for (Eigen::Index j = 0; j < quad.cols(); ++j) {
      row += log_std_[j] - p0.log_std_[j] + 0.5 * quad(i, j) - 0.5;
    }
    total += row;
  }
  return total / static_cast<double>(obs.rows());
}

Eigen::VectorXd GaussianArgmaxPolicy::MeanKlGradient(const Policy& old,
                                                     const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  const GaussianArgmaxPolicy& p0 = CheckedOld(old);
  const double inv_n = 1.0 / static_cast<double>(obs.rows());
  const Eigen::MatrixXd m0 = p0.mlp_.Forward(obs);
  Mlp::Cache cache;
  const Eigen::MatrixXd m1 = mlp_.Forward(obs, &cache);
  const Eigen::RowVectorXd var_ratio =
      (2.0 * (p0.log_std_ - log_std_).array()).exp().matrix().transpose();
  const Eigen::RowVectorXd inv_var1 = (-2.0 * log_std_.array()).exp().matrix().transpose();
  const Eigen::MatrixXd diff = m1 - m0;
  Eigen::VectorXd grad(NumParameters());
  const Eigen::MatrixXd grad_mean = (diff.array().rowwise() * inv_var1.array()) * inv_n;
  grad.head(mlp_.NumParameters()) = mlp_.Backward(cache, grad_mean);
  // d/d ls1_j = mean_i [1 - (var0_j + diff_ij^2) / var1_j].
  const Eigen::ArrayXXd ratio =
      (diff.array().square().rowwise() * inv_var1.array()).rowwise() + var_ratio.array();
  grad.tail(NumActions()) = (1.0 - ratio.colwise().sum().transpose() * inv_n).matrix();
  return grad;
}

LinearOperator GaussianArgmaxPolicy::FisherOperator(const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  auto cache = std::make_shared<Mlp::Cache>();
  mlp_.Forward(obs, cache.get());
  // Hessian of the KL in (mean, log_std) at identical parameters: diag(1/var) for the
  // mean, 2 for each log_std, no cross terms; chained through the mean's Jacobian.
  const Eigen::RowVectorXd scale =
      (-2.0 * log_std_.array()).exp().matrix().transpose() / static_cast<double>(obs.rows());
  const int num_mlp = mlp_.NumParameters();
  const int num_actions = NumActions();
  return [mlp = mlp_, cache, scale, num_mlp, num_actions](const Eigen::VectorXd& v) {
    TEAMSRL_CHECK(v.size() == num_mlp + num_actions) << "Fisher operator: wrong vector size";
    const Eigen::MatrixXd jv = mlp.Jvp(*cache, v.head(num_mlp));
    Eigen::VectorXd out(v.size());
    out.head(num_mlp) = mlp.Backward(*cache, jv.array().rowwise() * scale.array());
    out.tail(num_actions) = 2.0 * v.tail(num_actions);
    return out;
  };
}

double GaussianArgmaxPolicy::MeanEntropy(const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  return log_std_.sum() + NumActions() * (0.5 + kHalfLog2Pi);
}

Eigen::VectorXd GaussianArgmaxPolicy::MeanEntropyGradient(const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  Eigen::VectorXd grad = Eigen::VectorXd::Zero(NumParameters());
  grad.tail(NumActions()).setOnes();
  return grad;
}

}  // namespace teamsrl::rl
