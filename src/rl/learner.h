// Policy-gradient learners. A learner owns the value baseline (and optimiser state) and
// updates a policy it is handed, from one batch of trajectories. All float64, no
// threads, fixed summation orders: the same inputs give bitwise the same outputs.
//
//   trpo       pytorch-trpo as TeaMs-RL used it (docs/method.md s.4): GAE, value net by
//              L-BFGS on the discounted returns, natural gradient by CG on exact
//              Fisher-vector products, step scaled to max_kl, backtracking line search.
//   ppo        clipped surrogate, `epochs` full-batch Adam steps; value net by Adam.
//   reinforce  one Adam step on -mean(logp * A), A = normalised (return - V); value by Adam.
//
// A policy without parameters (`uniform`) is accepted by every learner: Update then
// changes nothing and returns zeros.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rl/adam.h"
#include "rl/batch.h"
#include "rl/options.h"
#include "rl/policy.h"
#include "rl/value_function.h"

namespace teamsrl::rl {

struct UpdateStats {
  double policy_loss = 0.0;   // surrogate loss at the parameters the update returns
  double value_loss = 0.0;    // value net's mean squared error on the returns after its fit
  double kl = 0.0;            // mean KL(old || new) over the batch
  double entropy = 0.0;       // mean policy entropy after the update
  double step_size = 0.0;     // TRPO: accepted line-search fraction (0 if rejected); else lr
  int line_search_steps = 0;  // TRPO: fractions tried
  bool accepted = false;      // whether the policy parameters changed
};

class Learner {
 public:
  virtual ~Learner();
  // One update from a batch held in parts (rl/batch.h), its sums taken by `sum`: with a
  // sum spanning ranks, every rank calls it with its own parts and all end with the same
  // policy, value net and statistics. A rank may hold no part.
  virtual UpdateStats UpdateParts(Policy& policy, std::span<const Batch> parts,
                                  const BatchSum& sum) = 0;
  // The whole batch as one part, summed in order.
  UpdateStats Update(Policy& policy, const Batch& batch) {
    return UpdateParts(policy, {&batch, 1}, OrderedSum());
  }
  virtual Eigen::VectorXd ValueParameters() const = 0;
  virtual void SetValueParameters(const Eigen::VectorXd& params) = 0;
  // What else carries over from one update to the next (Adam's moments and step counts),
  // flat, for checkpoints; empty for TRPO, whose L-BFGS and CG start afresh each update.
  virtual std::vector<double> OptimizerState() const { return {}; }
  // InvalidArgument when `state` is not what OptimizerState() of this learner returns.
  virtual Status SetOptimizerState(const std::vector<double>& state) {
    return state.empty() ? OkStatus() : InvalidArgument("this learner keeps no optimiser state");
  }
};

// What PPO and REINFORCE share: a value net fitted by Adam (value_learning_rate), and an
// Adam optimiser for the policy (learning_rate), made on the first update because only
// then is the policy's size known; its moments persist across updates.
class AdamLearner : public Learner {
 public:
  Eigen::VectorXd ValueParameters() const override { return value_.Parameters(); }
  void SetValueParameters(const Eigen::VectorXd& params) override { value_.SetParameters(params); }
  // [value Adam][policy Adam, if made], each as (dim, steps, m..., v...).
  std::vector<double> OptimizerState() const override;
  Status SetOptimizerState(const std::vector<double>& state) override;

 protected:
  AdamLearner(const AlgoConfig& config, const std::vector<int>& value_hidden, int obs_dim,
              uint64_t seed);
  // The policy's optimiser; a policy of another size than the first is a checked error
  // naming `algo`.
  Adam& PolicyAdam(const Policy& policy, const char* algo);
  // The value net's Adam fit to `returns` (config_.epochs steps); its mean squared error
  // after. PPO's and REINFORCE's value_fit half of an update.
  double FitValue(std::span<const Batch> parts, const std::vector<Eigen::VectorXd>& returns,
                  double n, const BatchSum& sum);

  AlgoConfig config_;
  ValueFunction value_;
  Adam value_adam_;

 private:
  std::unique_ptr<Adam> policy_adam_;
};

// algo.type: trpo | ppo | reinforce (checked). The value net has policy.hidden layers and
// draws its initial parameters from Rng::ForStream(seed, kPolicyInit, 1).
std::unique_ptr<Learner> MakeLearner(const AlgoConfig& algo, const PolicyConfig& policy,
                                     int obs_dim, uint64_t seed);

namespace internal {
// Checks the batch's shapes against each other and the policy.
void CheckBatch(const Batch& batch, const Policy& policy);
// CheckBatch of every part, and the whole batch's rows (checked positive).
double CheckParts(std::span<const Batch> parts, const Policy& policy, const BatchSum& sum);

// The sums the learners share, over a batch held in parts; every one is one total.
// -mean(exp(logp - logp_old) * adv) at the policy's current parameters; the ratios per
// part go to *ratio when given.
double Surrogate(const Policy& policy, std::span<const Batch> parts,
                 const std::vector<Eigen::VectorXd>& advantages, double rows, const BatchSum& sum,
                 std::vector<Eigen::VectorXd>* ratio);
// Gradient of sum_i weights[i] * log pi(a_i | s_i), weights per part.
Eigen::VectorXd LogProbGradient(const Policy& policy, std::span<const Batch> parts,
                                const std::vector<Eigen::VectorXd>& weights, const BatchSum& sum);
// v -> the Fisher-vector product of the whole batch (each part's times its share of rows).
LinearOperator FisherOperator(const Policy& policy, std::span<const Batch> parts, double rows,
                              const BatchSum& sum);
// Mean KL(old || policy) and mean entropy over the whole batch, in one total.
struct KlEntropy {
  double kl = 0.0, entropy = 0.0;
};
KlEntropy MeanKlAndEntropy(const Policy& policy, const Policy& old, std::span<const Batch> parts,
                           double rows, const BatchSum& sum);
// Gradient of the mean entropy over the whole batch.
Eigen::VectorXd MeanEntropyGradient(const Policy& policy, std::span<const Batch> parts, double rows,
                                    const BatchSum& sum);
// The value net's predictions and a per-part map, for the learners' per-part vectors.
std::vector<Eigen::VectorXd> Predict(const ValueFunction& value, std::span<const Batch> parts);
// ComputeGae of every part (GAE runs within a part: parts hold whole episodes).
void PartsGae(std::span<const Batch> parts, const std::vector<Eigen::VectorXd>& values,
              double gamma, double lambda, std::vector<Eigen::VectorXd>* returns,
              std::vector<Eigen::VectorXd>* advantages);
// The two halves of an update, which share no state: the value net's fit to the returns,
// and the policy step. docs/method.md s.4 fits before the step, but the step reads only
// advantages computed from the value net's predictions before the fit (the fitted net
// serves the next batch), so the order cannot be observed. With a local sum
// (BatchSum::local) they run on two threads, each doing the same arithmetic, so the bits
// do not change; otherwise the fit, then the step, as collective sums must come in the
// same order on every rank.
void ValueFitBesidePolicyStep(const BatchSum& sum, const std::function<void()>& value_fit,
                              const std::function<void()>& policy_step);
}  // namespace internal

}  // namespace teamsrl::rl
