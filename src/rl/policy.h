// Stochastic policies over a fixed set of discrete actions, with everything a
// natural-gradient learner needs computed analytically: log-probabilities and their
// gradients, the mean KL divergence to a frozen copy and its gradient, exact
// Fisher-vector products (Hessian of the mean KL at identical parameters, J^T M J v),
// and the entropy. Observations are rows of a matrix (N x ObsDim()); actions are indices.
// The layer knows nothing of what the actions mean.
//
// Types (PolicyConfig::type):
//   gaussian_argmax  faithful to TeaMs-RL's released code: an MLP gives the mean of a
//                    diagonal Gaussian (learned state-independent log-std); Act samples
//                    it, adds breadth_bias to entry 0, takes the argmax and emits its
//                    one-hot; the log-prob is the Gaussian density of that one-hot.
//   categorical      softmax over MLP logits (the principled alternative).
//   uniform          no parameters, uniform choice (Evol-Instruct's random control).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "rl/conjugate_gradient.h"
#include "rl/options.h"

namespace teamsrl::rl {

struct ActionSample {
  int action = 0;
  double log_prob = 0.0;  // the log-probability the learner uses as logp_old
};

class Policy {
 public:
  virtual ~Policy() = default;

  virtual std::string Type() const = 0;
  virtual int NumActions() const = 0;
  virtual int ObsDim() const = 0;
  virtual int NumParameters() const = 0;
  virtual Eigen::VectorXd Parameters() const = 0;
  virtual void SetParameters(const Eigen::VectorXd& params) = 0;
  virtual std::unique_ptr<Policy> Clone() const = 0;
  // Architecture and parameter layout, for the run file's /policy attributes.
  virtual std::string Describe() const = 0;

  // Samples an action for one observation, drawing only from `rng`.
  virtual ActionSample Act(const Eigen::VectorXd& obs, Rng& rng) const = 0;
  // The action the policy prefers without noise (greedy evaluation).
  virtual int GreedyAction(const Eigen::VectorXd& obs) const = 0;
  // Samples an action with `bias` (one entry per action) added to the action scores
  // before the choice, in place of the policy's own ActBias (generation's schedule,
  // docs/method.md s.5): gaussian_argmax adds it to the Gaussian sample before the argmax,
  // categorical to the logits; uniform ignores it. With bias = ActBias() it draws the same
  // action as Act from the same `rng` state.
  // What Act adds to the action scores itself: gaussian_argmax's breadth bias during
  // training; zero for the others.
  virtual Eigen::VectorXd ActBias() const { return Eigen::VectorXd::Zero(NumActions()); }
  virtual int ActWithBias(const Eigen::VectorXd& obs, Rng& rng,
                          const Eigen::VectorXd& bias) const = 0;

  // log pi(actions[i] | obs.row(i)) for every row.
  virtual Eigen::VectorXd LogProb(const Eigen::MatrixXd& obs,
                                  const std::vector<int>& actions) const = 0;
  // Gradient w.r.t. the parameters of sum_i weights[i] * log pi(actions[i] | obs.row(i)).
  virtual Eigen::VectorXd LogProbGradient(const Eigen::MatrixXd& obs,
                                          const std::vector<int>& actions,
                                          const Eigen::VectorXd& weights) const = 0;

  // mean_i KL(old(.|s_i) || this(.|s_i)); `old` must be of the same type and shape
  // (typically a Clone() taken before an update).
  virtual double MeanKl(const Policy& old, const Eigen::MatrixXd& obs) const = 0;
  // Gradient of MeanKl w.r.t. this policy's parameters (old held fixed).
  virtual Eigen::VectorXd MeanKlGradient(const Policy& old, const Eigen::MatrixXd& obs) const = 0;
  // The Hessian of MeanKl(frozen copy of this, obs) at this policy's parameters (the
  // Fisher information of the batch) as an operator; the forward pass is done once.
  virtual LinearOperator FisherOperator(const Eigen::MatrixXd& obs) const = 0;
  Eigen::VectorXd FisherVectorProduct(const Eigen::MatrixXd& obs, const Eigen::VectorXd& v) const {
    return FisherOperator(obs)(v);
  }

  // mean_i entropy of pi(.|s_i) and its gradient.
  virtual double MeanEntropy(const Eigen::MatrixXd& obs) const = 0;
  virtual Eigen::VectorXd MeanEntropyGradient(const Eigen::MatrixXd& obs) const = 0;
};

// Builds the policy named by config.type with parameters drawn from
// Rng::ForStream(seed, StreamKind::kPolicyInit, 0). An unknown type is a checked error
// (the config loader validates it first).
// `breadth_index`: breadth's index among the actions (-1: none), where gaussian_argmax adds
// config.breadth_bias; 0 is the paper's action order.
std::unique_ptr<Policy> MakePolicy(const PolicyConfig& config, int obs_dim, int num_actions,
                                   uint64_t seed, int breadth_index = 0);

// The uniform random policy: no parameters; every action has probability 1/n.
class UniformPolicy final : public Policy {
 public:
  UniformPolicy(int obs_dim, int num_actions);

  std::string Type() const override { return std::string(EnumName(PolicyType::kUniform)); }
  int NumActions() const override { return num_actions_; }
  int ObsDim() const override { return obs_dim_; }
  int NumParameters() const override { return 0; }
  Eigen::VectorXd Parameters() const override { return Eigen::VectorXd(); }
  void SetParameters(const Eigen::VectorXd& params) override;
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

 private:
  int obs_dim_;
  int num_actions_;
};

namespace internal {
// Shared argument checks of the batch methods.
void CheckBatch(const Policy& policy, const Eigen::MatrixXd& obs, const std::vector<int>* actions,
                const Eigen::VectorXd* weights);
}  // namespace internal

}  // namespace teamsrl::rl
