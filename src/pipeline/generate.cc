#include "pipeline/generate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "core/rng.h"
#include "dist/protocol.h"
#include "io/run_reader.h"
#include "llm/router.h"
#include "pipeline/action_plan.h"

namespace teamsrl::pipeline {
namespace {

// State of one seed's chain.
struct Chain {
  io::Seed seed;
  std::vector<int> actions;  // the planned action (policy index) of each step it takes
  std::string instruction;   // what the next step evolves
  int64_t parent = -1;       // sample_id of that instruction's sample
};

}  // namespace

Status CheckPolicyActions(const Config& config, const GenerationPolicy& policy,
                          const std::string& policy_path) {
  const std::vector<std::string> trained = policy.actions.Names();
  if (config.env.actions == trained) return OkStatus();
  return InvalidArgument(fmt::format(
      "env.actions [{}] differs from the actions the policy in {} was trained on ([{}]); the "
      "policy's outputs mean its own actions, so they must agree: --set env.actions=[{}]",
      fmt::join(config.env.actions, ", "), policy_path, fmt::join(trained, ", "),
      fmt::join(trained, ",")));
}

namespace {

// A missing policy names the ones the file has (issue 10 item 12); a run killed before
// its end has snapshots but no `final`.
Status NameThePolicies(const Status& missing, const std::string& run_path,
                       const std::string& name) {
  if (missing.code() != StatusCode::kNotFound) return missing;
  Result<std::vector<std::string>> all = io::ListPolicies(run_path);
  if (!all.ok()) return missing;
  std::vector<std::string> policies;
  for (const std::string& p : *all) {
    if (!p.ends_with("_obs_filter")) policies.push_back(p);
  }
  std::string hint;
  if (policies.empty()) {
    hint = "; it holds no policy (a run killed before its first snapshot)";
  } else {
    hint = fmt::format("; it holds: {}", fmt::join(policies, ", "));
    if (name == "final") hint += " (a run that did not finish has no final: pass --snapshot N)";
  }
  return NotFound(missing.message() + hint);
}

}  // namespace

Result<GenerationPolicy> LoadGenerationPolicy(const std::string& run_path, int snapshot) {
  TEAMSRL_ASSIGN_OR_RETURN(io::RunInfo info, io::ReadRunInfo(run_path));
  TEAMSRL_ASSIGN_OR_RETURN(Config run_config, ParseConfig(info.root.config_yaml, run_path, {}));
  GenerationPolicy g;
  TEAMSRL_ASSIGN_OR_RETURN(g.actions, evol::ActionSet::FromNames(run_config.env.actions));
  g.name = snapshot < 0 ? "final" : fmt::format("snapshot_{:06d}", snapshot);
  Result<std::vector<double>> read = io::ReadPolicy(run_path, g.name);
  if (!read.ok()) return NameThePolicies(read.status(), run_path, g.name);
  std::vector<double> params = std::move(read).value();
  const int n = g.actions.size();
  g.policy = rl::MakePolicy(run_config.policy, n, n, run_config.run.seed,
                            g.actions.IndexOf(evol::Action::kBreadth).value_or(-1));
  if (static_cast<int>(params.size()) != g.policy->NumParameters()) {
    return InvalidArgument(
        fmt::format("{}: /policy/{} has {} parameters, the run's {} policy {}", run_path, g.name,
                    params.size(), EnumName(run_config.policy.type), g.policy->NumParameters()));
  }
  g.policy->SetParameters(
      Eigen::Map<const Eigen::VectorXd>(params.data(), static_cast<Eigen::Index>(params.size())));
  g.filter = rl::RunningMeanStd(n, run_config.policy.obs_clip);
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<std::string> names, io::ListPolicies(run_path));
  // The filter saved with the chosen parameters; files written before snapshots carried
  // their own filter fall back to the final one.
  for (const std::string& filter_name : {g.name + "_obs_filter", std::string("final_obs_filter")}) {
    if (std::find(names.begin(), names.end(), filter_name) == names.end()) continue;
    TEAMSRL_ASSIGN_OR_RETURN(std::vector<double> state, io::ReadPolicy(run_path, filter_name));
    TEAMSRL_RETURN_IF_ERROR(g.filter.SetState(state));
    g.filter_name = filter_name;
    break;
  }
  return g;
}

