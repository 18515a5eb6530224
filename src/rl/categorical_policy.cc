#include "rl/categorical_policy.h"

#include <cmath>
#include <sstream>

#include "core/check.h"

namespace teamsrl::rl {

Eigen::MatrixXd LogSoftmaxRows(const Eigen::MatrixXd& logits) {
  Eigen::MatrixXd out(logits.rows(), logits.cols());
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    const double max = logits.row(i).maxCoeff();
    double sum = 0.0;
    for (Eigen::Index j = 0; j < logits.cols(); ++j) sum += std::exp(logits(i, j) - max);
    const double log_z = max + std::log(sum);
    for (Eigen::Index j = 0; j < logits.cols(); ++j) out(i, j) = logits(i, j) - log_z;
  }
  return out;
}

CategoricalPolicy::CategoricalPolicy(int obs_dim, int num_actions, const std::vector<int>& hidden)
    : mlp_(MlpSizes(obs_dim, hidden, num_actions), Activation::kRelu) {}

void CategoricalPolicy::Initialize(Rng& rng) {
  mlp_.Initialize(rng, /*output_weight_scale=*/0.1, /*output_bias_scale=*/0.0);
}

std::unique_ptr<Policy> CategoricalPolicy::Clone() const {
  return std::make_unique<CategoricalPolicy>(*this);
}

std::string CategoricalPolicy::Describe() const {
  std::ostringstream out;
  out << "categorical: logits = mlp " << mlp_.Describe()
      << " (init: PyTorch Linear default, output weights x0.1, output bias 0); "
      << "pi = softmax(logits); params = per layer W (out x in, row-major) then b; float64";
  return out.str();
}

Eigen::MatrixXd CategoricalPolicy::LogProbabilities(const Eigen::MatrixXd& obs) const {
  return LogSoftmaxRows(mlp_.Forward(obs));
}

ActionSample CategoricalPolicy::Act(const Eigen::VectorXd& obs, Rng& rng) const {
  const Eigen::RowVectorXd logp = LogProbabilities(obs.transpose()).row(0);
  const double u = rng.Uniform();
  double cumulative = 0.0;
  int action = NumActions() - 1;  // if rounding leaves the total just below u
  for (int j = 0; j < NumActions(); ++j) {
    cumulative += std::exp(logp[j]);
    if (u < cumulative) {
      action = j;
      break;
    }
  }
  return {action, logp[action]};
}

int CategoricalPolicy::ActWithBias(const Eigen::VectorXd& obs, Rng& rng,
                                   const Eigen::VectorXd& bias) const {
  TEAMSRL_CHECK(bias.size() == NumActions()) << "bias has the wrong size";
  const Eigen::MatrixXd logits = mlp_.Forward(obs.transpose()).row(0) + bias.transpose();
  const Eigen::RowVectorXd logp = LogSoftmaxRows(logits).row(0);
  const double u = rng.Uniform();
  double cumulative = 0.0;
  for (int j = 0; j < NumActions(); ++j) {
    cumulative += std::exp(logp[j]);
    if (u < cumulative) return j;
  }
  return NumActions() - 1;  // rounding left the total just below u
}

int CategoricalPolicy::GreedyAction(const Eigen::VectorXd& obs) const {
  Eigen::Index best = 0;
  mlp_.Forward(obs.transpose()).row(0).maxCoeff(&best);
  return static_cast<int>(best);
}

Eigen::VectorXd CategoricalPolicy::LogProb(const Eigen::MatrixXd& obs,
                                           const std::vector<int>& actions) const {
  internal::CheckBatch(*this, obs, &actions, nullptr);
  const Eigen::MatrixXd logp = LogProbabilities(obs);
  Eigen::VectorXd out(obs.rows());
  for (Eigen::Index i = 0; i < obs.rows(); ++i) out[i] = logp(i, actions[i]);
  return out;
}

