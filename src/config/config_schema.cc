#include "config/config_schema.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/action.h"

namespace teamsrl::internal {
namespace {

// The catalogue's name table (core/action.h), as OneOf's choices.
const std::string& ActionChoices() {
  static const std::string choices = [] {
    std::string s;
    for (const std::string& n : ActionNames()) s += (s.empty() ? "" : "|") + n;
    return s;
  }();
  return choices;
}

// Built field by field: GCC warns on designated initializers that skip members.
Rule Any() { return {}; }
Rule AtLeast(double v) {
  Rule r;
  r.min = v;
  return r;
}
Rule Positive() {
  Rule r = AtLeast(0);
  r.min_open = true;
  return r;
}
Rule Unit() {
  Rule r = AtLeast(0);
  r.max = 1;
  return r;
}
Rule NonEmpty() {
  Rule r;
  r.non_empty = true;
  return r;
}
Rule OneOf(std::string_view choices) {
  Rule r = NonEmpty();
  r.choices = choices;
  return r;
}
Rule ActionList() {
  Rule r = OneOf(ActionChoices());
  r.unique = true;
  r.item = "action";
  return r;
}

Rule OptionalAction() {  // "" or one of the catalogue
  Rule r;
  r.choices = ActionChoices();
  return r;
}

Rule EliminationRuleList() {  // may be empty: no rule
  Rule r;
  r.choices = "equal|sorry|stopwords|prompt_leak";
  r.unique = true;
  r.item = "elimination rule";
  return r;
}

// clang-format off
#define TEAMSRL_KEY(path, member, rule, doc) \
  KeySpec{path, rule, doc, [](Config& c) -> FieldRef { return Ref(&c.member); }, nullptr}
#define TEAMSRL_ENDPOINT_KEY(name, rule, doc) \
  KeySpec{"llm.endpoints.*." #name, rule, doc, nullptr, \
          [](llm::EndpointConfig& e) -> FieldRef { return Ref(&e.name); }}
// clang-format on

}  // namespace

// Row order is the order of resolved_yaml and of the README table.
const std::vector<KeySpec>& Schema() {
  static const std::vector<KeySpec> kSchema = {
      TEAMSRL_KEY("run.name", run.name, NonEmpty(), "Run name, recorded in the run file and logs."),
      TEAMSRL_KEY("run.seed", run.seed, Any(),
                  "Root seed (non-negative integer); every random stream derives from it."),
      TEAMSRL_KEY("run.out_dir", run.out_dir, NonEmpty(),
                  "Output directory, relative to the working directory."),
      TEAMSRL_KEY("run.progress_interval_s", run.progress_interval_s, Positive(),
                  "Seconds between progress log lines when not on a terminal (train, generate, "
                  "baseline)."),
      TEAMSRL_KEY("run.malformed_reply_warn_share", run.malformed_reply_warn_share, Unit(),
                  "Warn once when more than this share of the reviewer's replies is neither "
                  "exactly `Equal` nor `Not Equal` (under `env.reward.match: exact` such a reply "
                  "earns 0 in training and eliminates the sample under the `equal` rule); 1 = "
                  "never."),
      TEAMSRL_ENDPOINT_KEY(backend, Any(),
                           "`sim`: built-in offline simulator; `openai`: OpenAI-compatible "
                           "server. Without `llm.endpoints` one endpoint `sim` is defined."),
      TEAMSRL_ENDPOINT_KEY(base_url, Any(), "openai: server URL, e.g. `http://127.0.0.1:8000/v1`."),
      TEAMSRL_ENDPOINT_KEY(model, Any(), "Model name sent to the server."),
      TEAMSRL_ENDPOINT_KEY(api_key_env, Any(),
                           "Name of the environment variable holding the API key (never the "
                           "key itself)."),
      TEAMSRL_ENDPOINT_KEY(ca_path, Any(), "openai: CA bundle for TLS; empty = the system's."),
      TEAMSRL_ENDPOINT_KEY(temperature, AtLeast(0),
                           "Sampling temperature; 0 = greedy. Unset: not sent (the server's "
                           "default; OpenAI's reasoning models accept no other)."),
      TEAMSRL_ENDPOINT_KEY(top_p, Unit(),
                           "Nucleus sampling probability mass. Unset: not sent (the server's "
                           "default)."),
      TEAMSRL_ENDPOINT_KEY(max_tokens, AtLeast(1), "Maximum completion tokens per call."),
      TEAMSRL_ENDPOINT_KEY(max_tokens_field, Any(),
                           "openai: the name `max_tokens` is sent under; OpenAI's reasoning "
                           "models (o-series) refuse `max_tokens` and need "
                           "`max_completion_tokens`."),
      TEAMSRL_ENDPOINT_KEY(extra_body, Any(),
                           "openai: fields merged into every request body as written, nested "
                           "mappings and lists included (vLLM's `top_k`, `repetition_penalty`, "
                           "`guided_choice`; Ollama's `options`); a field here replaces the "
                           "generated field of the same name (e.g. `max_tokens`)."),
      TEAMSRL_ENDPOINT_KEY(api, Any(),
                           "openai: `chat` posts the messages to `/chat/completions`; "
                           "`completions` renders them with `prompt_template` into one prompt "
                           "for the legacy `/completions` API (base models on vLLM or "
                           "llama.cpp)."),
      TEAMSRL_ENDPOINT_KEY(prompt_template, Any(),
                           "openai, required with `api: completions`: template file with "
                           "`{system}` and `{user}` (e.g. `experiments/prompts/vicuna.txt`); a "
                           "line holding only `{system}` is dropped when a request has no "
                           "system message. Relative: see below."),
      TEAMSRL_ENDPOINT_KEY(max_reply_bytes, AtLeast(0),
                           "openai: largest reply body accepted, bytes; a longer reply fails the "
                           "call. 0 = max(1 MiB, 64 x `max_tokens`); above 256 MiB = 256 MiB."),
      TEAMSRL_ENDPOINT_KEY(timeout_s, Positive(), "Per-request timeout, seconds."),
      TEAMSRL_ENDPOINT_KEY(max_retries, AtLeast(0), "Retries of a retryable failure."),
      TEAMSRL_ENDPOINT_KEY(max_concurrency, AtLeast(1), "Requests in flight per rank."),
      TEAMSRL_ENDPOINT_KEY(rpm, AtLeast(0),
                           "Requests per minute for the whole run (split across ranks); 0 = "
                           "unlimited."),
      TEAMSRL_ENDPOINT_KEY(tpm, AtLeast(0), "Tokens per minute for the whole run; 0 = unlimited."),
      TEAMSRL_ENDPOINT_KEY(tpm_charge, Any(),
                           "What a request charges `tpm` when it starts: `estimate` (prompt "
                           "estimate + the completion tokens this role's replies used so far, "
                           "corrected by each reply's usage) or `max_tokens` (prompt estimate + "
                           "`max_tokens`, for providers that reserve it at admission)."),
      TEAMSRL_ENDPOINT_KEY(price_prompt_per_1k, AtLeast(0), "USD per 1000 prompt tokens."),
      TEAMSRL_ENDPOINT_KEY(price_completion_per_1k, AtLeast(0), "USD per 1000 completion tokens."),
      TEAMSRL_ENDPOINT_KEY(latency_ms, AtLeast(0), "sim only: simulated latency per call, ms."),
      TEAMSRL_ENDPOINT_KEY(latency_jitter, Unit(),
                           "sim only: relative jitter of the simulated latency."),
      TEAMSRL_KEY("llm.roles.rewriter", llm.rewriter, NonEmpty(),
                  "Endpoint that applies the chosen operation to an instruction."),
      TEAMSRL_KEY("llm.roles.reviewer", llm.reviewer, NonEmpty(),
                  "Endpoint that answers `Equal` / `Not Equal` (the reward)."),
      TEAMSRL_KEY("llm.roles.responder", llm.responder, NonEmpty(),
                  "Endpoint that answers final instructions (generate, baseline)."),
      TEAMSRL_KEY("llm.cache.path", llm.cache_path, Any(),
                  "Persistent response cache; empty = none. Relative: see below."),
      TEAMSRL_KEY("llm.cache.mode", llm.cache_mode, Any(),
                  "`read_write` uses and fills the cache; `replay` answers only from it (a "
                  "miss is an error)."),
      TEAMSRL_KEY("llm.max_failed_share", llm.max_failed_share, Unit(),
                  "Largest share of an iteration's (train) or chunk's (generate, baseline) LLM "
                  "calls that may fail after their retries; above it the run stops as "
                  "`failed`. 1 = never stop. A call no retry can fix (HTTP 400, 401, 403, "
                  "404) stops the run at once."),
      TEAMSRL_KEY("budget.max_queries", budget.max_queries, AtLeast(0),
                  "Cap on LLM queries for the run; 0 = unlimited."),
      TEAMSRL_KEY("budget.max_tokens", budget.max_tokens, AtLeast(0),
                  "Cap on prompt + completion tokens; 0 = unlimited."),
      TEAMSRL_KEY("budget.max_cost_usd", budget.max_cost_usd, AtLeast(0),
                  "Cap on cost in USD of the calls an endpoint answered (a reply from the "
                  "cache costs nothing, though it counts as a query); 0 = unlimited."),
      TEAMSRL_KEY("budget.rewriter.max_queries", budget.rewriter.max_queries, AtLeast(0),
                  "Cap on the rewriter's queries; 0 = unlimited."),
      TEAMSRL_KEY("budget.rewriter.max_tokens", budget.rewriter.max_tokens, AtLeast(0),
                  "Cap on the rewriter's prompt + completion tokens; 0 = unlimited."),
      TEAMSRL_KEY("budget.rewriter.max_cost_usd", budget.rewriter.max_cost_usd, AtLeast(0),
                  "Cap on the rewriter's cost in USD, cached replies excluded; 0 = unlimited."),
      TEAMSRL_KEY("budget.reviewer.max_queries", budget.reviewer.max_queries, AtLeast(0),
                  "Cap on the reviewer's queries; 0 = unlimited."),
      TEAMSRL_KEY("budget.reviewer.max_tokens", budget.reviewer.max_tokens, AtLeast(0),
                  "Cap on the reviewer's prompt + completion tokens; 0 = unlimited."),
      TEAMSRL_KEY("budget.reviewer.max_cost_usd", budget.reviewer.max_cost_usd, AtLeast(0),
                  "Cap on the reviewer's cost in USD, cached replies excluded; 0 = unlimited."),
      TEAMSRL_KEY("budget.responder.max_queries", budget.responder.max_queries, AtLeast(0),
                  "Cap on the responder's queries; 0 = unlimited."),
      TEAMSRL_KEY("budget.responder.max_tokens", budget.responder.max_tokens, AtLeast(0),
                  "Cap on the responder's prompt + completion tokens; 0 = unlimited."),
      TEAMSRL_KEY("budget.responder.max_cost_usd", budget.responder.max_cost_usd, AtLeast(0),
                  "Cap on the responder's cost in USD, cached replies excluded; 0 = unlimited."),
      TEAMSRL_KEY("env.actions", env.actions, ActionList(),
                  "Operations the policy chooses among, in action-index order."),
      TEAMSRL_KEY("env.prompts_dir", env.prompts_dir, NonEmpty(),
                  "Directory of prompt templates, one file per action. Relative: see below "
                  "(also for the shipped templates used when the default is missing)."),
      TEAMSRL_KEY("env.reviewer_template", env.reviewer_template, NonEmpty(),
                  "The reviewer's template, a file in `env.prompts_dir`: `reviewer.txt` asks "
                  "whether the two instructions are equal (the released code), "
                  "`reviewer_adds_information.txt` whether the second adds information; a "
                  "template may set a system message (prompts README)."),
      TEAMSRL_KEY("env.episode_length", env.episode_length, AtLeast(1),
                  "Rewrite steps per episode."),
      TEAMSRL_KEY("env.initial_instruction", env.initial_instruction, NonEmpty(),
                  "The seed instruction when `env.seeds.path` is empty."),
      TEAMSRL_KEY("env.seeds.path", env.seeds.path, Any(),
                  "Seed instruction file; empty = only `env.initial_instruction`. Relative: "
                  "see below."),
      TEAMSRL_KEY("env.seeds.format", env.seeds.format, Any(),
                  "Seed file format; `auto` goes by the extension."),
      TEAMSRL_KEY("env.seeds.fields.instruction", env.seeds.instruction_field, NonEmpty(),
                  "Field holding the instruction (dotted, e.g. `instances[0].input`)."),
      TEAMSRL_KEY("env.seeds.fields.input", env.seeds.input_field, Any(),
                  "Field holding the optional input (kept in the record, not sent)."),
      TEAMSRL_KEY("env.seeds.on_bad_record", env.seeds.on_bad_record, Any(),
                  "What a malformed seed record does."),
      TEAMSRL_KEY("env.carry_over", env.carry_over, Any(),
                  "Carry the instruction from episode to episode instead of resetting it."),
      TEAMSRL_KEY("env.reward.type", env.reward.type, Any(),
                  "`not_equal`: 1 when the reviewer says `Not Equal`, else 0."),
      TEAMSRL_KEY("env.reward.match", env.reward.match, Any(),
                  "How the reviewer's reply is compared with `Not Equal`."),
      TEAMSRL_KEY("env.reward.query_cost", env.reward.query_cost, Any(),
                  "Added to the reward per LLM query (e.g. -0.1); the recorded cost is -1 "
                  "per query regardless."),
      TEAMSRL_KEY("policy.type", policy.type, Any(),
                  "`gaussian_argmax`: the released code's policy; `categorical`: softmax; "
                  "`uniform`: random control."),
      TEAMSRL_KEY("policy.hidden", policy.hidden, AtLeast(1), "Hidden layer sizes of the MLPs."),
      TEAMSRL_KEY("policy.breadth_bias", policy.breadth_bias, Any(),
                  "gaussian_argmax: added to breadth's entry before the argmax."),
      TEAMSRL_KEY("policy.init_log_std", policy.init_log_std, Any(),
                  "Initial log standard deviation of the Gaussian."),
      TEAMSRL_KEY("policy.obs_clip", policy.obs_clip, Positive(),
                  "Clip of the running mean/std observation filter."),
      TEAMSRL_KEY("policy.obs_filter_schedule", policy.obs_filter_schedule, Any(),
                  "train: `iteration`: one filter, frozen during an iteration, updated on root; "
                  "`step`: the released code's, each actor's own filter takes every observation "
                  "(reset state included) before normalising it."),
      TEAMSRL_KEY("algo.type", algo.type, Any(), "Learner."),
      TEAMSRL_KEY("algo.gamma", algo.gamma, Unit(), "Discount."),
      TEAMSRL_KEY("algo.lambda", algo.lambda, Unit(), "GAE lambda."),
      TEAMSRL_KEY("algo.max_kl", algo.max_kl, Positive(), "TRPO: KL step size."),
      TEAMSRL_KEY("algo.damping", algo.damping, AtLeast(0), "TRPO: Fisher damping."),
      TEAMSRL_KEY("algo.cg_iters", algo.cg_iters, AtLeast(1),
                  "TRPO: conjugate-gradient iterations."),
      TEAMSRL_KEY("algo.cg_residual_tol", algo.cg_residual_tol, AtLeast(0),
                  "TRPO: conjugate-gradient residual tolerance."),
      TEAMSRL_KEY("algo.line_search_steps", algo.line_search_steps, AtLeast(1),
                  "TRPO: backtracking steps (0.5^k)."),
      TEAMSRL_KEY("algo.accept_ratio", algo.accept_ratio, Unit(),
                  "TRPO: minimum actual/expected improvement."),
      TEAMSRL_KEY("algo.value_lbfgs_iters", algo.value_lbfgs_iters, AtLeast(1),
                  "TRPO: L-BFGS iterations of the value fit."),
      TEAMSRL_KEY("algo.value_l2", algo.value_l2, AtLeast(0), "TRPO: L2 of the value fit."),
      TEAMSRL_KEY("algo.learning_rate", algo.learning_rate, Positive(),
                  "PPO/REINFORCE: policy Adam step size."),
      TEAMSRL_KEY("algo.value_learning_rate", algo.value_learning_rate, Positive(),
                  "PPO/REINFORCE: value Adam step size."),
      TEAMSRL_KEY("algo.epochs", algo.epochs, AtLeast(1), "PPO: epochs per update."),
      TEAMSRL_KEY("algo.clip", algo.clip, Positive(), "PPO: ratio clip."),
      TEAMSRL_KEY("algo.entropy_coef", algo.entropy_coef, AtLeast(0),
                  "PPO/REINFORCE: entropy bonus."),
      TEAMSRL_KEY("train.iterations", train.iterations, AtLeast(1), "Learner updates."),
      TEAMSRL_KEY("train.actors", train.actors, AtLeast(1),
                  "Logical actors (independent environments), spread over the MPI ranks."),
      TEAMSRL_KEY("train.episodes_per_actor", train.episodes_per_actor, AtLeast(1),
                  "Episodes per actor per update."),
      TEAMSRL_KEY("train.checkpoint_every", train.checkpoint_every, AtLeast(0),
                  "Iterations between checkpoints (DIR/checkpoint.bin: everything `train "
                  "--resume` needs); 0 = only when a stop signal arrives."),
      TEAMSRL_KEY("train.snapshot_every", train.snapshot_every, AtLeast(0),
                  "Store the policy every N updates; 0 = only the final one."),
      TEAMSRL_KEY("dist.aggregate", dist.aggregate, Any(),
                  "train: `trajectories`: ranks send their steps to root, which runs the "
                  "learner; `gradients`: every rank runs it on its own actors, sums reduced "
                  "exactly across ranks (README \"Distributed learner\")."),
      TEAMSRL_KEY("dist.block_actors", dist.block_actors, AtLeast(1),
                  "gradients: actors per block, the unit each rank sums in plain doubles and "
                  "the ranks sum exactly; ranks host whole blocks. Results depend on it, not on "
                  "the rank count; larger is faster, <= actors / ranks keeps every rank busy."),
      TEAMSRL_KEY("generate.steps", generate.steps, AtLeast(1),
                  "generate: chained rewrites per seed."),
      TEAMSRL_KEY("generate.forced_breadth_steps", generate.forced_breadth_steps, AtLeast(0),
                  "generate: 0-based steps forced to `breadth` (paper: [1, 4])."),
      TEAMSRL_KEY("generate.add_constraints_bias", generate.add_constraints_bias, Any(),
                  "generate: added to `add_constraints`' entry before the policy's choice."),
      TEAMSRL_KEY("generate.breadth_bias", generate.breadth_bias, Any(),
                  "generate: added to `breadth`'s entry; 0 as in the released code (training's "
                  "`policy.breadth_bias` is not used by generate)."),
      TEAMSRL_KEY("generate.replace_breadth_with", generate.replace_breadth_with, OptionalAction(),
                  "generate: action replacing a policy-chosen `breadth`; empty = keep it."),
      TEAMSRL_KEY("generate.eliminate", generate.eliminate, EliminationRuleList(),
                  "generate: elimination rules (equal|sorry|stopwords|prompt_leak); `equal` adds a "
                  "reviewer call."),
      TEAMSRL_KEY("generate.obs_filter", generate.obs_filter, Any(),
                  "generate: `snapshot`: the policy's saved filter, frozen; `fresh`: the released "
                  "code's, a new filter taking every seed's observations in seed order."),
      TEAMSRL_KEY("generate.obs_clip", generate.obs_clip, AtLeast(0),
                  "generate: clip of the observation filter; 0 = the training run's "
                  "`policy.obs_clip`."),
      TEAMSRL_KEY("generate.chunk_size", generate.chunk_size, AtLeast(1),
                  "generate: seeds per committed chunk (the unit of resumption)."),
      TEAMSRL_KEY("generate.max_samples", generate.max_samples, AtLeast(0),
                  "generate: stop after this many samples (the last seed gets the remaining "
                  "steps); 0 = every seed."),
      TEAMSRL_KEY("baseline.rounds", baseline.rounds, AtLeast(1),
                  "baseline: evolution rounds over the pool."),
      TEAMSRL_KEY("baseline.eliminate", baseline.eliminate, EliminationRuleList(),
                  "baseline: elimination rules (equal|sorry|stopwords|prompt_leak)."),
      TEAMSRL_KEY("baseline.chunk_size", baseline.chunk_size, AtLeast(1),
                  "baseline: seeds per committed chunk (the unit of resumption)."),
      TEAMSRL_KEY("baseline.join_input", baseline.join_input, Any(),
                  "baseline: evolve the instruction and its input joined by a line break, as "
                  "WizardLM's main.py does (the samples' `input` is then empty)."),
      TEAMSRL_KEY("baseline.include_seeds", baseline.include_seeds, Any(),
                  "baseline: the dataset also holds every seed, answered by the responder (1 "
                  "query each), as a line with round -1 and no action (WizardLM's dataset is "
                  "seeds + evolutions)."),
  };
  return kSchema;
}

#undef TEAMSRL_KEY
#undef TEAMSRL_ENDPOINT_KEY

std::string Join(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

namespace {

struct SchemaIndex {
  std::unordered_map<std::string, const KeySpec*> leaves;  // pattern -> row
  std::set<std::string> sections;                          // "" (top), "llm", "llm.endpoints.*"
};

const SchemaIndex& Index() {
  static const SchemaIndex kIndex = [] {
    SchemaIndex index;
    index.sections.insert("");
    for (const KeySpec& spec : Schema()) {
      index.leaves[std::string(spec.path)] = &spec;
      for (size_t dot = spec.path.find('.'); dot != std::string_view::npos;
           dot = spec.path.find('.', dot + 1)) {
        index.sections.insert(std::string(spec.path.substr(0, dot)));
      }
    }
    return index;
  }();
  return kIndex;
}

}  // namespace

const KeySpec* FindLeaf(const std::string& pattern) {
  auto it = Index().leaves.find(pattern);
  return it == Index().leaves.end() ? nullptr : it->second;
}
bool IsSection(const std::string& pattern) { return Index().sections.count(pattern) > 0; }

namespace {

// Names allowed directly inside `section` (in schema order, without duplicates).
std::vector<std::string> ChildNames(const std::string& section) {
  std::vector<std::string> names;
  const std::string prefix = section.empty() ? "" : section + ".";
  for (const KeySpec& spec : Schema()) {
    std::string_view p = spec.path;
    if (!p.starts_with(prefix)) continue;
    std::string name(p.substr(prefix.size(), p.find('.', prefix.size()) - prefix.size()));
    if (name != "*" && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  return names;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string Closest(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const std::string& c : candidates) {
    // A truncated name ("deepen") is as likely a slip as a typo.
    size_t d = name.size() >= 3 && c.starts_with(name) ? 1 : EditDistance(name, c);
    if (d < best_d && d < std::max(name.size(), c.size())) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string Suggestion(const std::string& section, const std::string& name) {
  std::string near = Closest(name, ChildNames(section));
  if (!near.empty()) return "; did you mean " + near + "?";
  for (const KeySpec& spec : Schema()) {
    std::string_view p = spec.path;
    if (p.ends_with("." + name) && !p.starts_with(kEndpointPattern)) {
      return "; did you mean " + std::string(p) + "?";
    }
  }
  return "";
}

}  // namespace teamsrl::internal
