// The experiment configuration: one YAML file, validated strictly (docs/architecture.md s.5).
// Unknown keys, wrong types, out-of-range values and missing files are InvalidArgument
// errors naming the key, the file and the line. `--set dotted.key=value` overrides any key.
// Every key, its default and its meaning is listed in the README ("Configuration").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/action.h"
#include "core/status.h"

namespace teamsrl {

struct EndpointConfig {
  std::string backend = "sim";  // sim | openai
  std::string base_url;         // openai: e.g. http://127.0.0.1:8000/v1
  std::string model = "sim-1";
  std::string api_key_env;  // name of the environment variable holding the key
  std::string ca_path;      // openai: CA bundle file for TLS verification; empty = system
  double temperature = 0.0;
  double top_p = 1.0;
  int max_tokens = 2048;
  // openai: cap on one reply's body, bytes; 0 = DefaultMaxReplyBytes(max_tokens) of
  // llm/openai/reply_checks.h.
  int64_t max_reply_bytes = 0;
  double timeout_s = 120.0;
  int max_retries = 5;
  int max_concurrency = 64;  // requests in flight per rank
  double rpm = 0.0;          // 0 = unlimited (cluster-wide; split across ranks)
  double tpm = 0.0;
  double price_prompt_per_1k = 0.0;  // USD
  double price_completion_per_1k = 0.0;
  double latency_ms = 0.0;      // sim only: simulated latency per call
  double latency_jitter = 0.0;  // sim only: relative jitter of the latency, in [0, 1]

  bool operator==(const EndpointConfig&) const = default;
};

struct LlmConfig {
  std::map<std::string, EndpointConfig> endpoints;  // default: {"sim": EndpointConfig{}}
  std::string rewriter = "sim";
  std::string reviewer = "sim";
  std::string responder = "sim";
  std::string cache_path;
  std::string cache_mode = "off";  // off | read_write | replay
  // Share of an iteration's (or chunk's) calls that may fail after their retries before
  // the run stops; calls no retry can fix (HTTP 400/401/403/404) stop it at once.
  double max_failed_share = 0.5;

  bool operator==(const LlmConfig&) const = default;
};

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

struct SeedsConfig {
  std::string path;             // empty: the single seed `env.initial_instruction`
  std::string format = "auto";  // auto | jsonl | json | text
  std::string instruction_field = "instruction";  // dotted, e.g. instances[0].input
  std::string input_field = "input";
  std::string on_bad_record = "fatal";  // fatal | skip

  bool operator==(const SeedsConfig&) const = default;
};

struct RewardConfig {
  std::string type = "not_equal";  // reviewer says "Not Equal" -> 1, else 0
  std::string match = "exact";     // exact | normalized
  double query_cost = 0.0;         // added per LLM query (recorded cost is always -1/query)

  bool operator==(const RewardConfig&) const = default;
};

struct EnvConfig {
  std::vector<std::string> actions = ActionNames();  // the catalogue, in index order
  std::string prompts_dir = "experiments/prompts";   // relative to the config file's repo root
  int episode_length = 6;
  std::string initial_instruction = "How to cook food?";
  SeedsConfig seeds;
  bool carry_over = true;  // the instruction is carried from episode to episode
  RewardConfig reward;

  bool operator==(const EnvConfig&) const = default;
};

struct PolicyConfig {
  std::string type = "gaussian_argmax";  // gaussian_argmax | categorical | uniform
  std::vector<int> hidden = {64, 64};
  double breadth_bias = 0.3;  // gaussian_argmax: added to breadth's entry before argmax
  double init_log_std = 0.0;
  double obs_clip = 5.0;  // running mean/std filter clip

  bool operator==(const PolicyConfig&) const = default;
};

struct AlgoConfig {
  std::string type = "trpo";  // trpo | ppo | reinforce
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

struct TrainConfig {
  int iterations = 200;
  int actors = 1;
  int episodes_per_actor = 1;
  int snapshot_every = 0;  // 0 = only the final policy

  bool operator==(const TrainConfig&) const = default;
};

// `teamsrl generate` (docs/method.md s.5): the trained policy evolves every seed.
struct GenerateConfig {
  int steps = 6;                                   // chained rewrites per seed
  std::vector<int> forced_breadth_steps = {1, 4};  // 0-based steps forced to breadth
  double add_constraints_bias = 0.7;               // added to add_constraints' entry
  std::string replace_breadth_with =
      "add_constraints";               // a chosen breadth becomes this; "" keeps it
  std::vector<std::string> eliminate;  // elimination rules applied (default none)
  int chunk_size = 1000;               // seeds per committed (resumable) chunk
  int64_t max_samples = 0;             // stop after this many samples; 0 = every seed

  bool operator==(const GenerateConfig&) const = default;
};

// `teamsrl baseline`: WizardLM's Evol-Instruct (docs/method.md s.6).
struct BaselineConfig {
  int rounds = 4;
  std::vector<std::string> eliminate = {"equal", "sorry", "stopwords", "prompt_leak"};
  int chunk_size = 1000;

  bool operator==(const BaselineConfig&) const = default;
};

struct RunConfig {
  std::string name = "run";
  uint64_t seed = 543;
  std::string out_dir = "runs/run";
  double progress_interval_s = 10.0;  // progress log interval when not on a terminal

  bool operator==(const RunConfig&) const = default;
};

struct Config {
  RunConfig run;
  LlmConfig llm;
  BudgetConfig budget;
  EnvConfig env;
  PolicyConfig policy;
  AlgoConfig algo;
  TrainConfig train;
  GenerateConfig generate;
  BaselineConfig baseline;

  std::string source_path;    // the YAML file it came from
  std::string base_dir;       // directory relative paths in the file are resolved against
  std::string resolved_yaml;  // every key with its value after defaults and --set

  bool operator==(const Config&) const = default;
};

// Loads and validates `path`, applying `overrides` ("dotted.key=value", YAML scalar or
// flow syntax for the value) on top. Relative paths in the config (prompts_dir, seeds.path,
// cache path) are resolved against the directory that holds `experiments/` (the
// repository root) when the file lives in one, else against the file's own directory.
// Overrides apply in order; one whose value is a mapping is merged key by key into the
// mapping it names (`--set algo={gamma: 0.9}` keeps the other algo keys), any other value
// replaces. Errors caused by an override read "--set KEY: ..." instead of "FILE:LINE: KEY: ...".
Result<Config> LoadConfig(const std::string& path, const std::vector<std::string>& overrides);
// Same, from YAML text (tests); `name` stands in for the file name in errors.
Result<Config> ParseConfig(const std::string& yaml_text, const std::string& name,
                           const std::vector<std::string>& overrides);
// Same, with relative paths resolved against `base_dir` instead of the current directory
// (for callers that hold YAML text belonging to a known tree, e.g. tests using the repo's
// experiments/prompts).
Result<Config> ParseConfigWithBaseDir(const std::string& yaml_text, const std::string& name,
                                      const std::string& base_dir,
                                      const std::vector<std::string>& overrides);

// A markdown table (key, type, default, meaning) of every config key, generated from the
// same schema the loader validates against; the README's "Configuration" section is this.
std::string ConfigKeyReference();

}  // namespace teamsrl
