#include "sweep/manifest.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "io/safe_file.h"

namespace teamsrl::sweep {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json PointJson(const Task& t) {
  json point = json::object();
  for (const auto& [k, v] : t.point) point[k] = v;
  return point;
}

json TaskObject(const Task& t) {
  return {{"id", t.id},
          {"stage", StageName(t.stage)},
          {"point", PointJson(t)},
          {"overrides", t.overrides},
          {"ranks", t.np},
          {"repeat", t.repeat},
          {"deps", t.deps},
          {"out_dir", t.out_dir},
          {"run_file", RunFileOf(t)},
          {"args", t.args}};
}

Result<json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument(path + ": not a JSON object (written by teamsrl sweep?)");
  }
  return doc;
}

std::string Abbreviate(const std::vector<std::string>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size() && i < 5; ++i) s += (i ? ", " : "") + ids[i];
  if (ids.size() > 5) s += fmt::format(", ... ({} more)", ids.size() - 5);
  return s;
}

}  // namespace

std::string SweepJson(const Manifest& m) {
  json tasks = json::array();
  for (const Task& t : m.tasks) tasks.push_back(TaskObject(t));
  const json doc = {{"sweep_id", m.sweep_id},   {"grid", m.grid_path}, {"base", m.base},
                    {"base_hash", m.base_hash}, {"dir", m.dir},        {"tasks", tasks}};
  return doc.dump(1) + "\n";
}

std::string TaskJson(const Manifest& m, const Task& t) {
  json doc = TaskObject(t);
  doc["sweep_id"] = m.sweep_id;
  doc["sweep_dir"] = m.dir;
  doc["grid"] = m.grid_path;
  return doc.dump(2) + "\n";
}

Result<std::vector<std::string>> WriteSweepFiles(const Manifest& m) {
  std::error_code ec;
  fs::create_directories(m.dir, ec);
  if (ec) return FailedPrecondition("cannot create sweep directory " + m.dir + ": " + ec.message());
  TEAMSRL_RETURN_IF_ERROR(io::WriteFileAtomically((fs::path(m.dir) / "sweep.json").string(),
                                                  SweepJson(m), /*replace=*/true));
  std::vector<std::string> problems;
  for (const Task& t : m.tasks) {
    if (t.stage == Stage::kEval) continue;  // eval writes into the run file of its dataset
    fs::create_directories(t.out_dir, ec);
    Status st = ec ? FailedPrecondition("cannot create " + t.out_dir + ": " + ec.message())
                   : io::WriteFileAtomically((fs::path(t.out_dir) / "task.json").string(),
                                             TaskJson(m, t), /*replace=*/true);
    if (!st.ok()) problems.push_back(t.id + ": " + st.message());
  }
  return problems;
}

Result<std::map<std::string, std::string>> ReadTaskLabels(const std::string& path) {
  TEAMSRL_ASSIGN_OR_RETURN(json doc, ReadJson(path));
  const auto text = [&](const char* key) -> Result<std::string> {
    if (!doc.contains(key)) return InvalidArgument(fmt::format("{}: no '{}'", path, key));
    return doc[key].is_string() ? doc[key].get<std::string>() : doc[key].dump();
  };
  std::map<std::string, std::string> labels;
  const std::pair<const char*, const char*> fields[] = {
      {"sweep_id", "sweep_id"},         {"sweep_task", "id"},
      {"sweep_stage", "stage"},         {"sweep_point", "point"},
      {"sweep_overrides", "overrides"}, {"sweep_dir", "sweep_dir"}};
  for (const auto& [attribute, key] : fields) {
    TEAMSRL_ASSIGN_OR_RETURN(labels[attribute], text(key));
  }
  return labels;
}

Result<ManifestChange> CompareWithSaved(const Manifest& m) {
  ManifestChange change;
  const std::string path = (fs::path(m.dir) / "sweep.json").string();
  std::error_code ec;
  if (!fs::exists(path, ec)) return change;
  TEAMSRL_ASSIGN_OR_RETURN(json doc, ReadJson(path));
  change.had_previous = true;
  std::set<std::string> before, now;
  for (const json& t : doc.value("tasks", json::array())) before.insert(t.value("id", ""));
  for (const Task& t : m.tasks) now.insert(t.id);
  for (const Task& t : m.tasks) {
    if (!before.count(t.id)) change.added.push_back(t.id);
  }
  for (const json& t : doc.value("tasks", json::array())) {
    if (!now.count(t.value("id", ""))) change.gone.push_back(t.value("id", ""));
  }
  change.previous_base = doc.value("base", "");
  change.base_changed = doc.value("base_hash", "") != m.base_hash;
  return change;
}

std::string FormatChange(const ManifestChange& c, const Manifest& m) {
  if (!c.had_previous || (c.added.empty() && c.gone.empty() && !c.base_changed)) return "";
  std::string out;
  if (!c.added.empty() || !c.gone.empty()) {
    out += fmt::format("sweep {}: the grid changed since the last run: {} new task(s)", m.dir,
                       c.added.size());
    if (!c.added.empty()) out += " (" + Abbreviate(c.added) + ")";
    out += fmt::format(", {} gone", c.gone.size());
    if (!c.gone.empty()) out += " (" + Abbreviate(c.gone) + "; their outputs stay where they are)";
    out += "\n";
  }
  if (c.base_changed) {
    out += fmt::format(
        "sweep {}: the base config {} resolves differently than when the sweep "
        "was last run (from {})\n",
        m.dir, m.base, c.previous_base);
  }
  return out;
}

}  // namespace teamsrl::sweep
