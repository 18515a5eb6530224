#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/text.h"

namespace teamsrl {
namespace {

namespace fs = std::filesystem;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::string_view kEndpoints = "llm.endpoints";
constexpr std::string_view kEndpointPattern = "llm.endpoints.*";
constexpr std::string_view kActionNames =
    "breadth|add_constraints|deepening|concretizing|increase_reasoning|complicate_input";

// ---------------------------------------------------------------------------------------
// Schema: one row per key. Adding a key to the config is adding a field to config.h and a
// row here; validation, --set, resolved_yaml and the README table all follow from the row.

using FieldRef = std::variant<std::string*, bool*, int*, int64_t*, uint64_t*, double*,
                              std::vector<std::string>*, std::vector<int>*>;

// Constraint on a value beyond its type. Numbers (and list elements): [min, max], min
// exclusive when `min_open`. Strings (and list elements): one of `choices` ("a|b") when set.
struct Rule {
  double min = -kInf;
  double max = kInf;
  bool min_open = false;
  std::string_view choices;
  bool non_empty = false;           // strings and lists
  bool unique = false;              // lists
  std::string_view item = "value";  // noun for list elements in messages
};

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
  Rule r = OneOf(kActionNames);
  r.unique = true;
  r.item = "action";
  return r;
}

struct KeySpec {
  std::string_view path;  // dotted; per-endpoint keys are "llm.endpoints.*.KEY"
  Rule rule;
  std::string_view doc;
  FieldRef (*config_field)(Config&);            // set for ordinary keys
  FieldRef (*endpoint_field)(EndpointConfig&);  // set for per-endpoint keys
};

// clang-format off
#define TEAMSRL_KEY(path, member, rule, doc) \
  KeySpec{path, rule, doc, [](Config& c) -> FieldRef { return &c.member; }, nullptr}
#define TEAMSRL_ENDPOINT_KEY(name, rule, doc) \
  KeySpec{"llm.endpoints.*." #name, rule, doc, nullptr, \
          [](EndpointConfig& e) -> FieldRef { return &e.name; }}
// clang-format on

// Row order is the order of resolved_yaml and of the README table.
const std::vector<KeySpec>& Schema() {
  static const std::vector<KeySpec> kSchema = {
      TEAMSRL_KEY("run.name", run.name, NonEmpty(), "Run name, recorded in the run file and logs."),
      TEAMSRL_KEY("run.seed", run.seed, Any(),
                  "Root seed (non-negative integer); every random stream derives from it."),
      TEAMSRL_KEY("run.out_dir", run.out_dir, NonEmpty(),
                  "Output directory, relative to the working directory."),
      TEAMSRL_ENDPOINT_KEY(backend, OneOf("sim|openai"),
                           "`sim`: built-in offline simulator; `openai`: OpenAI-compatible "
                           "server. Without `llm.endpoints` one endpoint `sim` is defined."),
      TEAMSRL_ENDPOINT_KEY(base_url, Any(), "openai: server URL, e.g. `http://127.0.0.1:8000/v1`."),
      TEAMSRL_ENDPOINT_KEY(model, Any(), "Model name sent to the server."),
      TEAMSRL_ENDPOINT_KEY(api_key_env, Any(),
                           "Name of the environment variable holding the API key (never the "
                           "key itself)."),
      TEAMSRL_ENDPOINT_KEY(temperature, AtLeast(0), "Sampling temperature; 0 = greedy."),
      TEAMSRL_ENDPOINT_KEY(top_p, Unit(), "Nucleus sampling probability mass."),
      TEAMSRL_ENDPOINT_KEY(max_tokens, AtLeast(1), "Maximum completion tokens per call."),
      TEAMSRL_ENDPOINT_KEY(timeout_s, Positive(), "Per-request timeout, seconds."),
      TEAMSRL_ENDPOINT_KEY(max_retries, AtLeast(0), "Retries of a retryable failure."),
      TEAMSRL_ENDPOINT_KEY(max_concurrency, AtLeast(1), "Requests in flight per rank."),
      TEAMSRL_ENDPOINT_KEY(rpm, AtLeast(0),
                           "Requests per minute for the whole run (split across ranks); 0 = "
                           "unlimited."),
      TEAMSRL_ENDPOINT_KEY(tpm, AtLeast(0), "Tokens per minute for the whole run; 0 = unlimited."),
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
      TEAMSRL_KEY("llm.cache.mode", llm.cache_mode, OneOf("off|read_write|replay"),
                  "`read_write` uses and fills the cache; `replay` answers only from it (a "
                  "miss is an error)."),
      TEAMSRL_KEY("budget.max_queries", budget.max_queries, AtLeast(0),
                  "Cap on LLM queries for the run; 0 = unlimited."),
      TEAMSRL_KEY("budget.max_tokens", budget.max_tokens, AtLeast(0),
                  "Cap on prompt + completion tokens; 0 = unlimited."),
      TEAMSRL_KEY("budget.max_cost_usd", budget.max_cost_usd, AtLeast(0),
                  "Cap on cost in USD; 0 = unlimited."),
      TEAMSRL_KEY("env.actions", env.actions, ActionList(),
                  "Operations the policy chooses among, in action-index order."),
      TEAMSRL_KEY("env.prompts_dir", env.prompts_dir, NonEmpty(),
                  "Directory of prompt templates, one file per action. Relative: see below."),
      TEAMSRL_KEY("env.episode_length", env.episode_length, AtLeast(1),
                  "Rewrite steps per episode."),
      TEAMSRL_KEY("env.initial_instruction", env.initial_instruction, NonEmpty(),
                  "The seed instruction when `env.seeds.path` is empty."),
      TEAMSRL_KEY("env.seeds.path", env.seeds.path, Any(),
                  "Seed instruction file; empty = only `env.initial_instruction`."),
      TEAMSRL_KEY("env.seeds.format", env.seeds.format, OneOf("auto|jsonl|json|text"),
                  "Seed file format; `auto` goes by the extension."),
      TEAMSRL_KEY("env.seeds.fields.instruction", env.seeds.instruction_field, NonEmpty(),
                  "Field holding the instruction (dotted, e.g. `instances[0].input`)."),
      TEAMSRL_KEY("env.seeds.fields.input", env.seeds.input_field, Any(),
                  "Field holding the optional input (kept in the record, not sent)."),
      TEAMSRL_KEY("env.seeds.on_bad_record", env.seeds.on_bad_record, OneOf("fatal|skip"),
                  "What a malformed seed record does."),
      TEAMSRL_KEY("env.carry_over", env.carry_over, Any(),
                  "Carry the instruction from episode to episode instead of resetting it."),
      TEAMSRL_KEY("env.reward.type", env.reward.type, OneOf("not_equal"),
                  "`not_equal`: 1 when the reviewer says `Not Equal`, else 0."),
      TEAMSRL_KEY("env.reward.match", env.reward.match, OneOf("exact|normalized"),
                  "How the reviewer's reply is compared with `Not Equal`."),
      TEAMSRL_KEY("env.reward.query_cost", env.reward.query_cost, Any(),
                  "Added to the reward per LLM query (e.g. -0.1); the recorded cost is -1 "
                  "per query regardless."),
      TEAMSRL_KEY("policy.type", policy.type, OneOf("gaussian_argmax|categorical|uniform"),
                  "`gaussian_argmax`: the released code's policy; `categorical`: softmax; "
                  "`uniform`: random control."),
      TEAMSRL_KEY("policy.hidden", policy.hidden, AtLeast(1), "Hidden layer sizes of the MLPs."),
      TEAMSRL_KEY("policy.breadth_bias", policy.breadth_bias, Any(),
                  "gaussian_argmax: added to breadth's entry before the argmax."),
      TEAMSRL_KEY("policy.init_log_std", policy.init_log_std, Any(),
                  "Initial log standard deviation of the Gaussian."),
      TEAMSRL_KEY("policy.obs_clip", policy.obs_clip, Positive(),
                  "Clip of the running mean/std observation filter."),
      TEAMSRL_KEY("algo.type", algo.type, OneOf("trpo|ppo|reinforce"), "Learner."),
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
      TEAMSRL_KEY("train.snapshot_every", train.snapshot_every, AtLeast(0),
                  "Store the policy every N updates; 0 = only the final one."),
      TEAMSRL_KEY("train.progress_interval_s", train.progress_interval_s, Positive(),
                  "Seconds between progress log lines when not on a terminal."),
  };
  return kSchema;
}

#undef TEAMSRL_KEY
#undef TEAMSRL_ENDPOINT_KEY

std::string Join(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

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

const KeySpec* FindLeaf(const std::string& pattern) {
  auto it = Index().leaves.find(pattern);
  return it == Index().leaves.end() ? nullptr : it->second;
}
bool IsSection(const std::string& pattern) { return Index().sections.count(pattern) > 0; }

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

// The closest candidate when it is close enough to be a likely typo, else "".
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

// "; did you mean X?" for an unknown `name` inside `section`: a near sibling, else the
// same name in another section (`train.gamma` -> `algo.gamma`).
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

std::vector<std::string> SplitChoices(std::string_view choices) {
  return choices.empty() ? std::vector<std::string>{} : Split(choices, '|');
}
std::string ListChoices(std::string_view choices) {
  return ReplaceAll(std::string(choices), "|", ", ");
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest exact round trip
  std::string s(buf, end);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";  // keep it visibly a float
  return s;
}

// "an integer >= 1", "a number in [0, 1]".
std::string RangeText(const Rule& r) {
  auto num = [](double v) {
    std::string s = FormatDouble(v);
    return s.ends_with(".0") ? s.substr(0, s.size() - 2) : s;
  };
  if (r.min > -kInf && r.max < kInf) return " in [" + num(r.min) + ", " + num(r.max) + "]";
  if (r.min > -kInf) return (r.min_open ? " > " : " >= ") + num(r.min);
  if (r.max < kInf) return " <= " + num(r.max);
  return "";
}

// What a key expects, as used in "expected X, got Y" and in the README type column.
std::string Expected(const KeySpec& spec) {
  // Only the field's type matters here; the probes are never written.
  static Config probe_config;
  static EndpointConfig probe_endpoint;
  FieldRef probe =
      spec.config_field ? spec.config_field(probe_config) : spec.endpoint_field(probe_endpoint);
  const Rule& r = spec.rule;
  return std::visit(
      [&](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (!r.choices.empty()) return "one of " + ListChoices(r.choices);
          return r.non_empty ? "a non-empty string" : "a string";
        } else if constexpr (std::is_same_v<T, bool>) {
          return "true or false";
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          return "a non-negative integer";
        } else if constexpr (std::is_integral_v<T>) {
          return "an integer" + RangeText(r);
        } else if constexpr (std::is_same_v<T, double>) {
          return "a number" + RangeText(r);
        } else if constexpr (std::is_same_v<T, std::vector<int>>) {
          return "a list of integers" + RangeText(r);
        } else {
          return "a list of " + std::string(r.item) + "s";
        }
      },
      probe);
}

// ---------------------------------------------------------------------------------------
// Values

int Line(const YAML::Node& node) { return node.Mark().is_null() ? -1 : node.Mark().line + 1; }

bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar: {
      std::string s = node.Scalar();
      if (s.size() > 60) s = s.substr(0, 57) + "...";
      return IsQuoted(node) ? "\"" + s + "\" (a quoted string)" : s;
    }
    default:
      return "an undefined value";
  }
}

