// Loading: reading the file, applying --set overrides, walking the document against the
// schema (config_schema.h), assigning values (config_values.h), cross-key checks and path
// resolution, and the resolved YAML (config_yaml.h).
#include "config/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "config/config_schema.h"
#include "config/config_values.h"
#include "config/config_yaml.h"
#include "core/install_paths.h"
#include "core/text.h"
#include "llm/openai/prompt_template.h"

namespace teamsrl {
namespace {

namespace fs = std::filesystem;
using internal::Assign;
using internal::Describe;
using internal::Entry;
using internal::Expected;
using internal::FieldRef;
using internal::FindLeaf;
using internal::FormatValue;
using internal::IsSection;
using internal::Join;
using internal::kEndpointPattern;
using internal::kEndpoints;
using internal::KeySpec;
using internal::Line;
using internal::Reporter;
using internal::Schema;
using internal::Suggestion;

// `scheme://user:password@host/...`: the authority part holds an '@'.
bool UrlHasUserInfo(const std::string& url) {
  const size_t start = url.find("://");
  if (start == std::string::npos) return false;
  const size_t end = url.find_first_of("/?#", start + 3);
  return url.substr(start + 3, end == std::string::npos ? end : end - start - 3).find('@') !=
         std::string::npos;
}

bool ValidVariableName(const std::string& name) {
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
         });
}

// A variable name is a word or words (OPENAI_API_KEY, together_key); a key is a long run of
// mixed letters and digits. Errors about either never repeat the value: it may be the key.
bool LooksLikeAKey(const std::string& name) {
  const auto count = [&](int (*pred)(int)) {
    return std::count_if(name.begin(), name.end(),
                         [pred](char c) { return pred(static_cast<unsigned char>(c)) != 0; });
  };
  return !ValidVariableName(name) ||
         (name.size() >= 20 && count(::isdigit) >= 4 && count(::islower) >= 4 &&
          count(::isupper) >= 1) ||
         (name.size() >= 24 && count(::isdigit) >= 6);
}

Status CheckCredentials(const Reporter& rep, const std::string& path, const llm::EndpointConfig& ep,
                        int url_line, int key_line) {
  if (UrlHasUserInfo(ep.base_url)) {
    return rep.Error(path + ".base_url", url_line,
                     "credentials in the URL (user:password@host) would be stored in the run "
                     "file and printed in logs; remove them and put the key in the environment "
                     "variable named by api_key_env (sent as the Authorization header)");
  }
  if (!ep.api_key_env.empty() && LooksLikeAKey(ep.api_key_env)) {
    return rep.Error(path + ".api_key_env", key_line,
                     "expected the name of an environment variable (letters, digits and _, "
                     "e.g. OPENAI_API_KEY), got a value that looks like a key itself (not "
                     "repeated here); export the key and name its variable");
  }
  return OkStatus();
}

bool ValidEndpointName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

class Loader {
 public:
  Loader(std::string name, std::string base_dir)
      : rep_(std::move(name)), base_dir_(std::move(base_dir)) {
    std::error_code ec;
    cwd_ = fs::current_path(ec).string();
  }

  Result<Config> Load(const std::string& text, const std::vector<std::string>& overrides);

 private:
  Status ApplyOverride(YAML::Node& doc, const std::string& spec);
  void Merge(YAML::Node dst, const YAML::Node& src, const std::string& path);
  Status Collect(const YAML::Node& node, const std::string& path, const std::string& pattern,
                 int line);
  Status Validate(Config& c) const;
  Status LoadPromptTemplate(const std::string& path, llm::EndpointConfig& ep, Config& c) const;
  int LineOf(const std::string& path) const {
    auto it = lines_.find(path);
    return it == lines_.end() ? -1 : it->second;
  }
  // `key`'s relative path `p`: written in the file, relative to the file's base; given
  // with --set, relative to the working directory, like every other command-line path.
  std::string Resolve(const std::string& key, const std::string& p) const {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    const std::string& base = rep_.FromOverride(key) ? cwd_ : base_dir_;
    return (fs::path(base) / p).lexically_normal().string();
  }

