// Softmax policy over discrete actions: an MLP gives the logits (output layer initialised
// like the Gaussian policy's mean head: weights x0.1, biases 0, so the initial policy is
// nearly uniform). log pi(a|s) = log_softmax(logits)[a]. Parameters: the MLP's.
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

#include "rl/mlp.h"
#include "rl/policy.h"

namespace teamsrl::rl {

class CategoricalPolicy final : public Policy {
 public:
  CategoricalPolicy(int obs_dim, int num_actions, const std::vector<int>& hidden);
  void Initialize(Rng& rng);

  std::string Type() const override { return std::string(EnumName(PolicyType::kCategorical)); }
  int NumActions() const override { return mlp_.OutputDim(); }
  int ObsDim() const override { return mlp_.InputDim(); }
  int NumParameters() const override { return mlp_.NumParameters(); }
  Eigen::VectorXd Parameters() const override { return mlp_.Parameters(); }
  void SetParameters(const Eigen::VectorXd& params) override { mlp_.SetParameters(params); }
  std::unique_ptr<Policy> Clone() const override;
  std::string Describe() const override;

  ActionSample Act(const Eigen::VectorXd& obs, Rng& rng) const override;
  int GreedyAction(const Eigen::VectorXd& obs) const override;
  int ActWithBias(const Eigen::VectorXd& obs, Rng& rng, const Eigen::VectorXd& bias) const override;
  Eigen::VectorXd LogProb(const Eigen::MatrixXd& obs,
                          const std::vector<int>& actions) const override;
  Eigen::VectorXd LogProbGradient(const Eigen::MatrixXd& obs, const std::vector<int>& actions,
                                  const Eigen::VectorXd& weights) const override;
  double MeanKl(const Policy& old, const Eigen::MatrixXd& obs) const override;
  Eigen::VectorXd MeanKlGradient(const Policy& old, const Eigen::MatrixXd& obs) const override;
  LinearOperator FisherOperator(const Eigen::MatrixXd& obs) const override;
  double MeanEntropy(const Eigen::MatrixXd& obs) const override;
  Eigen::VectorXd MeanEntropyGradient(const Eigen::MatrixXd& obs) const override;

  // Row-wise log-softmax of the logits (N x num_actions).
  Eigen::MatrixXd LogProbabilities(const Eigen::MatrixXd& obs) const;

 private:
  const CategoricalPolicy& CheckedOld(const Policy& old) const;

  Mlp mlp_;
};

// Row-wise numerically stable log-softmax.
Eigen::MatrixXd LogSoftmaxRows(const Eigen::MatrixXd& logits);

}  // namespace teamsrl::rl