std::string FormatValue(const FieldRef& field) {
  return std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return *p;
        } else if constexpr (std::is_same_v<T, bool>) {
          return *p ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return FormatDouble(*p);
        } else if constexpr (std::is_integral_v<T>) {
          return std::to_string(*p);
        } else {
          std::string out = "[";
          for (size_t i = 0; i < p->size(); ++i) {
            if (i) out += ", ";
            if constexpr (std::is_same_v<T, std::vector<int>>) {
              out += std::to_string((*p)[i]);
            } else {
              out += (*p)[i];
            }
          }
          return out + "]";
        }
      },
      field);
}

// String values are tagged so that EmitResolved can quote the ones a YAML reader would
// take for something else (`off` is false to PyYAML, `123` a number).
YAML::Node ToYaml(const FieldRef& field) {
  YAML::Node node;
  if (auto* ints = std::get_if<std::vector<int>*>(&field)) {
    node = YAML::Node(YAML::NodeType::Sequence);
    for (int v : **ints) node.push_back(v);
  } else if (auto* strs = std::get_if<std::vector<std::string>*>(&field)) {
    node = YAML::Node(YAML::NodeType::Sequence);
    for (const std::string& v : **strs) {
      YAML::Node item(v);
      item.SetTag("str");
      node.push_back(item);
    }
  } else {
    node = YAML::Node(FormatValue(field));
    if (std::holds_alternative<std::string*>(field)) node.SetTag("str");
  }
  return node;
}

