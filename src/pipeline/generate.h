// `teamsrl generate CONFIG --policy RUN.h5 [--snapshot N]` (docs/method.md s.5): the trained
// policy evolves every seed through `generate.steps` chained rewrites, keeping every
// intermediate instruction; the rewriter makes each instruction, the responder answers it
// (2 expert queries per sample; +1 reviewer query when the `equal` rule is on).
//
// Schedule (configuration, the paper's values by default): steps in
// `generate.forced_breadth_steps` use breadth; at the other steps the policy chooses from
// the one-hot of the last action (through the training run's observation filter) with
// `generate.add_constraints_bias` added to add_constraints (and `generate.breadth_bias`, 0 by
// default, to breadth: the training policy's own breadth bias is not added, as in the
// released code), and a chosen breadth becomes `generate.replace_breadth_with`. Each seed draws
// from its own stream Rng::ForStream(run.seed, kGenerate, seed index), so the dataset is the same
// whatever the number of ranks.
//
// Chaining: step t evolves the instruction of the last sample that was not eliminated
// (the seed's instruction at first); `parent` names that sample (-1 = the seed). With no
// elimination rule (the default) that is simply the previous step.
//
// Outputs and resumption: chunked_run.h (DIR/dataset.jsonl, DIR/generate.h5).
#pragma once

#include <Eigen/Dense>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "dist/comm.h"
#include "evol/actions.h"
#include "evol/prompts.h"
#include "llm/client.h"
#include "pipeline/chunked_run.h"
#include "pipeline/driver_hooks.h"
#include "pipeline/evolve_batch.h"
#include "pipeline/progress_sink.h"
#include "rl/policy.h"
#include "rl/running_mean_std.h"

namespace teamsrl::pipeline {

struct GenerateOptions {
  std::string policy_path;  // the training run file
  int snapshot = -1;        // -1: /policy/final, else /policy/snapshot_NNNNNN
  std::string out_dir;      // default run.out_dir
  std::string command;
  std::map<std::string, std::string> labels;  // extra root attributes (sweep provenance)
  bool overwrite = false;
  ProgressSink* progress = nullptr;  // root: where progress goes; none = no output
  DriverHooks* hooks = nullptr;      // tests only: faults on a chosen rank
};

// The trained policy as generation uses it.
struct GenerationPolicy {
  std::unique_ptr<rl::Policy> policy;
  rl::RunningMeanStd filter{1, 5.0};  // identity-like when the run stored none
  evol::ActionSet actions;            // the training run's action set (policy indices)
  std::string name;                   // "final" or "snapshot_000128"
  std::string filter_name;            // the /policy dataset the filter came from ("" = none)
};

// InvalidArgument unless `config.env.actions` are the policy's (its training run's) actions
// in the same order: the run file's config must say what the generation used.
Status CheckPolicyActions(const Config& config, const GenerationPolicy& policy,
                          const std::string& policy_path);

// Reads the policy, its configuration (the run's config_yaml) and the observation filter
// saved with those parameters (/policy/NAME_obs_filter; else /policy/final_obs_filter) from
// a run file.
Result<GenerationPolicy> LoadGenerationPolicy(const std::string& run_path, int snapshot);

// The schedule resolved against the policy's action set.
struct GenerateSchedule {
  std::vector<bool> forced_breadth;    // per step
  Eigen::VectorXd bias;                // per policy action
  std::optional<int> replace_breadth;  // policy index of the replacement
  static Result<GenerateSchedule> Make(const GenerateConfig& config,
                                       const evol::ActionSet& actions);
};

class ActionPlanner;  // pipeline/action_plan.h

// The per-rank worker: evolves a block of seeds, all of them in flight together.
class Generator {
 public:
  // `planner` (built from the same config, policy and schedule) chooses the actions.
  Generator(const Config& config, const GenerationPolicy& policy, ActionPlanner& planner,
            const EvolveContext& context, llm::Client& client);
  // Evolves the seeds (in increasing index order) through every step; stops at the first
  // call no retry can fix.
  Result<ChunkPart> Run(const std::vector<io::Seed>& seeds, const StepHook& before_step = {});

 private:
  const Config& config_;
  const GenerationPolicy& policy_;
  ActionPlanner& planner_;
  const EvolveContext& context_;
  llm::Client& client_;
};

// Collective; see chunked_run.h for the error contract.
Result<ChunkedOutcome> RunGenerate(const Config& config, const GenerateOptions& options,
                                   const dist::Comm& comm);

}  // namespace teamsrl::pipeline
