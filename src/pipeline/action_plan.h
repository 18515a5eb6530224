// The actions `generate` takes, planned before any LLM call (docs/method.md s.5).
//
// The policy sees only the one-hot of the last action, never the text (docs/method.md s.3),
// so a seed's actions are a function of its index (its random stream
// Rng::ForStream(run.seed, kGenerate, index) and its number of steps), the schedule and the
// observation filter:
// - generate.obs_filter snapshot: the filter saved with the policy, frozen, so each seed's
//   plan stands alone;
// - generate.obs_filter fresh (the released code's generation): a new filter that takes every
//   observation of every seed in seed order — the reset state (zeros), then the one-hot of each
//   action taken, the last one included — before normalising it. Seed k's plan then depends on
//   seeds 0..k-1's, which are themselves pure functions of their indices: the planner walks
//   the indices before the ones it is asked for (policy evaluations only, no LLM call, no seed
//   text), so every rank gets the same plan for any number of ranks and any chunk size, and a
//   resumed run walks the committed seeds again.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "pipeline/generate.h"
#include "rl/running_mean_std.h"

namespace teamsrl::pipeline {

class ActionPlanner {
 public:
  // `policy` and `schedule` must outlive the planner.
  ActionPlanner(const Config& config, const GenerationPolicy& policy,
                const GenerateSchedule& schedule);

  // The actions (policy indices) of seed `index`, one per step it takes. Under `fresh` the
  // indices must be asked in increasing order (the ones skipped are walked).
  std::vector<int> Plan(int64_t index);
  // `fresh`: walks the seeds before `index` (nothing under `snapshot`).
  void AdvanceTo(int64_t index);
  // The steps seed `index` takes: generate.steps, fewer at the generate.max_samples cut.
  int64_t StepsOf(int64_t index) const;
  // `fresh`: the filter after every seed planned or walked so far.
  const rl::RunningMeanStd& fresh_filter() const { return fresh_; }
  bool fresh() const { return config_.generate.obs_filter == GenerateObsFilter::kFresh; }

 private:
  std::vector<int> PlanOne(int64_t index);

  const Config& config_;
  const GenerationPolicy& policy_;
  const GenerateSchedule& schedule_;
  rl::RunningMeanStd fresh_;
  int64_t next_ = 0;  // fresh: the next index to plan
};

}  // namespace teamsrl::pipeline
