#include "rl/running_mean_std.h"

#include <cmath>
#include <string>

#include "core/check.h"

namespace teamsrl::rl {

RunningMeanStd::RunningMeanStd(int dim, double clip)
    : mean_(Eigen::VectorXd::Zero(dim)), m2_(Eigen::VectorXd::Zero(dim)), clip_(clip) {
  TEAMSRL_CHECK(dim > 0) << "RunningMeanStd needs a positive dimension";
}

Eigen::VectorXd RunningMeanStd::Variance() const {
  if (count_ > 1) return m2_ / static_cast<double>(count_ - 1);
  return mean_.array().square().matrix();  // ZFilter's quirk for n == 1; 0 for n == 0
}

Eigen::VectorXd RunningMeanStd::Std() const { return Variance().array().sqrt().matrix(); }

void RunningMeanStd::Push(const Eigen::VectorXd& x) {
  TEAMSRL_CHECK(x.size() == mean_.size())
      << "RunningMeanStd: got " << x.size() << " values, expected " << mean_.size();
  ++count_;
  if (count_ == 1) {
    mean_ = x;
    return;
  }
  const Eigen::VectorXd old_mean = mean_;
  mean_ = old_mean + (x - old_mean) / static_cast<double>(count_);
  m2_.array() += (x - old_mean).array() * (x - mean_).array();
}

void RunningMeanStd::PushRows(const Eigen::MatrixXd& batch) {
  for (Eigen::Index i = 0; i < batch.rows(); ++i) Push(batch.row(i).transpose());
}

Eigen::VectorXd RunningMeanStd::Normalize(const Eigen::VectorXd& x) const {
  TEAMSRL_CHECK(x.size() == mean_.size()) << "RunningMeanStd: wrong input size";
  Eigen::VectorXd y = ((x - mean_).array() / (Std().array() + 1e-8)).matrix();
  if (clip_ > 0) y = y.cwiseMax(-clip_).cwiseMin(clip_);
  return y;
}

Eigen::VectorXd RunningMeanStd::Filter(const Eigen::VectorXd& x) {
  Push(x);
  return Normalize(x);
}

void RunningMeanStd::Merge(const RunningMeanStd& other) {
  TEAMSRL_CHECK(other.dim() == dim()) << "RunningMeanStd: merging filters of different sizes";
  if (other.count_ == 0) return;
  if (count_ == 0) {
    count_ = other.count_;
    mean_ = other.mean_;
    m2_ = other.m2_;
    return;
  }
  const double na = static_cast<double>(count_);
  const double nb = static_cast<double>(other.count_);
  const double n = na + nb;
  const Eigen::VectorXd delta = other.mean_ - mean_;
  mean_ += delta * (nb / n);
  m2_ += other.m2_ + (delta.array().square() * (na * nb / n)).matrix();
  count_ += other.count_;
}

std::vector<double> RunningMeanStd::State() const {
  std::vector<double> state;
  state.reserve(1 + 2 * mean_.size());
  state.push_back(static_cast<double>(count_));
  for (Eigen::Index i = 0; i < mean_.size(); ++i) state.push_back(mean_[i]);
  for (Eigen::Index i = 0; i < m2_.size(); ++i) state.push_back(m2_[i]);
  return state;
}

Status RunningMeanStd::SetState(const std::vector<double>& state) {
  const size_t expected = 1 + 2 * static_cast<size_t>(mean_.size());
  if (state.size() != expected) {
    return InvalidArgument("running mean/std state has " + std::to_string(state.size()) +
                           " values, expected " + std::to_string(expected));
  }
  const double count = state[0];
  if (!(count >= 0) || count != std::floor(count) || count > 9007199254740992.0) {
    return InvalidArgument("running mean/std state has an invalid count");
  }
  count_ = static_cast<int64_t>(count);
  const Eigen::Index d = mean_.size();
  for (Eigen::Index i = 0; i < d; ++i) {
    mean_[i] = state[1 + i];
    m2_[i] = state[1 + d + i];
  }
  return OkStatus();
}

}  // namespace teamsrl::rl