bool Ambiguous(const std::string& s) {
  static const std::set<std::string> kWords = {"y",   "n",    "yes",   "no",   "on",
                                               "off", "true", "false", "null", "~"};
  if (kWords.count(ToLower(s))) return true;
  double unused;
  std::string_view v = s;
  if (!v.empty() && (v[0] == '+' || v[0] == '.')) v.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), unused);
  return !v.empty() && ec == std::errc() && ptr == v.data() + v.size();
}

void EmitResolved(YAML::Emitter& em, const YAML::Node& node) {
  if (node.IsMap()) {
    em << YAML::BeginMap;
    for (auto it = node.begin(); it != node.end(); ++it) {
      em << YAML::Key << it->first.Scalar() << YAML::Value;
      EmitResolved(em, it->second);
    }
    em << YAML::EndMap;
  } else if (node.IsSequence()) {
    em << YAML::Flow << YAML::BeginSeq;
    for (const YAML::Node& item : node) EmitResolved(em, item);
    em << YAML::EndSeq;
  } else {
    if (node.Tag() == "str" && Ambiguous(node.Scalar())) em << YAML::DoubleQuoted;
    em << node.Scalar();
  }
}

// Reports errors as "FILE:LINE: KEY: message", or "--set KEY: message" for values that came
// from an override.
class Reporter {
 public:
  explicit Reporter(std::string name) : name_(std::move(name)) {}

