// A small fully connected network in float64: hidden layers with ReLU (or tanh), linear
// output. Parameters live in one flat vector in PyTorch's order (for each layer the weight,
// out x in row-major, then the bias), so flat get/set, optimisers and MPI broadcasts work
// on plain vectors. Derivatives are analytic: a vector-Jacobian product (backward) and a
// Jacobian-vector product w.r.t. the parameters (forward mode), which makes
// Fisher-vector products exact (J^T M J v) instead of finite differences of gradients.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "core/rng.h"

namespace teamsrl::rl {

enum class Activation { kRelu, kTanh };
const char* ActivationName(Activation activation);

// The Mlp sizes {in, hidden..., out}.
std::vector<int> MlpSizes(int in, const std::vector<int>& hidden, int out);

class Mlp {
 public:
  // Activations of one forward pass, kept for Backward and Jvp. Reusing one Cache across
  // calls with the same batch size avoids reallocating its buffers.
  struct Cache {
    std::vector<Eigen::MatrixXd> inputs;  // inputs[l] = input of layer l (N x in_l)
    Eigen::MatrixXd output;               // N x out
    // Scratch buffers of Backward/Jvp (not part of the recorded pass).
    mutable Eigen::MatrixXd scratch_a;
    mutable Eigen::MatrixXd scratch_b;
  };

  // sizes = {in, hidden..., out}; at least {in, out}. Parameters start at zero.
  explicit Mlp(std::vector<int> sizes, Activation activation = Activation::kRelu);

  // PyTorch's nn.Linear default for every layer: weights and biases uniform in
  // +-1/sqrt(fan_in). Then the output layer's weights are multiplied by
  // `output_weight_scale` and its biases by `output_bias_scale` (pytorch-trpo's policy
  // head: 0.1 and 0). Draws weights (row-major) then biases, layer by layer.
  void Initialize(Rng& rng, double output_weight_scale = 1.0, double output_bias_scale = 1.0);

  int InputDim() const { return sizes_.front(); }
  int OutputDim() const { return sizes_.back(); }
  int NumLayers() const { return static_cast<int>(sizes_.size()) - 1; }
  int NumParameters() const { return static_cast<int>(params_.size()); }
  const std::vector<int>& sizes() const { return sizes_; }
  Activation activation() const { return activation_; }

  const Eigen::VectorXd& Parameters() const { return params_; }
  void SetParameters(const Eigen::VectorXd& params);

  // Batch forward: x is N x in, the result N x out. Fills `cache` when given.
  Eigen::MatrixXd Forward(const Eigen::MatrixXd& x, Cache* cache = nullptr) const;
  // Forward into `cache` only; the result is cache->output.
  void ForwardInto(const Eigen::MatrixXd& x, Cache* cache) const;
  // Gradient w.r.t. the parameters of sum(grad_out .* output) (a vector-Jacobian product),
  // for the forward pass recorded in `cache`; grad_out is N x out.
  Eigen::VectorXd Backward(const Cache& cache, const Eigen::MatrixXd& grad_out) const;
  // d(output)/d(params) . v for the forward pass recorded in `cache` (N x out).
  Eigen::MatrixXd Jvp(const Cache& cache, const Eigen::VectorXd& v) const;

  // "6-64-64-6 relu"
  std::string Describe() const;

 private:
  int WeightOffset(int layer) const { return offsets_[layer]; }
  int BiasOffset(int layer) const { return offsets_[layer] + sizes_[layer] * sizes_[layer + 1]; }
  // The layer's weight as an (in x out) column-major view, i.e. W^T of PyTorch's W (out x in).
  Eigen::Map<const Eigen::MatrixXd> WeightT(int layer) const;
  Eigen::Map<const Eigen::RowVectorXd> Bias(int layer) const;
  void Activate(Eigen::MatrixXd* z) const;
  // Multiplies d (N x width) by the activation's derivative, computed from the layer's
  // output `post` (relu: post > 0, i.e. pre > 0; tanh: 1 - post^2).
  void ScaleByDerivative(const Eigen::MatrixXd& post, Eigen::MatrixXd* d) const;

  std::vector<int> sizes_;
  Activation activation_;
  std::vector<int> offsets_;
  Eigen::VectorXd params_;
};

}  // namespace teamsrl::rl
