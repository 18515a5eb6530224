// The experiment configuration: one YAML file, validated strictly (docs/architecture.md s.5).
// The config layer composes the options each layer owns (llm/options.h, rl/options.h,
// io/seeds_options.h, evol's reward enums) with the commands' own sections defined here,
// parses every enum-like value at load time and checks cross-key rules once.
// Unknown keys, wrong types, out-of-range values and missing files are InvalidArgument
// errors naming the key, the file and the line. `--set dotted.key=value` overrides any key.
// Every key, its default and its meaning is listed in the README ("Configuration").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/action.h"
#include "core/enum_names.h"
#include "core/status.h"
#include "evol/review.h"
#include "io/seeds_options.h"
#include "llm/options.h"
#include "rl/options.h"

namespace teamsrl {

struct RoleBudget {  // 0 = unlimited
  int64_t max_queries = 0;
  int64_t max_tokens = 0;
  double max_cost_usd = 0.0;

  bool operator==(const RoleBudget&) const = default;
};

struct BudgetConfig {  // 0 = unlimited; the run's totals, plus caps per role
  int64_t max_queries = 0;
  int64_t max_tokens = 0;
  double max_cost_usd = 0.0;
  RoleBudget rewriter, reviewer, responder;

  bool operator==(const BudgetConfig&) const = default;
};

struct RewardConfig {
  evol::RewardType type = evol::RewardType::kNotEqual;
  evol::MatchMode match = evol::MatchMode::kExact;
  double query_cost = 0.0;  // added per LLM query (recorded cost is always -1/query)

  bool operator==(const RewardConfig&) const = default;
};

struct EnvConfig {
  std::vector<std::string> actions = ActionNames();  // the catalogue, in index order
  std::string prompts_dir = "experiments/prompts";   // relative to the config file's repo root
  // The reviewer's template, a file in prompts_dir: reviewer.txt asks whether the two
  // instructions are equal (the released code's question), reviewer_adds_information.txt
  // whether the second adds information (this project's earlier reviewer).
  std::string reviewer_template = "reviewer.txt";
  int episode_length = 6;
  std::string initial_instruction = "How to cook food?";
  io::SeedsConfig seeds;
  bool carry_over = true;  // the instruction is carried from episode to episode
  RewardConfig reward;

  bool operator==(const EnvConfig&) const = default;
};

struct TrainConfig {
  int iterations = 200;
  int actors = 1;
  int episodes_per_actor = 1;
  int snapshot_every = 0;     // 0 = only the final policy
  int checkpoint_every = 10;  // iterations between checkpoints; 0 = only on a stop signal

  bool operator==(const TrainConfig&) const = default;
};

// The observation filter generation normalises with (README "Observation filter"):
// kSnapshot: the one saved with the policy's parameters, frozen;
// kFresh: a new filter that takes every observation of every seed in seed order, as the
//   released code's generation does (pipeline/action_plan.h: how that stays the same for
//   any ranks and chunks).
enum class GenerateObsFilter : int { kSnapshot = 0, kFresh = 1 };

// `teamsrl generate` (docs/method.md s.5): the trained policy evolves every seed.
struct GenerateConfig {
  int steps = 6;                                   // chained rewrites per seed
  std::vector<int> forced_breadth_steps = {1, 4};  // 0-based steps forced to breadth
  double add_constraints_bias = 0.7;               // added to add_constraints' entry
  // Added to breadth's entry. 0: the released code adds only add_constraints' bias at
  // generation, not the training policy's breadth bias (policy.breadth_bias).
  double breadth_bias = 0.0;
  std::string replace_breadth_with =
      "add_constraints";               // a chosen breadth becomes this; "" keeps it
  std::vector<std::string> eliminate;  // elimination rules applied (default none)
  int chunk_size = 1000;               // seeds per committed (resumable) chunk
  int64_t max_samples = 0;             // stop after this many samples; 0 = every seed
  GenerateObsFilter obs_filter = GenerateObsFilter::kSnapshot;
  // The filter's clip at generation; 0 = the training run's policy.obs_clip. (The policy's
  // other settings are structural and come with its parameters; its breadth bias is
  // replaced by breadth_bias above.)
  double obs_clip = 0.0;