Result<GenerateSchedule> GenerateSchedule::Make(const GenerateConfig& config,
                                                const evol::ActionSet& actions) {
  GenerateSchedule s;
  s.forced_breadth.assign(config.steps, false);
  for (int step : config.forced_breadth_steps) {
    if (step < config.steps) s.forced_breadth[step] = true;
  }
  const bool forces =
      std::find(s.forced_breadth.begin(), s.forced_breadth.end(), true) != s.forced_breadth.end();
  if (forces && !actions.Contains(evol::Action::kBreadth)) {
    return InvalidArgument(
        "generate.forced_breadth_steps: the policy's action set has no breadth (set it to [])");
  }
  // The generate config's biases alone (the training policy's breadth bias is not added:
  // Policy::ActWithBias replaces it), as the released code's generation does.
  s.bias = Eigen::VectorXd::Zero(actions.size());
  if (std::optional<int> ac = actions.IndexOf(evol::Action::kAddConstraints)) {
    s.bias[*ac] = config.add_constraints_bias;
  }
  if (std::optional<int> b = actions.IndexOf(evol::Action::kBreadth)) {
    s.bias[*b] += config.breadth_bias;
  }
  if (!config.replace_breadth_with.empty()) {
    TEAMSRL_ASSIGN_OR_RETURN(evol::Action a, evol::ActionFromName(config.replace_breadth_with));
    s.replace_breadth = actions.IndexOf(a);
    if (!s.replace_breadth) {
      return InvalidArgument("generate.replace_breadth_with: " + config.replace_breadth_with +
                             " is not in the policy's action set");
    }
  }
  return s;
}

Generator::Generator(const Config& config, const GenerationPolicy& policy, ActionPlanner& planner,
                     const EvolveContext& context, llm::Client& client)
    : config_(config), policy_(policy), planner_(planner), context_(context), client_(client) {}

Result<ChunkPart> Generator::Run(const std::vector<io::Seed>& seeds, const StepHook& before_step) {
  const int steps = config_.generate.steps;
  const evol::ActionSet& actions = policy_.actions;
  std::vector<Chain> chains;
  chains.reserve(seeds.size());
  for (const io::Seed& s : seeds) chains.push_back({s, planner_.Plan(s.index), s.instruction, -1});
  PerSeedPart part(chains.size());
  for (int t = 0; t < steps; ++t) {
    if (before_step) TEAMSRL_RETURN_IF_ERROR(before_step(t));
    std::vector<EvolveItem> items;
    std::vector<size_t> live;  // chains that take step t
    for (size_t k = 0; k < chains.size(); ++k) {
      Chain& c = chains[k];
      if (t >= static_cast<int>(c.actions.size())) continue;
      live.push_back(k);
      items.push_back(
          {c.seed.index, t, actions.at(c.actions[static_cast<size_t>(t)]), c.instruction});
    }
    if (items.empty()) break;
    std::vector<EvolveOutcome> outcomes = EvolveBatch(client_, context_, items);
    TEAMSRL_RETURN_IF_ERROR(FirstUnrecoverable(outcomes));
    for (size_t j = 0; j < live.size(); ++j) {
      const size_t i = live[j];
      Chain& c = chains[i];
      EvolveOutcome& o = outcomes[j];
      io::SampleLine s;
      s.instruction = o.evolved.empty() ? c.instruction : o.evolved;
      s.input = c.seed.input;
      s.output = o.response;
      s.seed_index = c.seed.index;
      s.step = t;
      s.action = std::string(evol::ActionName(items[j].action));
      s.parent = c.parent;
      s.sample_id = c.seed.index * steps + t;
      s.eliminated = o.eliminated();
      s.reason = std::string(evol::EliminationReasonName(o.reason));
      s.not_equal = o.not_equal;
      s.queries = static_cast<int64_t>(o.calls.size());
      s.malformed_reply = o.malformed_reply;
      for (CallRecord& r : o.calls) part.calls[i].push_back({c.seed.index, t, std::move(r)});
      if (!s.eliminated) {
        c.instruction = s.instruction;
        c.parent = s.sample_id;
      }
      part.samples[i].push_back(std::move(s));
    }
  }
  return std::move(part).Flatten();  // seed order, then step
}