Eigen::VectorXd CategoricalPolicy::LogProbGradient(const Eigen::MatrixXd& obs,
                                                   const std::vector<int>& actions,
                                                   const Eigen::VectorXd& weights) const {
  internal::CheckBatch(*this, obs, &actions, &weights);
  Mlp::Cache cache;
  const Eigen::MatrixXd logits = mlp_.Forward(obs, &cache);
  // d log_softmax(z)[a] / dz = e_a - softmax(z).
  Eigen::MatrixXd grad_logits = -LogSoftmaxRows(logits).array().exp().matrix();
  for (Eigen::Index i = 0; i < obs.rows(); ++i) grad_logits(i, actions[i]) += 1.0;
  grad_logits.array().colwise() *= weights.array();
  return mlp_.Backward(cache, grad_logits);
}

const CategoricalPolicy& CategoricalPolicy::CheckedOld(const Policy& old) const {
  const auto* typed = dynamic_cast<const CategoricalPolicy*>(&old);
  TEAMSRL_CHECK(typed != nullptr) << "KL between policies of different types";
  TEAMSRL_CHECK(typed->mlp_.sizes() == mlp_.sizes()) << "KL between policies of different shapes";
  return *typed;
}

double CategoricalPolicy::MeanKl(const Policy& old, const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  const Eigen::MatrixXd logp0 = CheckedOld(old).LogProbabilities(obs);
  const Eigen::MatrixXd logp1 = LogProbabilities(obs);
  // sum_a p0 (log p0 - log p1), averaged over rows.
  const double total = (logp0.array().exp() * (logp0 - logp1).array()).sum();
  return total / static_cast<double>(obs.rows());
}

Eigen::VectorXd CategoricalPolicy::MeanKlGradient(const Policy& old,
                                                  const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  const Eigen::MatrixXd p0 = CheckedOld(old).LogProbabilities(obs).array().exp().matrix();
  Mlp::Cache cache;
  const Eigen::MatrixXd p1 = LogSoftmaxRows(mlp_.Forward(obs, &cache)).array().exp().matrix();
  // d KL / d logits1 = p1 - p0.
  return mlp_.Backward(cache, (p1 - p0) / static_cast<double>(obs.rows()));
}

LinearOperator CategoricalPolicy::FisherOperator(const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  auto cache = std::make_shared<Mlp::Cache>();
  const Eigen::MatrixXd p = LogSoftmaxRows(mlp_.Forward(obs, cache.get())).array().exp().matrix();
  const double inv_n = 1.0 / static_cast<double>(obs.rows());
  // Hessian of the KL w.r.t. the logits at identical parameters: diag(p) - p p^T per row.
  return [mlp = mlp_, cache, p, inv_n](const Eigen::VectorXd& v) {
    const Eigen::MatrixXd jv = mlp.Jvp(*cache, v);
    const Eigen::VectorXd pjv = (p.array() * jv.array()).rowwise().sum();
    Eigen::MatrixXd m = p.array() * (jv.colwise() - pjv).array();
    m *= inv_n;
    return Eigen::VectorXd(mlp.Backward(*cache, m));
  };
}

double CategoricalPolicy::MeanEntropy(const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  const Eigen::MatrixXd logp = LogProbabilities(obs);
  return -(logp.array().exp() * logp.array()).sum() / static_cast<double>(obs.rows());
}

Eigen::VectorXd CategoricalPolicy::MeanEntropyGradient(const Eigen::MatrixXd& obs) const {
  internal::CheckBatch(*this, obs, nullptr, nullptr);
  Mlp::Cache cache;
  const Eigen::MatrixXd logp = LogSoftmaxRows(mlp_.Forward(obs, &cache));
  const Eigen::MatrixXd p = logp.array().exp().matrix();
  // dH/dz_k = -p_k (log p_k + H), H = -sum_j p_j log p_j (per row).
  const Eigen::VectorXd h = -(p.array() * logp.array()).rowwise().sum();
  Eigen::MatrixXd grad = -(p.array() * (logp.colwise() + h).array()).matrix();
  grad /= static_cast<double>(obs.rows());
  return mlp_.Backward(cache, grad);
}

}  // namespace teamsrl::rl