  void MarkOverride(const std::string& path) { override_paths_.insert(path); }
  bool FromOverride(const std::string& path) const {
    for (size_t dot = 0;; ++dot) {
      dot = path.find('.', dot);
      if (override_paths_.count(path.substr(0, dot))) return true;
      if (dot == std::string::npos) return false;
    }
  }
  // `origin` is the key whose value caused the error when that is not `path` itself.
  Status Error(const std::string& path, int line, const std::string& message,
               const std::string& origin = "") const {
    if (FromOverride(origin.empty() ? path : origin)) {
      return InvalidArgument("--set " + path + ": " + message);
    }
    std::string where = line > 0 ? name_ + ":" + std::to_string(line) : name_;
    return InvalidArgument(where + ": " + path + ": " + message);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::set<std::string> override_paths_;
};

struct Entry {
  std::string path;
  const KeySpec* spec;
  YAML::Node value;
  int line;  // of the key
};

Status TypeError(const Reporter& rep, const Entry& e, const YAML::Node& node) {
  // A list element has its own line; a key's value uses the key's line, because yaml-cpp
  // marks an empty (null) value at the token after it.
  const int line = &node != &e.value && Line(node) > 0 ? Line(node) : e.line;
  return rep.Error(e.path, line, "expected " + Expected(*e.spec) + ", got " + Describe(node));
}

bool PlainScalar(const YAML::Node& node) { return node.IsScalar() && !IsQuoted(node); }

Status CheckRange(const Reporter& rep, const Entry& e, double v, const std::string& text,
                  int line) {
  const Rule& r = e.spec->rule;
  if (v < r.min || v > r.max || (r.min_open && v == r.min)) {
    return rep.Error(e.path, line, "expected " + Expected(*e.spec) + ", got " + text);
  }
  return OkStatus();
}

template <typename T>
Status ParseInteger(const Reporter& rep, const Entry& e, const YAML::Node& node, T* out) {
  if (!PlainScalar(node)) return TypeError(rep, e, node);
  std::string_view text = node.Scalar();
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  const bool digits = !text.empty() &&
                      std::all_of(text.begin() + (text[0] == '-' ? 1 : 0), text.end(),
                                  [](char c) { return c >= '0' && c <= '9'; }) &&
                      text != "-";
  if (!digits) return TypeError(rep, e, node);
  if (std::is_unsigned_v<T> && text[0] == '-') return TypeError(rep, e, node);
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return rep.Error(e.path, Line(node),
                     "expected " + Expected(*e.spec) + ", got " + node.Scalar() +
                         " (does not fit in a " + std::to_string(sizeof(T) * 8) + "-bit " +
                         (std::is_unsigned_v<T> ? "unsigned " : "") + "integer)");
  }
  TEAMSRL_RETURN_IF_ERROR(
      CheckRange(rep, e, static_cast<double>(value), node.Scalar(), Line(node)));
  *out = value;
  return OkStatus();
}

Status ParseDouble(const Reporter& rep, const Entry& e, const YAML::Node& node, double* out) {
  if (!PlainScalar(node)) return TypeError(rep, e, node);
  std::string_view text = node.Scalar();
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value)) {
    return TypeError(rep, e, node);
  }
  TEAMSRL_RETURN_IF_ERROR(CheckRange(rep, e, value, node.Scalar(), Line(node)));
  *out = value;
  return OkStatus();
}

