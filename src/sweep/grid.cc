#include "sweep/grid.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
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
      } else if (key == "ranks") {
        TEAMSRL_RETURN_IF_ERROR(Ranks(kv.second));
      } else if (key == "repeats") {
        TEAMSRL_RETURN_IF_ERROR(Repeats(kv.second));
      } else {
        return Error(kv.first, key,
                     "unknown key (a grid has base, out_dir, set, grid, zip, seeds, stages, "
                     "ranks, repeats)");
      }
    }
    if (spec_.base.empty()) return Error(doc, "base", "missing: the config the grid varies");
    TEAMSRL_RETURN_IF_ERROR(ValidateValues());
    Result<Config> base = LoadConfig(spec_.base, {});
    if (!base.ok()) return Error(doc["base"], "base", base.status().message());
    spec_.base_hash = fmt::format("{:016x}", HashBytes(base->resolved_yaml));
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

  Status Ranks(const YAML::Node& n) {
    if (!n.IsSequence() || n.size() == 0) {
      return Error(n, "ranks", "a non-empty list of MPI rank counts, e.g. [1, 2, 4]");
    }
    for (const auto& r : n) {
      int v = 0;
      try {
        v = r.as<int>();
      } catch (const YAML::Exception&) {
        v = 0;
      }
      if (v < 1) return Error(r, "ranks", "a rank count is an integer >= 1");
      if (std::find(spec_.ranks.begin(), spec_.ranks.end(), v) != spec_.ranks.end()) {
        return Error(r, "ranks", fmt::format("{} twice", v));
      }
      spec_.ranks.push_back(v);
    }
    return OkStatus();
  }

  Status Repeats(const YAML::Node& n) {
    try {
      spec_.repeats = n.as<int>();
    } catch (const YAML::Exception&) {
      spec_.repeats = 0;
    }
    if (spec_.repeats < 1) return Error(n, "repeats", "a count >= 1");
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

// A point of the grid and how it is launched: the launch axes (ranks, repeats) are not
// config overrides, but they are part of the task's id and of its point.
struct Launch {
  int np = 0;       // 0: no `ranks:` axis
  int repeat = -1;  // -1: no `repeats:` axis
};

std::vector<Launch> Launches(const GridSpec& g) {
  std::vector<int> nps = g.ranks;
  if (nps.empty()) nps = {0};
  std::vector<Launch> out;
  for (int np : nps) {
    for (int r = 0; r < g.repeats; ++r) out.push_back({np, g.repeats > 1 ? r : -1});
  }
  return out;
}

Task MakeTask(Stage stage, const GridSpec& g, const std::string& dir, const Overrides& point,
              const Launch& launch) {
  Overrides all(g.set.begin(), g.set.end());
  all.insert(all.end(), point.begin(), point.end());
  Task t;
  t.stage = stage;
  t.point = point;
  t.overrides = Sorted(all);
  t.np = launch.np;
  t.repeat = std::max(launch.repeat, 0);
  // Without the launch axes the id is that of the grid without them (ids stay stable).
  std::string extra;
  if (launch.np > 0) {
    extra += fmt::format("ranks={}\n", launch.np);
    t.point.emplace_back("ranks", std::to_string(launch.np));
  }
  if (launch.repeat >= 0) {
    extra += fmt::format("repeat={}\n", launch.repeat);
    t.point.emplace_back("repeat", std::to_string(launch.repeat));
  }
  t.id = Id(StageName(stage), t.overrides, extra);
  t.out_dir = (fs::path(dir) / StageName(stage) / t.id).string();
  return t;
}

// Every command but eval records the task's provenance (sweep/manifest.h).
void AddCommand(Task* t, std::vector<std::string> head) {
  t->args = std::move(head);
  for (std::string& a : SetArgs(t->overrides)) t->args.push_back(std::move(a));
  t->args.emplace_back("--sweep-task");
  t->args.push_back((fs::path(t->out_dir) / "task.json").string());
}

void AddEval(const Task& of, std::vector<Task>* out) {
  Task e;
  e.stage = Stage::kEval;
  e.point = of.point;
  e.overrides = of.overrides;
  e.id = Id("eval", {}, of.id);
  e.np = of.np;
  e.repeat = of.repeat;
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

std::string PointText(const Task& t) {
  std::string s;
  for (const auto& [k, v] : t.point) s += (s.empty() ? "" : " ") + k + "=" + v;
  return s.empty() ? "-" : s;
}

std::string RunFileOf(const Task& t) {
  switch (t.stage) {
    case Stage::kTrain:
      return (fs::path(t.out_dir) / "run.h5").string();
    case Stage::kGenerate:
      return (fs::path(t.out_dir) / "generate.h5").string();
    case Stage::kBaseline:
      return (fs::path(t.out_dir) / "baseline.h5").string();
    case Stage::kEval:
      break;
  }
  return t.args.size() > 3 ? t.args[3] : "";  // eval DATASET --run H5
}

Manifest Expand(const GridSpec& g, const std::string& dir) {
  Manifest m;
  m.grid_path = fs::absolute(g.path).lexically_normal().string();  // readers may run elsewhere
  m.base = g.base;
  m.base_hash = g.base_hash;
  m.dir = dir;
  const auto has = [&](Stage s) {
    return std::find(g.stages.begin(), g.stages.end(), s) != g.stages.end();
  };
  const std::vector<Overrides> points = Points(g);
  const std::vector<Launch> launches = Launches(g);
  std::vector<Task> train, generate, baseline, eval;
  for (const Overrides& p : points) {
    if (!has(Stage::kTrain)) break;
    for (const Launch& l : launches) {
      Task t = MakeTask(Stage::kTrain, g, dir, p, l);
      AddCommand(&t, {"train", g.base, "--out", t.out_dir, "--resume=auto", "--progress", "log"});
      if (has(Stage::kGenerate)) {
        Task gen = MakeTask(Stage::kGenerate, g, dir, p, l);
        gen.deps = {t.id};
        AddCommand(&gen, {"generate", g.base, "--policy", RunFileOf(t), "--out", gen.out_dir,
                          "--progress", "log"});
        generate.push_back(std::move(gen));
      }
      train.push_back(std::move(t));
    }
  }
  if (has(Stage::kBaseline)) {
    // Shared by the points with the same seed: only `set`, the seed and the launch reach it.
    std::set<std::string> seen;
    for (const Overrides& p : points) {
      Overrides seed;
      for (const auto& kv : p) {
        if (kv.first == "run.seed") seed.push_back(kv);
      }
      for (const Launch& l : launches) {
        Task b = MakeTask(Stage::kBaseline, g, dir, seed, l);
        if (!seen.insert(b.id).second) continue;
        AddCommand(&b, {"baseline", g.base, "--out", b.out_dir, "--progress", "log"});
        baseline.push_back(std::move(b));
      }
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

std::string FormatDryRun(const Manifest& m) {
  std::string out = fmt::format("sweep {} ({} tasks) in {}; base {}\n", m.sweep_id, m.tasks.size(),
                                m.dir, m.base);
  out += fmt::format("{:<12}  {:<8}  {:<40}  {}\n", "task", "stage", "point", "after");
  for (const Task& t : m.tasks) {
    std::string deps;
    for (const std::string& d : t.deps) deps += (deps.empty() ? "" : ",") + d;
    out += fmt::format("{:<12}  {:<8}  {:<40}  {}\n", t.id, StageName(t.stage), PointText(t),
                       deps.empty() ? "-" : deps);
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
