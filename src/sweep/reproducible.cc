#include "sweep/reproducible.h"

#include <fmt/format.h>

#include <map>

#include "io/run_diff.h"
#include "sweep/runner.h"

namespace teamsrl::sweep {
namespace {

std::string LaunchOf(const Task& t) {
  std::string s;
  for (const auto& [k, v] : t.point) {
    if (k == "ranks" || k == "repeat") s += (s.empty() ? "" : " ") + k + "=" + v;
  }
  return s.empty() ? "-" : s;
}

// The differing datasets of a diff, one line each.
std::string Differences(const io::RunDiff& d) {
  std::string s;
  if (d.kind_a != d.kind_b) s += "different commands: " + d.kind_a + " vs " + d.kind_b + "; ";
  for (const io::DatasetDiff& x : d.datasets) {
    if (!x.identical) s += x.path + ": " + x.detail + "; ";
  }
  if (s.size() >= 2) s.resize(s.size() - 2);
  return s;
}

}  // namespace

bool ReproReport::all_identical() const {
  for (const ReproPair& p : pairs) {
    if (!p.identical) return false;
  }
  return true;
}

std::string ReproReport::Format() const {
  int same = 0;
  for (const ReproPair& p : pairs) same += p.identical ? 1 : 0;
  std::string out = fmt::format("{:<9} {:<12} {:<20} {:<12} {:<20} {}\n", "stage", "task", "launch",
                                "vs task", "launch", "result");
  for (const ReproPair& p : pairs) {
    out += fmt::format("{:<9} {:<12} {:<20} {:<12} {:<20} {}\n", p.stage, p.reference,
                       p.launch_reference, p.other, p.launch_other,
                       p.identical ? "identical" : "DIFFERENT: " + p.detail);
  }
  out += fmt::format("{} of {} comparisons identical ({} groups){}\n", same, pairs.size(), groups,
                     all_identical() ? "" : ": NOT reproducible");
  return out;
}

ReproReport CheckReproducible(const Manifest& m) {
  ReproReport report;
  std::map<std::string, std::vector<const Task*>> groups;
  std::vector<std::string> order;
  for (const Task& t : m.tasks) {
    if (t.stage == Stage::kEval) continue;
    std::string key = StageName(t.stage);
    for (const std::string& o : t.overrides) key += "\n" + o;
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&t);
  }
  for (const std::string& key : order) {
    const std::vector<const Task*>& g = groups[key];
    if (g.size() < 2) continue;
    ++report.groups;
    const std::string s0 = TaskStatus(*g[0]);  // read once per group, not per comparison
    for (size_t i = 1; i < g.size(); ++i) {
      ReproPair p{g[0]->id, g[i]->id, LaunchOf(*g[0]), LaunchOf(*g[i]), StageName(g[0]->stage),
                  false,    ""};
      const std::string si = TaskStatus(*g[i]);
      if (s0 != "completed" || si != "completed") {
        p.detail = fmt::format("not comparable: {} is {}, {} is {}", g[0]->id, s0, g[i]->id, si);
      } else if (Result<io::RunDiff> d = io::DiffRunFiles(RunFileOf(*g[0]), RunFileOf(*g[i]),
                                                          /*all=*/false);
                 !d.ok()) {
        p.detail = d.status().message();
      } else {
        p.identical = d->identical();
        p.detail = Differences(*d);
      }
      report.pairs.push_back(std::move(p));
    }
  }
  return report;
}

}  // namespace teamsrl::sweep