Status CheckChoice(const Reporter& rep, const Entry& e, const std::string& value, int line,
                   bool in_list) {
  const Rule& r = e.spec->rule;
  if (r.choices.empty()) return OkStatus();
  std::vector<std::string> allowed = SplitChoices(r.choices);
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return OkStatus();
  std::string near = Closest(value, allowed);
  std::string hint = near.empty() ? "" : "; did you mean " + near + "?";
  if (in_list) {
    return rep.Error(e.path, line,
                     "unknown " + std::string(r.item) + " \"" + value +
                         "\"; allowed: " + ListChoices(r.choices) + hint);
  }
  return rep.Error(e.path, line,
                   "expected one of " + ListChoices(r.choices) + ", got \"" + value + "\"" + hint);
}

Status ParseString(const Reporter& rep, const Entry& e, const YAML::Node& node, std::string* out) {
  if (node.IsNull()) {
    *out = "";  // `key:` with nothing after it
  } else if (node.IsScalar()) {
    *out = node.Scalar();
  } else {
    return TypeError(rep, e, node);
  }
  if (e.spec->rule.non_empty && out->empty()) {
    return rep.Error(e.path, e.line, "expected " + Expected(*e.spec) + ", got an empty value");
  }
  return CheckChoice(rep, e, *out, e.line, /*in_list=*/false);
}

Status ParseBool(const Reporter& rep, const Entry& e, const YAML::Node& node, bool* out) {
  if (!PlainScalar(node) || (node.Scalar() != "true" && node.Scalar() != "false")) {
    return TypeError(rep, e, node);
  }
  *out = node.Scalar() == "true";
  return OkStatus();
}

template <typename T>
Status ParseList(const Reporter& rep, const Entry& e, const YAML::Node& node, std::vector<T>* out) {
  if (!node.IsSequence()) return TypeError(rep, e, node);
  const Rule& r = e.spec->rule;
  std::vector<T> values;
  for (const YAML::Node& item : node) {
    const int line = Line(item) > 0 ? Line(item) : e.line;
    T value{};
    if constexpr (std::is_same_v<T, int>) {
      TEAMSRL_RETURN_IF_ERROR(ParseInteger(rep, e, item, &value));
    } else {
      if (!item.IsScalar()) return TypeError(rep, e, item);
      value = item.Scalar();
      TEAMSRL_RETURN_IF_ERROR(CheckChoice(rep, e, value, line, /*in_list=*/true));
    }
    if (r.unique && std::find(values.begin(), values.end(), value) != values.end()) {
      std::ostringstream v;
      v << value;
      return rep.Error(e.path, line, "duplicate " + std::string(r.item) + " \"" + v.str() + "\"");
    }
    values.push_back(std::move(value));
  }
  if (r.non_empty && values.empty()) {
    return rep.Error(e.path, e.line, "expected at least one " + std::string(r.item));
  }
  *out = std::move(values);
  return OkStatus();
}

Status Assign(const Reporter& rep, const Entry& e, FieldRef field) {
  return std::visit(
      [&](auto* p) -> Status {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return ParseString(rep, e, e.value, p);
        } else if constexpr (std::is_same_v<T, bool>) {
          return ParseBool(rep, e, e.value, p);
        } else if constexpr (std::is_same_v<T, double>) {
          return ParseDouble(rep, e, e.value, p);
        } else if constexpr (std::is_integral_v<T>) {
          return ParseInteger(rep, e, e.value, p);
        } else {
          return ParseList(rep, e, e.value, p);
        }
      },
      field);
}

// ---------------------------------------------------------------------------------------
// Loading

bool ValidEndpointName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

class Loader {
 public:
  Loader(std::string name, std::string base_dir)
      : rep_(std::move(name)), base_dir_(std::move(base_dir)) {}

  Result<Config> Load(const std::string& text, const std::vector<std::string>& overrides);

 private:
  Status ApplyOverride(YAML::Node& doc, const std::string& spec);
  void Merge(YAML::Node dst, const YAML::Node& src, const std::string& path);
  Status Collect(const YAML::Node& node, const std::string& path, const std::string& pattern,
                 int line);
  Status Validate(Config& c) const;
  int LineOf(const std::string& path) const {
    auto it = lines_.find(path);
    return it == lines_.end() ? -1 : it->second;
  }
  std::string Resolve(const std::string& p) const {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    return (fs::path(base_dir_) / p).lexically_normal().string();
  }

