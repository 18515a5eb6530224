// The rl layer's options: the policy and the learner (config keys `policy.*`, `algo.*`;
// docs/method.md s.4 for the algorithms and their defaults).
#pragma once

#include <string_view>
#include <vector>

#include "core/enum_names.h"

namespace teamsrl::rl {

enum class PolicyType : int { kGaussianArgmax = 0, kCategorical = 1, kUniform = 2 };
enum class AlgoType : int { kTrpo = 0, kPpo = 1, kReinforce = 2 };
// When training's observation filter learns (README "Observation filter"):
// kIteration: one filter, frozen during an iteration and updated on root from every
//   actor's observations in actor order (teamsrl's default);
// kStep: each actor has its own filter, which takes every observation it sees, the reset
//   state and the state after the episode's last step included, before normalising it
//   (ZFilter(update=True)): with one actor exactly the released code's schedule.
enum class ObsFilterSchedule : int { kIteration = 0, kStep = 1 };

struct PolicyConfig {
  PolicyType type = PolicyType::kGaussianArgmax;
  std::vector<int> hidden = {64, 64};
  double breadth_bias = 0.3;  // gaussian_argmax: added to breadth's entry before argmax
  double init_log_std = 0.0;
  double obs_clip = 5.0;  // running mean/std filter clip
  ObsFilterSchedule obs_filter_schedule = ObsFilterSchedule::kIteration;

  bool operator==(const PolicyConfig&) const = default;
};

struct AlgoConfig {
  AlgoType type = AlgoType::kTrpo;
  double gamma = 0.995;
  double lambda = 0.97;
  // TRPO
  double max_kl = 0.01;
  double damping = 0.1;
  int cg_iters = 10;
  double cg_residual_tol = 1e-10;
  int line_search_steps = 10;
  double accept_ratio = 0.1;
  // value function (L-BFGS for TRPO)
  int value_lbfgs_iters = 25;
  double value_l2 = 1e-3;
  // PPO / REINFORCE (Adam)
  double learning_rate = 3e-4;
  double value_learning_rate = 1e-3;
  int epochs = 10;
  double clip = 0.2;
  double entropy_coef = 0.0;

  bool operator==(const AlgoConfig&) const = default;
};

}  // namespace teamsrl::rl

template <>
struct teamsrl::EnumNameTable<teamsrl::rl::PolicyType> {
  static constexpr std::string_view kNames[] = {"gaussian_argmax", "categorical", "uniform"};
};
template <>
struct teamsrl::EnumNameTable<teamsrl::rl::ObsFilterSchedule> {
  static constexpr std::string_view kNames[] = {"iteration", "step"};
};
template <>
struct teamsrl::EnumNameTable<teamsrl::rl::AlgoType> {
  static constexpr std::string_view kNames[] = {"trpo", "ppo", "reinforce"};
};