  bool operator==(const GenerateConfig&) const = default;
};

// `teamsrl baseline`: WizardLM's Evol-Instruct (docs/method.md s.6).
struct BaselineConfig {
  int rounds = 4;
  std::vector<std::string> eliminate = {"equal", "sorry", "stopwords", "prompt_leak"};
  int chunk_size = 1000;
  // WizardLM's main.py evolves the instruction and its input joined by a line break; false
  // evolves the instruction alone and keeps the input beside it, as generate does.
  bool join_input = false;
  // WizardLM's dataset is the seeds plus the kept evolutions: true also answers every seed
  // (1 responder query each) and writes it as a line with round -1 and no action.
  bool include_seeds = false;

  bool operator==(const BaselineConfig&) const = default;
};

struct RunConfig {
  std::string name = "run";
  uint64_t seed = 543;
  std::string out_dir = "runs/run";
  double progress_interval_s = 10.0;  // progress log interval when not on a terminal
  // Warn once when more than this share of the reviewer's replies is neither exactly "Equal"
  // nor "Not Equal" (train, generate, baseline; 1 = never).
  double malformed_reply_warn_share = 0.15;

  bool operator==(const RunConfig&) const = default;
};

// How the ranks combine an iteration for the learner (README "Distributed learner"):
// kTrajectories: every rank sends its actors' steps to root, which alone runs the learner;
// kGradients: every rank runs the learner on its own actors' steps in lockstep, each sum
//   over the batch an exact reduction across the ranks (rl/batch.h, pipeline/rank_sum.h),
//   so results are the same bits for any rank count; root still gathers the steps for
//   the run file.
enum class Aggregate : int { kTrajectories = 0, kGradients = 1 };

struct DistConfig {
  Aggregate aggregate = Aggregate::kTrajectories;
  // Under `gradients`, actors learn in blocks of this many (docs/architecture.md "The
  // learner's sums"): a block is one term of every exact sum, held by one rank.
  int block_actors = 1;

  bool operator==(const DistConfig&) const = default;
};

struct Config {
  RunConfig run;
  llm::LlmConfig llm;
  BudgetConfig budget;
  EnvConfig env;
  rl::PolicyConfig policy;
  rl::AlgoConfig algo;
  TrainConfig train;
  GenerateConfig generate;
  BaselineConfig baseline;
  DistConfig dist;

  std::string source_path;    // the YAML file it came from
  std::string base_dir;       // directory relative paths in the file are resolved against
  std::string resolved_yaml;  // every key with its value after defaults and --set
  // What loading decided for the user without being asked (the shipped prompt templates
  // used in place of a missing default directory): root logs these as warnings.
  std::vector<std::string> notes;

  bool operator==(const Config&) const = default;
};

// Loads and validates `path`, applying `overrides` ("dotted.key=value", YAML scalar or
// flow syntax for the value) on top. Relative paths written in the file (prompts_dir,
// seeds.path, cache path) are resolved against the directory that holds `experiments/`
// (the repository root) when the file lives in one, else against the file's own
// directory; relative paths given with --set against the working directory, as any path
// on a command line.
// Overrides apply in order; one whose value is a mapping is merged key by key into the
// mapping it names (`--set algo={gamma: 0.9}` keeps the other algo keys), any other value
// replaces. Errors caused by an override read "--set KEY: ..." instead of "FILE:LINE: KEY: ...".
Result<Config> LoadConfig(const std::string& path, const std::vector<std::string>& overrides);
// Same, from YAML text (tests); `name` stands in for the file name in errors.
Result<Config> ParseConfig(const std::string& yaml_text, const std::string& name,
                           const std::vector<std::string>& overrides);
// Same, with relative paths in the text resolved against `base_dir` instead of the current
// directory
// (for callers that hold YAML text belonging to a known tree, e.g. tests using the repo's
// experiments/prompts).
Result<Config> ParseConfigWithBaseDir(const std::string& yaml_text, const std::string& name,
                                      const std::string& base_dir,
                                      const std::vector<std::string>& overrides);

// A markdown table (key, type, default, meaning) of every config key, generated from the
// same schema the loader validates against; the README's "Configuration" section is this.
std::string ConfigKeyReference();

}  // namespace teamsrl

template <>
struct teamsrl::EnumNameTable<teamsrl::Aggregate> {
  static constexpr std::string_view kNames[] = {"trajectories", "gradients"};
};

template <>
struct teamsrl::EnumNameTable<teamsrl::GenerateObsFilter> {
  static constexpr std::string_view kNames[] = {"snapshot", "fresh"};
};