  Reporter rep_;
  std::string base_dir_;
  std::vector<Entry> entries_;               // leaves in document order
  std::map<std::string, int> lines_;         // path -> line of its key
  std::vector<std::string> endpoint_names_;  // in document order
};

Status Loader::ApplyOverride(YAML::Node& doc, const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos) {
    return InvalidArgument("--set " + spec + ": expected dotted.key=value");
  }
  const std::string key = Trim(spec.substr(0, eq));
  const std::vector<std::string> segments = Split(key, '.');
  std::string pattern;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    if (seg.empty()) return InvalidArgument("--set " + key + ": malformed key");
    if (pattern == kEndpoints) {
      if (!ValidEndpointName(seg)) {
        return InvalidArgument("--set " + key + ": endpoint names use letters, digits, _ and -");
      }
      pattern = kEndpointPattern;
      continue;
    }
    const std::string candidate = Join(pattern, seg);
    const bool leaf = FindLeaf(candidate) != nullptr;
    if ((leaf && i + 1 < segments.size()) || (!leaf && !IsSection(candidate))) {
      return InvalidArgument("--set " + key + ": unknown key" +
                             (leaf ? "" : Suggestion(pattern, seg)));
    }
    pattern = candidate;
  }

  YAML::Node value;
  try {
    value = YAML::Load(spec.substr(eq + 1));
  } catch (const YAML::Exception& ex) {
    return InvalidArgument("--set " + key + ": cannot parse the value \"" + spec.substr(eq + 1) +
                           "\" as YAML: " + ex.msg);
  }

  YAML::Node cur;
  cur.reset(doc);  // reset rebinds; operator= would overwrite the document's node
  std::string path;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    path = Join(path, segments[i]);
    YAML::Node child = cur[segments[i]];
    if (!child || child.IsNull()) {
      cur[segments[i]] = YAML::Node(YAML::NodeType::Map);
      child.reset(cur[segments[i]]);
    } else if (!child.IsMap()) {
      return rep_.Error(path, Line(child),
                        "cannot apply --set " + key + ": the value here is not a mapping");
    }
    cur.reset(child);
  }
  const std::string& last = segments.back();
  YAML::Node existing = cur[last];
  if (existing && existing.IsMap() && value.IsMap()) {
    Merge(existing, value, key);
  } else {
    cur[last] = value;
    rep_.MarkOverride(key);
  }
  return OkStatus();
}

// A mapping given to --set is merged key by key, so `--set llm.endpoints.sim={latency_ms: 5}`
// keeps the endpoint's other keys from the file.
void Loader::Merge(YAML::Node dst, const YAML::Node& src, const std::string& path) {
  for (auto it = src.begin(); it != src.end(); ++it) {
    const std::string name = it->first.Scalar();
    const std::string child_path = Join(path, name);
    YAML::Node existing = dst[name];
    if (existing && existing.IsMap() && it->second.IsMap()) {
      Merge(existing, it->second, child_path);
    } else {
      dst[name] = it->second;
      rep_.MarkOverride(child_path);
    }
  }
}

Status Loader::Collect(const YAML::Node& node, const std::string& path, const std::string& pattern,
                       int line) {
  if (node.IsNull()) return OkStatus();  // `train:` with nothing under it
  if (!node.IsMap()) {
    return rep_.Error(path, line, "expected a mapping, got " + Describe(node));
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const int key_line = Line(it->first);
    if (!it->first.IsScalar()) {
      return rep_.Error(path, key_line, "keys must be plain names, got " + Describe(it->first));
    }
    const std::string name = it->first.Scalar();
    const std::string child_path = Join(path, name);
    if (!seen.insert(name).second) return rep_.Error(child_path, key_line, "duplicate key");
    lines_[child_path] = key_line;
    if (pattern == kEndpoints) {
      if (!ValidEndpointName(name)) {
        return rep_.Error(child_path, key_line, "endpoint names use letters, digits, _ and - only");
      }
      endpoint_names_.push_back(name);
      TEAMSRL_RETURN_IF_ERROR(
          Collect(it->second, child_path, std::string(kEndpointPattern), key_line));
      continue;
    }
    const std::string child_pattern = Join(pattern, name);
    if (const KeySpec* spec = FindLeaf(child_pattern)) {
      entries_.push_back({child_path, spec, it->second, key_line});
    } else if (IsSection(child_pattern)) {
      TEAMSRL_RETURN_IF_ERROR(Collect(it->second, child_path, child_pattern, key_line));
    } else {
      return rep_.Error(child_path, key_line, "unknown key" + Suggestion(pattern, name));
    }
  }
  return OkStatus();
}

