#include "sweep/slurm.h"

#include <filesystem>
#include <map>
#include <regex>
#include <tuple>

#include "io/safe_file.h"
#include "sweep/spawn.h"

namespace teamsrl::sweep {
namespace {

namespace fs = std::filesystem;

// A stage's arrays are per rank count (sbatch -n is per job) and per source for eval
// (the evals of generate tasks correspond to the generate array, those of baselines to
// the baseline array).
struct GroupKey {
  Stage stage;
  int source;  // eval: the stage of the run file it evaluates; else 0
  int np;
  bool operator<(const GroupKey& o) const {
    return std::tie(stage, source, np) < std::tie(o.stage, o.source, o.np);
  }
};

std::string GroupName(const GroupKey& k, bool by_np, size_t chunk, bool chunked) {
  std::string name = StageName(k.stage);
  if (k.stage == Stage::kEval) name += k.source == 1 ? "-generate" : "-baseline";
  if (by_np) name += ".r" + std::to_string(k.np);
  if (chunked) name += ".c" + std::to_string(chunk);
  return name;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string QuoteLine(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& a : args) {
    if (!line.empty()) line += ' ';
    if (!a.empty() && a.find_first_of(" \t'\"\\") == std::string::npos) {
      line += a;
    } else if (a.find('\'') == std::string::npos) {
      line += "'" + a + "'";
    } else {
      // xargs: no escapes inside quotes; a double-quoted part cannot hold '"'.
      std::string part = "\"";
      for (char c : a) part += c == '"' ? std::string("\"'\"'\"") : std::string(1, c);
      line += part + "\"";
    }
  }
  return line;
}

std::string FormatArray(const std::vector<int>& idx, int max_running) {
  std::string s;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1) ++j;
    if (!s.empty()) s += ',';
    s += j == i ? std::to_string(idx[i]) : std::to_string(idx[i]) + "-" + std::to_string(idx[j]);
    i = j + 1;
  }
  if (max_running > 0) s += "%" + std::to_string(max_running);
  return s;
}

Result<std::vector<ArrayJob>> PlanSlurm(const Manifest& m, const std::vector<bool>& completed,
                                        int max_array_size, int np) {
  if (max_array_size < 1) return InvalidArgument("MaxArraySize must be >= 1");
  // Each task's group and position in it, in manifest order.
  std::map<GroupKey, std::vector<size_t>> groups;
  std::vector<GroupKey> order;
  std::map<std::string, std::pair<GroupKey, size_t>> where;  // id -> group, position
  std::map<std::string, size_t> index;
  bool by_np = false;
  for (size_t i = 0; i < m.tasks.size(); ++i) {
    const Task& t = m.tasks[i];
    index[t.id] = i;
    by_np = by_np || t.np > 0;
    int source = 0;
    if (t.stage == Stage::kEval && !t.deps.empty()) {
      source = m.tasks[index.at(t.deps.front())].stage == Stage::kGenerate ? 1 : 2;
    }
    const GroupKey key{t.stage, source, t.np > 0 ? t.np : np};
    if (!groups.count(key)) order.push_back(key);
    where[t.id] = {key, groups[key].size()};
    groups[key].push_back(i);
  }
  std::vector<ArrayJob> plan;
  // (group, chunk, plan entry it waits for) -> plan entry
  std::map<std::tuple<GroupKey, size_t, int>, int> entry_of;
  std::map<size_t, int> entry_of_task;  // manifest index -> plan entry
  // Groups in manifest order: a stage's dependencies are planned before it.
  std::sort(order.begin(), order.end(), [&](const GroupKey& a, const GroupKey& b) {
    return groups[a].front() < groups[b].front();
  });
  for (const GroupKey& key : order) {
    const std::vector<size_t>& members = groups[key];
    const size_t chunks = (members.size() + max_array_size - 1) / max_array_size;
    for (size_t pos = 0; pos < members.size(); ++pos) {
      const size_t i = members[pos];
      if (completed[i]) continue;
      const Task& t = m.tasks[i];
      const size_t chunk = pos / max_array_size;
      int after = -1;
      for (const std::string& d : t.deps) {
        const size_t di = index.at(d);
        if (completed[di]) continue;
        if (where.at(d).second != pos) {
          return Internal("sweep: task " + t.id + " and the task it needs are not aligned");
        }
        after = entry_of_task.at(di);
      }
      auto [it, fresh] = entry_of.emplace(std::make_tuple(key, chunk, after), plan.size());
      if (fresh) {
        ArrayJob job;
        job.name = GroupName(key, by_np, chunk, chunks > 1);
        job.task_file = (fs::path(m.dir) / "slurm" / (job.name + ".tasks")).string();
        const size_t begin = chunk * max_array_size;
        const size_t end = std::min(members.size(), begin + max_array_size);
        for (size_t p = begin; p < end; ++p)
          job.lines.push_back(QuoteLine(m.tasks[members[p]].args));
        job.ntasks = t.stage == Stage::kEval ? 1 : key.np;
        job.after = after;
        plan.push_back(std::move(job));
      }
      ArrayJob& job = plan[static_cast<size_t>(it->second)];
      job.indices.push_back(static_cast<int>(pos - chunk * max_array_size));
      job.task_ids.push_back(t.id);
      entry_of_task[i] = it->second;
    }
  }
  return plan;
}

