#include "rl/adam.h"

#include <cmath>

#include "core/check.h"

namespace teamsrl::rl {

Adam::Adam(int dim, AdamOptions options)
    : options_(options), m_(Eigen::VectorXd::Zero(dim)), v_(Eigen::VectorXd::Zero(dim)) {
  TEAMSRL_CHECK(dim >= 0) << "Adam: negative dimension";
}

void Adam::Step(const Eigen::VectorXd& grad, Eigen::VectorXd* params) {
  TEAMSRL_CHECK(grad.size() == m_.size() && params->size() == m_.size())
      << "Adam: expected " << m_.size() << " values, got gradient " << grad.size()
      << " and parameters " << params->size();
  ++steps_;
  const double t = static_cast<double>(steps_);
  m_ = options_.beta1 * m_ + (1.0 - options_.beta1) * grad;
  v_ = options_.beta2 * v_ + (1.0 - options_.beta2) * grad.cwiseAbs2();
  const double bias1 = 1.0 - std::pow(options_.beta1, t);
  const double bias2 = 1.0 - std::pow(options_.beta2, t);
  const double step = options_.learning_rate / bias1;
  params->array() -= step * m_.array() / (v_.array().sqrt() / std::sqrt(bias2) + options_.epsilon);
}

Status Adam::SetState(const Eigen::VectorXd& m, const Eigen::VectorXd& v, int64_t steps) {
  if (m.size() != m_.size() || v.size() != v_.size() || steps < 0) {
    return InvalidArgument("Adam state of " + std::to_string(m.size()) + " parameters for an " +
                           "optimiser of " + std::to_string(m_.size()));
  }
  m_ = m;
  v_ = v;
  steps_ = steps;
  return OkStatus();
}

void Adam::Reset() {
  m_.setZero();
  v_.setZero();
  steps_ = 0;
}

}  // namespace teamsrl::rl