Status Loader::Validate(Config& c) const {
  const std::pair<const char*, std::string*> roles[] = {{"llm.roles.rewriter", &c.llm.rewriter},
                                                        {"llm.roles.reviewer", &c.llm.reviewer},
                                                        {"llm.roles.responder", &c.llm.responder}};
  for (const auto& [key, endpoint] : roles) {
    if (c.llm.endpoints.count(*endpoint)) continue;
    std::string defined;
    for (const auto& [name, unused] : c.llm.endpoints)
      defined += (defined.empty() ? "" : ", ") + name;
    return rep_.Error(key, LineOf(key),
                      "endpoint \"" + *endpoint +
                          "\" is not defined in llm.endpoints (defined: " + defined + ")");
  }
  for (const auto& [name, ep] : c.llm.endpoints) {
    const std::string path = std::string(kEndpoints) + "." + name;
    if (ep.backend == "openai" && ep.base_url.empty()) {
      return rep_.Error(path + ".base_url", LineOf(path + ".backend"),
                        "backend openai needs a base_url (e.g. http://127.0.0.1:8000/v1)",
                        path + ".backend");
    }
  }

  c.env.prompts_dir = Resolve(c.env.prompts_dir);
  c.env.seeds.path = Resolve(c.env.seeds.path);
  c.llm.cache_path = Resolve(c.llm.cache_path);
  std::error_code ec;
  if (!fs::is_directory(c.env.prompts_dir, ec)) {
    return rep_.Error("env.prompts_dir", LineOf("env.prompts_dir"),
                      "directory not found: " + c.env.prompts_dir);
  }
  if (!c.env.seeds.path.empty() &&
      (!fs::exists(c.env.seeds.path, ec) || fs::is_directory(c.env.seeds.path, ec))) {
    return rep_.Error("env.seeds.path", LineOf("env.seeds.path"),
                      "file not found: " + c.env.seeds.path);
  }
  if (c.llm.cache_mode == "replay") {
    if (c.llm.cache_path.empty()) {
      return rep_.Error("llm.cache.path", LineOf("llm.cache.mode"),
                        "cache mode replay needs a cache path");
    }
    if (!fs::exists(c.llm.cache_path, ec)) {
      return rep_.Error("llm.cache.path", LineOf("llm.cache.path"),
                        "cache mode replay: file not found: " + c.llm.cache_path);
    }
  }
  return OkStatus();
}

// Errors are reported before parsing because yaml-cpp's own message for such input
// ("unknown token") does not tell the user they passed the wrong file.
Status CheckText(const std::string& name, const std::string& text) {
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    bool ok = c != 0 && len != 0 && i + len <= text.size() && !(len == 2 && c < 0xc2);
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    }
    if (!ok) {
      return InvalidArgument(name + ":" + std::to_string(line) + ": not a text YAML file (" +
                             (c == 0 ? "contains NUL bytes" : "invalid UTF-8") + ")");
    }
    if (c == '\n') ++line;
    i += len;
  }
  return OkStatus();
}