std::vector<std::string> SbatchArgs(const ArrayJob& job, const std::string& dependency,
                                    const std::string& log_dir, const SlurmOptions& o) {
  std::vector<std::string> args = {"sbatch",
                                   "--parsable",
                                   "--array=" + FormatArray(job.indices, o.max_running),
                                   "--job-name=teamsrl-" + job.name,
                                   "--ntasks=" + std::to_string(job.ntasks),
                                   "--output=" + (fs::path(log_dir) / "%x-%A_%a.out").string()};
  if (!dependency.empty()) {
    args.push_back("--dependency=aftercorr:" + dependency);
    args.emplace_back("--kill-on-invalid-dep=yes");
  }
  args.insert(args.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  args.push_back(o.template_path);
  args.push_back(job.task_file);
  return args;
}

Result<int> QueryMaxArraySize() {
  const Captured out = RunCaptured({"scontrol", "show", "config"});
  std::smatch match;
  static const std::regex kLine(R"(MaxArraySize\s*=\s*(\d+))");
  if (out.exit_code != 0 || !std::regex_search(out.text, match, kLine)) {
    return Unavailable("cannot read MaxArraySize from `scontrol show config`: " +
                       Trim(out.text.substr(0, 300)) + " (is SLURM reachable? --max-array-size N)");
  }
  return std::stoi(match[1].str());
}

bool AnyJobQueued(const std::vector<std::string>& ids) {
  std::string list;
  for (const std::string& id : ids) list += (list.empty() ? "" : ",") + id;
  const Captured out = RunCaptured({"squeue", "-h", "-o", "%i", "-j", list});
  return out.exit_code == 0 && out.text.find_first_not_of(" \n") != std::string::npos;
}

Result<std::vector<std::string>> SubmitSlurm(const std::vector<ArrayJob>& plan,
                                             const std::string& log_dir, const SlurmOptions& o) {
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  std::vector<std::string> ids;
  for (const ArrayJob& job : plan) {
    std::string text;
    for (const std::string& l : job.lines) text += l + "\n";
    fs::create_directories(fs::path(job.task_file).parent_path(), ec);
    TEAMSRL_RETURN_IF_ERROR(io::WriteFileAtomically(job.task_file, text, /*replace=*/true));
    const std::string dep = job.after >= 0 ? ids[static_cast<size_t>(job.after)] : "";
    const Captured out = RunCaptured(SbatchArgs(job, dep, log_dir, o));
    // --parsable: "JOBID" or "JOBID;CLUSTER".
    const std::string id = Trim(out.text.substr(0, out.text.find_first_of(";\n")));
    if (out.exit_code != 0 || id.empty() ||
        id.find_first_not_of("0123456789") != std::string::npos) {
      std::string submitted;
      for (const std::string& s : ids) submitted += " " + s;
      return Unavailable(
          "sbatch for " + job.name + " failed: " + Trim(out.text) +
          (ids.empty() ? "" : " (submitted before it, still queued:" + submitted + ")"));
    }
    ids.push_back(id);
  }
  return ids;
}

}  // namespace teamsrl::sweep
