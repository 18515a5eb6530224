#include "pipeline/action_plan.h"

#include <algorithm>

#include "core/check.h"
#include "core/rng.h"

namespace teamsrl::pipeline {
namespace {

Eigen::VectorXd OneHot(int size, int index) {
  Eigen::VectorXd v = Eigen::VectorXd::Zero(size);
  if (index >= 0) v[index] = 1.0;
  return v;
}

}  // namespace

ActionPlanner::ActionPlanner(const Config& config, const GenerationPolicy& policy,
                             const GenerateSchedule& schedule)
    : config_(config),
      policy_(policy),
      schedule_(schedule),
      fresh_(policy.actions.size(), policy.filter.clip()) {}

int64_t ActionPlanner::StepsOf(int64_t index) const {
  // generate.max_samples: seed k gets min(steps, max_samples - k * steps) steps, a pure
  // function of its index, so the cut is the same whatever the ranks and chunks.
  const int64_t steps = config_.generate.steps;
  const int64_t cap = config_.generate.max_samples;
  return cap > 0 ? std::clamp<int64_t>(cap - index * steps, 0, steps) : steps;
}

void ActionPlanner::AdvanceTo(int64_t index) {
  if (!fresh()) return;
  while (next_ < index) PlanOne(next_);
}

std::vector<int> ActionPlanner::Plan(int64_t index) {
  if (!fresh()) return PlanOne(index);
  TEAMSRL_CHECK(index >= next_) << "ActionPlanner: seed " << index << " asked after seed "
                                << next_ - 1 << " under generate.obs_filter fresh";
  AdvanceTo(index);
  return PlanOne(index);
}

std::vector<int> ActionPlanner::PlanOne(int64_t index) {
  const int n = policy_.actions.size();
  const std::optional<int> breadth = policy_.actions.IndexOf(evol::Action::kBreadth);
  Rng rng = Rng::ForStream(config_.run.seed, StreamKind::kGenerate, static_cast<uint64_t>(index));
  const int64_t steps = StepsOf(index);
  std::vector<int> actions;
  actions.reserve(static_cast<size_t>(steps));
  int last = -1;
  // fresh: ZFilter(update=True) on the reset state, then on each step's next state.
  Eigen::VectorXd seen = fresh() ? fresh_.Filter(OneHot(n, last)) : Eigen::VectorXd();
  for (int64_t t = 0; t < steps; ++t) {
    int a = 0;
    if (schedule_.forced_breadth[static_cast<size_t>(t)]) {
      a = *breadth;
    } else {
      const Eigen::VectorXd obs = fresh() ? seen : policy_.filter.Normalize(OneHot(n, last));
      a = policy_.policy->ActWithBias(obs, rng, schedule_.bias);
      if (breadth && a == *breadth && schedule_.replace_breadth) a = *schedule_.replace_breadth;
    }
    actions.push_back(a);
    last = a;
    if (fresh()) seen = fresh_.Filter(OneHot(n, last));
  }
  if (fresh()) next_ = index + 1;
  return actions;
}

}  // namespace teamsrl::pipeline
