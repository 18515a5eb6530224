// The policy of TeaMs-RL's released code (pytorch-trpo's Gaussian policy used for a
// discrete choice): an MLP maps the observation to the mean of a diagonal Gaussian over
// R^num_actions with a learned state-independent log-std. Act samples z ~ N(mean, std),
// adds `breadth_bias` to breadth's entry (index `breadth_index`: 0 in the paper's action
// order, -1 for an action set without breadth), takes the argmax and emits the one-hot of
// that index. The log-probability the learner uses is the Gaussian
// log-density of that one-hot vector, not the probability of the argmax event: a quirk
// kept on purpose (this is the faithful mode; `categorical` is the principled one).
// Parameters: the MLP's (PyTorch order) then log_std[num_actions].
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

#include "rl/mlp.h"
#include "rl/policy.h"

namespace teamsrl::rl {

class GaussianArgmaxPolicy final : public Policy {
 public:
  // hidden = widths of the hidden layers (ReLU). Parameters start at zero, log_std at
  // init_log_std; call Initialize for the PyTorch-style random init.
  GaussianArgmaxPolicy(int obs_dim, int num_actions, const std::vector<int>& hidden,
                       double breadth_bias, double init_log_std, int breadth_index = 0);
  // Default Linear init, output layer weights x0.1 and biases 0; log_std = init_log_std.
  void Initialize(Rng& rng);

  std::string Type() const override { return std::string(EnumName(PolicyType::kGaussianArgmax)); }
  int NumActions() const override { return mlp_.OutputDim(); }
  int ObsDim() const override { return mlp_.InputDim(); }
  int NumParameters() const override { return mlp_.NumParameters() + NumActions(); }
  Eigen::VectorXd Parameters() const override;
  void SetParameters(const Eigen::VectorXd& params) override;
  std::unique_ptr<Policy> Clone() const override;
  std::string Describe() const override;

  ActionSample Act(const Eigen::VectorXd& obs, Rng& rng) const override;
  int GreedyAction(const Eigen::VectorXd& obs) const override;
  int ActWithBias(const Eigen::VectorXd& obs, Rng& rng, const Eigen::VectorXd& bias) const override;
  Eigen::VectorXd ActBias() const override;
  Eigen::VectorXd LogProb(const Eigen::MatrixXd& obs,
                          const std::vector<int>& actions) const override;
  Eigen::VectorXd LogProbGradient(const Eigen::MatrixXd& obs, const std::vector<int>& actions,
                                  const Eigen::VectorXd& weights) const override;
  double MeanKl(const Policy& old, const Eigen::MatrixXd& obs) const override;
  Eigen::VectorXd MeanKlGradient(const Policy& old, const Eigen::MatrixXd& obs) const override;
  LinearOperator FisherOperator(const Eigen::MatrixXd& obs) const override;
  double MeanEntropy(const Eigen::MatrixXd& obs) const override;
  Eigen::VectorXd MeanEntropyGradient(const Eigen::MatrixXd& obs) const override;

  // The Gaussian's mean for each row (N x num_actions) and the log-std.
  Eigen::MatrixXd Mean(const Eigen::MatrixXd& obs) const { return mlp_.Forward(obs); }
  const Eigen::VectorXd& log_std() const { return log_std_; }
  double breadth_bias() const { return breadth_bias_; }
  int breadth_index() const { return breadth_index_; }

 private:
  const GaussianArgmaxPolicy& CheckedOld(const Policy& old) const;
  // argmax_j of mean_j + std_j * N(0, 1) + bias_j: Act's and ActWithBias's one choice.
  int Choose(const Eigen::RowVectorXd& mean, Rng& rng, const Eigen::VectorXd& bias) const;
  // One-hot targets of `actions` minus the means (N x num_actions).
  Eigen::MatrixXd Residuals(const Eigen::MatrixXd& mean, const std::vector<int>& actions) const;

  Mlp mlp_;
  Eigen::VectorXd log_std_;
  double breadth_bias_;
  int breadth_index_;  // -1: no breadth among the actions
};

}  // namespace teamsrl::rl