Result<Config> Loader::Load(const std::string& text, const std::vector<std::string>& overrides) {
  const std::string& name = rep_.name();
  TEAMSRL_RETURN_IF_ERROR(CheckText(name, text));
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& ex) {
    return InvalidArgument(name + ":" + std::to_string(ex.mark.line + 1) + ":" +
                           std::to_string(ex.mark.column + 1) + ": invalid YAML: " + ex.msg);
  }
  if (docs.empty() || docs[0].IsNull()) return InvalidArgument(name + ": empty config");
  if (docs.size() > 1) {
    return InvalidArgument(name + ":" + std::to_string(Line(docs[1])) +
                           ": more than one YAML document (---) in a config file");
  }
  YAML::Node doc = docs[0];
  if (!doc.IsMap()) {
    return InvalidArgument(name + ":" + std::to_string(Line(doc)) +
                           ": expected a mapping of sections (run, llm, budget, env, policy, "
                           "algo, train) at the top level, got " +
                           Describe(doc));
  }
  try {
    for (const std::string& o : overrides) TEAMSRL_RETURN_IF_ERROR(ApplyOverride(doc, o));
    TEAMSRL_RETURN_IF_ERROR(Collect(doc, "", "", 1));

    Config c;
    c.llm.endpoints.clear();
    for (const std::string& ep : endpoint_names_) c.llm.endpoints[ep] = EndpointConfig{};
    if (c.llm.endpoints.empty()) c.llm.endpoints["sim"] = EndpointConfig{};
    for (const Entry& e : entries_) {
      FieldRef field = e.spec->config_field
                           ? e.spec->config_field(c)
                           : e.spec->endpoint_field(c.llm.endpoints[Split(e.path, '.')[2]]);
      TEAMSRL_RETURN_IF_ERROR(Assign(rep_, e, field));
    }
    TEAMSRL_RETURN_IF_ERROR(Validate(c));

    c.base_dir = base_dir_;
    YAML::Node out(YAML::NodeType::Map);
    for (const KeySpec& spec : Schema()) {
      auto set = [&out](const std::vector<std::string>& path, YAML::Node value) {
        YAML::Node cur;
        cur.reset(out);
        for (size_t i = 0; i + 1 < path.size(); ++i) {
          YAML::Node next = cur[path[i]];
          if (!next) {
            cur[path[i]] = YAML::Node(YAML::NodeType::Map);
            next.reset(cur[path[i]]);
          }
          cur.reset(next);
        }
        cur[path.back()] = value;
      };
      std::vector<std::string> path = Split(spec.path, '.');
      if (spec.config_field) {
        set(path, ToYaml(spec.config_field(c)));
      } else {
        for (auto& [ep_name, ep] : c.llm.endpoints) {
          path[2] = ep_name;
          set(path, ToYaml(spec.endpoint_field(ep)));
        }
      }
    }
    YAML::Emitter emitter;
    EmitResolved(emitter, out);
    c.resolved_yaml = std::string(emitter.c_str()) + "\n";
    return c;
  } catch (const YAML::Exception& ex) {  // not expected: the walk above checks node types
    return InvalidArgument(name + ": " + ex.what());
  }
}

}  // namespace

Result<Config> ParseConfigWithBaseDir(const std::string& yaml_text, const std::string& name,
                                      const std::string& base_dir,
                                      const std::vector<std::string>& overrides) {
  Loader loader(name, fs::absolute(base_dir).lexically_normal().string());
  TEAMSRL_ASSIGN_OR_RETURN(Config c, loader.Load(yaml_text, overrides));
  c.source_path = name;
  return c;
}

Result<Config> ParseConfig(const std::string& yaml_text, const std::string& name,
                           const std::vector<std::string>& overrides) {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  return ParseConfigWithBaseDir(yaml_text, name, cwd.string(), overrides);
}

Result<Config> LoadConfig(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return InvalidArgument(path + ": cannot open: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return InvalidArgument(path + ": cannot read (" + std::strerror(errno) + ")");

  // Configs under some/repo/experiments/... name paths relative to the repo root, so the
  // same file works wherever the command is run from.
  const fs::path file = fs::absolute(path).lexically_normal();
  fs::path base = file.parent_path();
  for (fs::path p = base; !p.empty(); p = p.parent_path()) {
    if (p.filename() == "experiments") {
      base = p.parent_path();
      break;
    }
    if (p == p.parent_path()) break;
  }
  TEAMSRL_ASSIGN_OR_RETURN(Config c,
                           ParseConfigWithBaseDir(buf.str(), path, base.string(), overrides));
  c.source_path = file.string();
  return c;
}

std::string ConfigKeyReference() {
  Config defaults;
  EndpointConfig endpoint_defaults;
  std::string out =
      "| key | type | default | meaning |\n"
      "| --- | --- | --- | --- |\n";
  for (const KeySpec& spec : Schema()) {
    std::string key = ReplaceAll(std::string(spec.path), "*", "NAME");
    std::string value = FormatValue(spec.config_field ? spec.config_field(defaults)
                                                      : spec.endpoint_field(endpoint_defaults));
    if (value.empty()) value = "\"\"";
    out += "| `" + key + "` | " + Expected(spec) + " | `" + value + "` | " +
           ReplaceAll(std::string(spec.doc), "|", "\\|") + " |\n";
  }
  out +=
      "\nRelative `env.prompts_dir`, `env.seeds.path` and `llm.cache.path` are resolved "
      "against the repository root when the config file lives under a directory named "
      "`experiments` (the parent of that directory), else against the file's directory. "
      "`run.out_dir` is relative to the working directory. Any key can be overridden with "
      "`--set dotted.key=value` (YAML value: `--set policy.hidden=[32,32]`); a mapping value "
      "is merged into the existing mapping.\n";
  return out;
}

}  // namespace teamsrl
