// Adam on a flat parameter vector, with PyTorch's update:
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
#pragma once

#include <Eigen/Dense>
#include <cstdint>

#include "core/status.h"

namespace teamsrl::rl {

struct AdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

class Adam {
 public:
  Adam(int dim, AdamOptions options);

  // One descent step on `params` along the gradient `grad` (minimisation).
  void Step(const Eigen::VectorXd& grad, Eigen::VectorXd* params);
  void Reset();
  // Restores the moments and step count of a checkpoint; InvalidArgument when their
  // size is not dim().
  Status SetState(const Eigen::VectorXd& m, const Eigen::VectorXd& v, int64_t steps);

  int dim() const { return static_cast<int>(m_.size()); }
  int64_t steps() const { return steps_; }
  const AdamOptions& options() const { return options_; }
  const Eigen::VectorXd& first_moment() const { return m_; }
  const Eigen::VectorXd& second_moment() const { return v_; }

 private:
  AdamOptions options_;
  Eigen::VectorXd m_;
  Eigen::VectorXd v_;
  int64_t steps_ = 0;
};

}  // namespace teamsrl::rl
