#include "sweep/grid.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "config/config.h"
#include "core/rng.h"

namespace teamsrl::sweep {
namespace {

namespace fs = std::filesystem;

int LineOf(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }

std::string Flow(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

class GridParser {
 public:
  explicit GridParser(std::string path) : path_(std::move(path)) {}

  Result<GridSpec> Parse() {
    YAML::Node doc;
    try {
      doc = YAML::LoadFile(path_);
    } catch (const YAML::BadFile&) {
      return NotFound("grid file not found: " + path_);
    } catch (const YAML::Exception& e) {
      return InvalidArgument(fmt::format("{}:{}: {}", path_, e.mark.line + 1, e.msg));
    }
    if (!doc.IsMap()) return Error(doc, "", "a grid file is a mapping (base:, grid:, ...)");
    spec_.path = path_;
    for (const auto& kv : doc) {
      const std::string key = kv.first.as<std::string>();
      if (key == "base") {
        TEAMSRL_RETURN_IF_ERROR(Base(kv.second));
      } else if (key == "out_dir") {
        spec_.out_dir = kv.second.as<std::string>();
      } else if (key == "set") {
        TEAMSRL_RETURN_IF_ERROR(Set(kv.second));
      } else if (key == "grid") {
        TEAMSRL_RETURN_IF_ERROR(Axes(kv.second, "grid", &spec_.grid));
      } else if (key == "zip") {
        TEAMSRL_RETURN_IF_ERROR(Zip(kv.second));
      } else if (key == "seeds") {
        TEAMSRL_RETURN_IF_ERROR(Seeds(kv.second));
      } else if (key == "stages") {
        TEAMSRL_RETURN_IF_ERROR(Stages(kv.second));
      } else {
        return Error(kv.first, key,
                     "unknown key (a grid has base, out_dir, set, grid, zip, seeds, stages)");
      }
    }
    if (spec_.base.empty()) return Error(doc, "base", "missing: the config the grid varies");
    TEAMSRL_RETURN_IF_ERROR(ValidateValues());
    return spec_;
  }

 private:
  Status Error(const YAML::Node& at, const std::string& key, const std::string& msg) const {
    return InvalidArgument(
        fmt::format("{}:{}: {}{}", path_, LineOf(at), key.empty() ? "" : key + ": ", msg));
  }

  Status Base(const YAML::Node& n) {
    fs::path base = n.as<std::string>();
    if (base.is_relative()) base = fs::path(path_).parent_path() / base;
    std::error_code ec;
    if (!fs::is_regular_file(base, ec)) return Error(n, "base", "file not found: " + base.string());
    spec_.base = base.lexically_normal().string();
    base_line_ = LineOf(n);
    return OkStatus();
  }

  // One key may be set by one place only: set, an axis, or seeds.
  Status Claim(const YAML::Node& at, const std::string& where, const std::string& key) {
    auto [it, fresh] = owner_.emplace(key, where);
    if (!fresh) {
      return Error(at, where + "." + key,
                   "also set by " + it->second + " (one key, one place: two axes on one key)");
    }
    return OkStatus();
  }

  Status Set(const YAML::Node& n) {
    if (!n.IsMap()) return Error(n, "set", "a mapping of dotted keys to values");
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>();
      TEAMSRL_RETURN_IF_ERROR(Claim(kv.first, "set", key));
      spec_.set.emplace_back(key, Flow(kv.second));
      lines_[key] = LineOf(kv.first);
      where_[key] = "set";
    }
    return OkStatus();
  }

  Status Axes(const YAML::Node& n, const std::string& where, std::vector<Axis>* out) {
    if (!n.IsMap()) return Error(n, where, "a mapping of dotted keys to lists of values");
    for (const auto& kv : n) {
      Axis a;
      a.key = kv.first.as<std::string>();
      a.line = LineOf(kv.first);
      TEAMSRL_RETURN_IF_ERROR(Claim(kv.first, where, a.key));
      if (!kv.second.IsSequence()) return Error(kv.first, where + "." + a.key, "expected a list");
      if (kv.second.size() == 0) return Error(kv.first, where + "." + a.key, "empty axis");
      for (const auto& v : kv.second) a.values.push_back(Flow(v));
      lines_[a.key] = a.line;
      where_[a.key] = where;
      out->push_back(std::move(a));
    }
    return OkStatus();
  }

  Status Zip(const YAML::Node& n) {
    std::vector<YAML::Node> groups;
    if (n.IsMap()) {
      groups.push_back(n);
    } else if (n.IsSequence()) {
      for (const auto& g : n) groups.push_back(g);
    } else {
      return Error(n, "zip", "a mapping of equal-length lists, or a list of such mappings");
    }
    for (const YAML::Node& g : groups) {
      std::vector<Axis> axes;
      TEAMSRL_RETURN_IF_ERROR(Axes(g, "zip", &axes));
      for (const Axis& a : axes) {
        if (a.values.size() != axes.front().values.size()) {
          return InvalidArgument(fmt::format(
              "{}:{}: zip.{}: {} values, but zip.{} has {} (zip lists vary together)", path_,
              a.line, a.key, a.values.size(), axes.front().key, axes.front().values.size()));
        }
      }
      spec_.zip.push_back(std::move(axes));
    }
    return OkStatus();
  }

  Status Seeds(const YAML::Node& n) {
    TEAMSRL_RETURN_IF_ERROR(Claim(n, "seeds", "run.seed"));
    lines_["run.seed"] = LineOf(n);
    where_["run.seed"] = "seeds";
    try {
      if (n.IsScalar()) {
        const auto count = n.as<int64_t>();
        if (count < 1) return Error(n, "seeds", "a count >= 1 or a list of seeds");
        for (int64_t s = 1; s <= count; ++s) spec_.seeds.push_back(s);
      } else if (n.IsSequence() && n.size() > 0) {
        for (const auto& s : n) spec_.seeds.push_back(s.as<int64_t>());
      } else {
        return Error(n, "seeds", "a count >= 1 or a non-empty list of seeds");
      }
    } catch (const YAML::Exception&) {
      return Error(n, "seeds", "a count >= 1 or a list of non-negative integers");
    }
    return OkStatus();
  }

  Status Stages(const YAML::Node& n) {
    if (!n.IsSequence() || n.size() == 0) return Error(n, "stages", "a non-empty list");
    spec_.stages.clear();
    static const std::map<std::string, Stage> kStages = {{"train", Stage::kTrain},
                                                         {"generate", Stage::kGenerate},
                                                         {"baseline", Stage::kBaseline},
                                                         {"eval", Stage::kEval}};
    for (const auto& s : n) {
      auto it = kStages.find(s.as<std::string>());
      if (it == kStages.end()) {
        return Error(
            s, "stages",
            "unknown stage '" + s.as<std::string>() + "' (train, generate, baseline, eval)");
      }
      if (std::find(spec_.stages.begin(), spec_.stages.end(), it->second) != spec_.stages.end()) {
        return Error(s, "stages", "stage " + it->first + " twice");
      }
      const auto has = [&](Stage x) {
        return std::find(spec_.stages.begin(), spec_.stages.end(), x) != spec_.stages.end();
      };
      if (it->second == Stage::kGenerate && !has(Stage::kTrain)) {
        return Error(s, "stages", "generate needs a train stage before it (its policy)");
      }
      if (it->second == Stage::kEval && !has(Stage::kGenerate) && !has(Stage::kBaseline)) {
        return Error(s, "stages", "eval needs a generate or baseline stage before it");
      }
      spec_.stages.push_back(it->second);
    }
    return OkStatus();
  }

  // Each key and value once through the config loader: unknown keys (with its "did you
  // mean"), wrong types and ranges are its errors, placed at the grid file's line.
  Status ValidateValues() const {
    std::vector<std::pair<std::string, std::string>> checks(spec_.set.begin(), spec_.set.end());
    for (const Axis& a : spec_.grid) {
      for (const std::string& v : a.values) checks.emplace_back(a.key, v);
    }
    for (const auto& group : spec_.zip) {
      for (const Axis& a : group) {
        for (const std::string& v : a.values) checks.emplace_back(a.key, v);
      }
    }
    for (int64_t s : spec_.seeds) checks.emplace_back("run.seed", std::to_string(s));
    for (const auto& [key, value] : checks) {
      Result<Config> c = LoadConfig(spec_.base, {key + "=" + value});
      if (c.ok()) continue;
      std::string msg = c.status().message();
      const std::string prefix = "--set " + key + ": ";
      if (const size_t at = msg.find(prefix); at != std::string::npos) {
        msg = msg.substr(at + prefix.size());
      } else {
        msg = "with " + key + "=" + value + ": " + msg;
      }
      return InvalidArgument(
          fmt::format("{}:{}: {}.{}: {}", path_, lines_.at(key), where_.at(key), key, msg));
    }
    return OkStatus();
  }

  std::string path_;
  GridSpec spec_;
  int base_line_ = 0;
  std::map<std::string, std::string> owner_;  // key -> where it is set
  std::map<std::string, int> lines_;
  std::map<std::string, std::string> where_;
};

using Overrides = std::vector<std::pair<std::string, std::string>>;

std::string Id(const std::string& stage, const std::vector<std::string>& overrides,
               const std::string& extra = "") {
  std::string s = stage + "\n" + extra;
  for (const std::string& o : overrides) s += "\n" + o;
  return fmt::format("{:012x}", HashBytes(s) & 0xFFFFFFFFFFFFULL);
}

std::vector<std::string> Sorted(const Overrides& o) {
  std::vector<std::string> out;
  out.reserve(o.size());
  for (const auto& [k, v] : o) out.push_back(k + "=" + v);
  std::sort(out.begin(), out.end());
  return out;
}

// Every point: the cartesian product of the grid axes, times each zip group's index,
// times the seeds; in file order, the last axis varying fastest.
std::vector<Overrides> Points(const GridSpec& g) {
  std::vector<Overrides> points = {{}};
  auto extend = [&](const std::vector<Overrides>& choices) {
    std::vector<Overrides> next;
    next.reserve(points.size() * choices.size());
    for (const Overrides& p : points) {
      for (const Overrides& c : choices) {
        Overrides q = p;
        q.insert(q.end(), c.begin(), c.end());
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  };
  for (const Axis& a : g.grid) {
    std::vector<Overrides> choices;
    for (const std::string& v : a.values) choices.push_back({{a.key, v}});
    extend(choices);
  }
  for (const auto& group : g.zip) {
    std::vector<Overrides> choices(group.front().values.size());
    for (const Axis& a : group) {
      for (size_t i = 0; i < a.values.size(); ++i) choices[i].emplace_back(a.key, a.values[i]);
    }
    extend(choices);
  }
  if (!g.seeds.empty()) {
    std::vector<Overrides> choices;
    for (int64_t s : g.seeds) choices.push_back({{"run.seed", std::to_string(s)}});
    extend(choices);
  }
  return points;
}

std::vector<std::string> SetArgs(const std::vector<std::string>& overrides) {
  std::vector<std::string> args;
  for (const std::string& o : overrides) {
    args.emplace_back("--set");
    args.push_back(o);
  }
  return args;
}

Task MakeTask(Stage stage, const GridSpec& g, const std::string& dir, const Overrides& point,
              const std::string& extra) {
  Overrides all(g.set.begin(), g.set.end());
  all.insert(all.end(), point.begin(), point.end());
  Task t;
  t.stage = stage;
  t.point = point;
  t.overrides = Sorted(all);
  t.id = Id(StageName(stage), t.overrides, extra);
  t.out_dir = (fs::path(dir) / StageName(stage) / t.id).string();
  return t;
}

void AddEval(const Task& of, std::vector<Task>* out) {
  Task e;
  e.stage = Stage::kEval;
  e.point = of.point;
  e.overrides = of.overrides;
  e.id = Id("eval", {}, of.id);
  e.out_dir = of.out_dir;
  e.deps = {of.id};
  const std::string h5 = of.stage == Stage::kGenerate ? "generate.h5" : "baseline.h5";
  e.args = {"eval", (fs::path(of.out_dir) / "dataset.jsonl").string(), "--run",
            (fs::path(of.out_dir) / h5).string()};
  out->push_back(std::move(e));
}

}  // namespace

std::string StageName(Stage stage) {
  switch (stage) {
    case Stage::kTrain:
      return "train";
    case Stage::kGenerate:
      return "generate";
    case Stage::kBaseline:
      return "baseline";
    case Stage::kEval:
      break;
  }
  return "eval";
}

Result<GridSpec> LoadGrid(const std::string& path) { return GridParser(path).Parse(); }

Manifest Expand(const GridSpec& g, const std::string& dir) {
  Manifest m;
  m.grid_path = g.path;
  m.base = g.base;
  m.dir = dir;
  const auto has = [&](Stage s) {
    return std::find(g.stages.begin(), g.stages.end(), s) != g.stages.end();
  };
  const std::vector<Overrides> points = Points(g);
  std::vector<Task> train, generate, baseline, eval;
  for (const Overrides& p : points) {
    if (!has(Stage::kTrain)) break;
    Task t = MakeTask(Stage::kTrain, g, dir, p, "");
    t.args = {"train", g.base, "--out", t.out_dir, "--resume=auto", "--progress", "log"};
    for (std::string& a : SetArgs(t.overrides)) t.args.push_back(std::move(a));
    if (has(Stage::kGenerate)) {
      Task gen = MakeTask(Stage::kGenerate, g, dir, p, "");
      gen.deps = {t.id};
      gen.args = {"generate", g.base,      "--policy",   (fs::path(t.out_dir) / "run.h5").string(),
                  "--out",    gen.out_dir, "--progress", "log"};
      for (std::string& a : SetArgs(gen.overrides)) gen.args.push_back(std::move(a));
      generate.push_back(std::move(gen));
    }
    train.push_back(std::move(t));
  }
  if (has(Stage::kBaseline)) {
    // Shared by the points with the same seed: only `set` and the seed reach it.
    std::set<std::string> seen;
    for (const Overrides& p : points) {
      Overrides seed;
      for (const auto& kv : p) {
        if (kv.first == "run.seed") seed.push_back(kv);
      }
      Task b = MakeTask(Stage::kBaseline, g, dir, seed, "");
      if (!seen.insert(b.id).second) continue;
      b.args = {"baseline", g.base, "--out", b.out_dir, "--progress", "log"};
      for (std::string& a : SetArgs(b.overrides)) b.args.push_back(std::move(a));
      baseline.push_back(std::move(b));
    }
  }
  if (has(Stage::kEval)) {
    for (const Task& t : generate) AddEval(t, &eval);
    for (const Task& t : baseline) AddEval(t, &eval);
  }
  for (auto* stage : {&train, &generate, &baseline, &eval}) {
    for (Task& t : *stage) m.tasks.push_back(std::move(t));
  }
  std::string ids;
  for (const Task& t : m.tasks) ids += t.id;
  m.sweep_id = fmt::format("{:012x}", HashBytes(ids) & 0xFFFFFFFFFFFFULL);
  return m;
}

std::string ManifestJson(const Manifest& m) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const Task& t : m.tasks) {
    nlohmann::json point = nlohmann::json::object();
    for (const auto& [k, v] : t.point) point[k] = v;
    tasks.push_back({{"id", t.id},
                     {"stage", StageName(t.stage)},
                     {"point", point},
                     {"overrides", t.overrides},
                     {"out_dir", t.out_dir},
                     {"deps", t.deps},
                     {"args", t.args}});
  }
  nlohmann::json doc = {{"sweep_id", m.sweep_id},
                        {"grid", m.grid_path},
                        {"base", m.base},
                        {"dir", m.dir},
                        {"tasks", tasks}};
  return doc.dump(2) + "\n";
}

std::string FormatDryRun(const Manifest& m) {
  std::string out = fmt::format("sweep {} ({} tasks) in {}; base {}\n", m.sweep_id, m.tasks.size(),
                                m.dir, m.base);
  out += fmt::format("{:<12}  {:<8}  {:<40}  {}\n", "task", "stage", "point", "after");
  for (const Task& t : m.tasks) {
    std::string point;
    for (const auto& [k, v] : t.point) point += (point.empty() ? "" : " ") + k + "=" + v;
    std::string deps;
    for (const std::string& d : t.deps) deps += (deps.empty() ? "" : ",") + d;
    out += fmt::format("{:<12}  {:<8}  {:<40}  {}\n", t.id, StageName(t.stage),
                       point.empty() ? "-" : point, deps.empty() ? "-" : deps);
  }
  out += "\ncommands:\n";
  for (const Task& t : m.tasks) {
    std::string line = "teamsrl";
    for (const std::string& a : t.args) {
      const bool quote = a.find_first_of(" '\"[]{}*$") != std::string::npos;
      line += " " + (quote ? "'" + a + "'" : a);
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace teamsrl::sweep