  Reporter rep_;
  std::string base_dir_;
  std::string cwd_;
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
    TEAMSRL_RETURN_IF_ERROR(CheckCredentials(rep_, path, ep, LineOf(path + ".base_url"),
                                             LineOf(path + ".api_key_env")));
    if (ep.backend == llm::Backend::kOpenai && ep.base_url.empty()) {
      return rep_.Error(path + ".base_url", LineOf(path + ".backend"),
                        "backend openai needs a base_url (e.g. http://127.0.0.1:8000/v1)",
                        path + ".backend");
    }
  }
  for (auto& [name, ep] : c.llm.endpoints) {
    TEAMSRL_RETURN_IF_ERROR(LoadPromptTemplate(std::string(kEndpoints) + "." + name, ep, c));
  }

  const std::string prompts_as_written = c.env.prompts_dir;
  c.env.prompts_dir = Resolve("env.prompts_dir", c.env.prompts_dir);
  // A config written outside the repository still finds the shipped templates when it
  // leaves the default: the default names the templates that come with the program,
  // found relative to the running binary (install_paths.h). Not silently: a copied config
  // whose own templates are missing would otherwise run with others than it names.
  std::error_code ec;
  if (prompts_as_written == EnvConfig{}.prompts_dir) {
    const std::string own = c.env.prompts_dir;
    Result<std::string> shipped = FindDefaultPromptsDir(own, RunningExecutablePath());
    if (!shipped.ok()) {
      return rep_.Error("env.prompts_dir", LineOf("env.prompts_dir"), shipped.status().message());
    }
    c.env.prompts_dir = *shipped;
    if (*shipped != own) {
      c.notes.push_back("env.prompts_dir: " + prompts_as_written + " is not a directory (" + own +
                        "); using the prompt templates shipped with teamsrl: " + *shipped);
    }
  }
  c.env.seeds.path = Resolve("env.seeds.path", c.env.seeds.path);
  c.llm.cache_path = Resolve("llm.cache.path", c.llm.cache_path);
  if (!fs::is_directory(c.env.prompts_dir, ec)) {
    return rep_.Error("env.prompts_dir", LineOf("env.prompts_dir"),
                      "directory not found: " + c.env.prompts_dir);
  }
  if (!c.env.seeds.path.empty() &&
      (!fs::exists(c.env.seeds.path, ec) || fs::is_directory(c.env.seeds.path, ec))) {
    return rep_.Error("env.seeds.path", LineOf("env.seeds.path"),
                      "file not found: " + c.env.seeds.path);
  }
  if (c.llm.cache_mode != llm::CacheMode::kOff && c.llm.cache_path.empty()) {
    return rep_.Error(
        "llm.cache.path", LineOf("llm.cache.mode"),
        "cache mode " + std::string(EnumName(c.llm.cache_mode)) + " needs a cache path",
        "llm.cache.mode");
  }
  if (c.llm.cache_mode == llm::CacheMode::kReplay) {
    if (!fs::exists(c.llm.cache_path, ec)) {
      return rep_.Error("llm.cache.path", LineOf("llm.cache.path"),
                        "cache mode replay: file not found: " + c.llm.cache_path);
    }
  }
  return OkStatus();
}

// The template is read here, so a missing file is reported with its key and line before
// the run starts, and the cache key can hold its text (response_cache.h).
Status Loader::LoadPromptTemplate(const std::string& path, llm::EndpointConfig& ep,
                                  Config& c) const {
  const std::string key = path + ".prompt_template";
  ep.prompt_template = Resolve(key, ep.prompt_template);
  if (ep.api != llm::Api::kCompletions) {
    if (!ep.prompt_template.empty()) {
      c.notes.push_back(key + ": ignored (read only with api: completions)");
    }
    return OkStatus();
  }
  if (ep.prompt_template.empty()) {
    return rep_.Error(key, LineOf(path + ".api"),
                      "api completions needs a prompt_template, a file with {system} and "
                      "{user} (e.g. experiments/prompts/vicuna.txt)",
                      path + ".api");
  }
  Result<std::string> text = llm::ReadPromptTemplate(ep.prompt_template);
  if (!text.ok()) return rep_.Error(key, LineOf(key), text.status().message());
  ep.prompt_template_text = std::move(text).value();
  return OkStatus();
}

// Errors are reported before parsing because yaml-cpp's own message for such input
// ("unknown token") does not tell the user they passed the wrong file.
Status CheckText(const std::string& name, const std::string& text) {
  const size_t nul = text.find('\0');
  const size_t at = std::min(nul, InvalidUtf8Offset(text));
  if (at == std::string::npos) return OkStatus();
  const auto line =
      1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
  return InvalidArgument(name + ":" + std::to_string(line) + ": not a text YAML file (" +
                         (at == nul ? "contains NUL bytes" : "invalid UTF-8") + ")");
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
    for (const std::string& ep : endpoint_names_) c.llm.endpoints[ep] = llm::EndpointConfig{};
    if (c.llm.endpoints.empty()) c.llm.endpoints["sim"] = llm::EndpointConfig{};
    for (const Entry& e : entries_) {
      FieldRef field = e.spec->config_field
                           ? e.spec->config_field(c)
                           : e.spec->endpoint_field(c.llm.endpoints[Split(e.path, '.')[2]]);
      TEAMSRL_RETURN_IF_ERROR(Assign(rep_, e, field));
    }
    TEAMSRL_RETURN_IF_ERROR(Validate(c));

    c.base_dir = base_dir_;
    c.resolved_yaml = internal::ResolvedYaml(c);
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
  llm::EndpointConfig endpoint_defaults;
  std::string out =
      "| key | type | default | meaning |\n"
      "| --- | --- | --- | --- |\n";
  for (const KeySpec& spec : Schema()) {
    std::string key = ReplaceAll(std::string(spec.path), "*", "NAME");
    std::string value = FormatValue(spec.config_field ? spec.config_field(defaults)
                                                      : spec.endpoint_field(endpoint_defaults));
    if (value.empty()) value = "\"\"";
    out += fmt::format("| `{}` | {} | `{}` | {} |\n", key, Expected(spec), value,
                       ReplaceAll(std::string(spec.doc), "|", "\\|"));
  }
  out +=
      "\nRelative `env.prompts_dir`, `env.seeds.path`, `llm.cache.path` and "
      "`llm.endpoints.NAME.prompt_template` written in a "
      "config file are resolved against the file's directory, or, when the file lives under "
      "a directory named `experiments`, against that directory's parent (the repository "
      "root); given with `--set`, against the working directory, like every path on the "
      "command line. When the default `env.prompts_dir` (`experiments/prompts`) is not there, "
      "the templates shipped with teamsrl are used (installed: `PREFIX/share/teamsrl/prompts` "
      "beside `PREFIX/bin/teamsrl`; build tree: `experiments/prompts`) and the log says so "
      "with a warning; the run file's resolved config names the directory used. "
      "`run.out_dir` is relative to the working directory. Any key can be overridden with "
      "`--set dotted.key=value` (YAML value: `--set policy.hidden=[32,32]`); a mapping value "
      "is merged into the existing mapping.\n";
  return out;
}

}  // namespace teamsrl