namespace {

// The per-rank setup of generate; every rank must succeed before the first chunk.
struct GenerateSetup {
  GenerationPolicy policy;
  GenerateSchedule schedule;
  EvolveSetup evolve;

  Status Make(const Config& config, const GenerateOptions& options, const dist::Comm& comm,
              DriverHooks& hooks) {
    TEAMSRL_ASSIGN_OR_RETURN(policy, LoadGenerationPolicy(options.policy_path, options.snapshot));
    if (config.generate.obs_clip > 0) {  // the statistics stay, the clip is generation's
      rl::RunningMeanStd clipped(policy.filter.dim(), config.generate.obs_clip);
      TEAMSRL_RETURN_IF_ERROR(clipped.SetState(policy.filter.State()));
      policy.filter = clipped;
    }
    TEAMSRL_RETURN_IF_ERROR(CheckPolicyActions(config, policy, options.policy_path));
    TEAMSRL_ASSIGN_OR_RETURN(schedule, GenerateSchedule::Make(config.generate, policy.actions));
    // Every catalogue template: the policy's actions come from its training run.
    TEAMSRL_RETURN_IF_ERROR(
        evolve.Make(config, config.generate.eliminate, nullptr, {comm.rank(), comm.size()}));
    return hooks.AfterSetup(comm.rank());
  }
};

}  // namespace

Result<ChunkedOutcome> RunGenerate(const Config& config, const GenerateOptions& options,
                                   const dist::Comm& comm) {
  DriverHooks no_hooks;
  DriverHooks& hooks = options.hooks != nullptr ? *options.hooks : no_hooks;
  GenerateSetup setup;
  TEAMSRL_RETURN_IF_ERROR(dist::AgreeOnStatus(comm, setup.Make(config, options, comm, hooks)));
  ActionPlanner planner(config, setup.policy, setup.schedule);
  Generator generator(config, setup.policy, planner, *setup.evolve.context, *setup.evolve.router);

  ChunkedRunSpec spec;
  spec.kind = "generate";
  spec.step_key = "step";
  spec.chunk_size = config.generate.chunk_size;
  if (config.generate.max_samples > 0) {  // the seeds that take at least one step
    spec.max_seeds =
        (config.generate.max_samples + config.generate.steps - 1) / config.generate.steps;
  }
  spec.fingerprint =
      Fingerprint(config, fmt::format("generate|{}|{}", options.policy_path, setup.policy.name));
  spec.out_dir = options.out_dir;
  spec.command = options.command;
  spec.overwrite = options.overwrite;
  spec.progress = options.progress;
  spec.attributes = options.labels;
  // Absolute: a reader finds the policy's run from the file alone, from any directory.
  spec.attributes["policy_file"] =
      std::filesystem::absolute(options.policy_path).lexically_normal().string();
  spec.attributes["policy_name"] = setup.policy.name;
  spec.attributes["obs_filter"] = std::string(EnumName(config.generate.obs_filter));
  if (planner.fresh()) {
    spec.finish = [&planner](io::RunFile& file, int64_t seeds_done) {
      planner.AdvanceTo(seeds_done);
      return file.WritePolicy("generate_obs_filter", planner.fresh_filter().State(), {});
    };
  }
  spec.inputs = {{"policy file", options.policy_path}};
  spec.options = fmt::format("generate --policy {} --snapshot {} --overwrite {}",
                             options.policy_path, options.snapshot, options.overwrite);
  return RunChunked(config, spec, comm, [&](int64_t chunk, const std::vector<io::Seed>& seeds) {
    return generator.Run(seeds,
                         [&](int step) { return hooks.BeforeStep(comm.rank(), chunk, step); });
  });
}

}  // namespace teamsrl::pipeline
