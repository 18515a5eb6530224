#include "app/sweep_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/progress.h"
#include "core/install_paths.h"
#include "core/stop_signal.h"
#include "io/safe_file.h"
#include "sweep/grid.h"
#include "sweep/manifest.h"
#include "sweep/reproducible.h"
#include "sweep/runner.h"
#include "sweep/slurm.h"

namespace teamsrl::app {
namespace {

namespace fs = std::filesystem;
constexpr int kOk = 0, kNotAllDone = 1, kUsage = 2;

int Fail(const std::string& message) {
  std::fprintf(stderr, "teamsrl: error: %s\n", message.c_str());
  return kUsage;
}

std::vector<bool> Completed(const sweep::Manifest& m) {
  std::vector<bool> done;
  done.reserve(m.tasks.size());
  for (const sweep::Task& t : m.tasks) done.push_back(sweep::TaskCompleted(t));
  return done;
}

int PrintStatus(const sweep::Manifest& m) {
  std::map<std::string, int> counts;
  std::printf("%-12s  %-8s  %-9s  %-40s  %s\n", "task", "stage", "status", "point", "output");
  for (const sweep::Task& t : m.tasks) {
    const std::string s = sweep::TaskStatus(t);
    ++counts[s];
    std::printf("%-12s  %-8s  %-9s  %-40s  %s\n", t.id.c_str(), sweep::StageName(t.stage).c_str(),
                s.c_str(), sweep::PointText(t).c_str(), t.out_dir.c_str());
  }
  std::string summary;
  for (const auto& [s, n] : counts)
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, s);
  std::printf("%zu tasks: %s\n", m.tasks.size(), summary.c_str());
  return counts["completed"] == static_cast<int>(m.tasks.size()) ? kOk : kNotAllDone;
}

// The change since the last invocation; an error when the base config changed under
// tasks that already have output, unless allowed.
int CheckChange(const sweep::Manifest& m, bool allow_changed_base) {
  Result<sweep::ManifestChange> change = sweep::CompareWithSaved(m);
  if (!change.ok()) return Fail(change.status().message());
  std::fputs(sweep::FormatChange(*change, m).c_str(), stderr);
  if (!change->base_changed || allow_changed_base) return kOk;
  int with_output = 0;
  for (const sweep::Task& t : m.tasks) with_output += sweep::TaskStatus(t) != "missing";
  if (with_output == 0) return kOk;
  return Fail(fmt::format(
      "sweep {}: {} task(s) already have output from the earlier base config; resuming would "
      "mix results of two configs. Use another --out, or pass --allow-changed-base to resume "
      "them anyway",
      m.dir, with_output));
}

int ReportReproducible(const sweep::Manifest& m) {
  const sweep::ReproReport report = sweep::CheckReproducible(m);
  if (report.pairs.empty()) {
    return Fail("sweep " + m.dir +
                ": nothing to compare: --check-reproducible needs a grid "
                "with ranks: or repeats:");
  }
  std::fputs(report.Format().c_str(), stdout);
  const std::string path = (fs::path(m.dir) / "reproducibility.txt").string();
  (void)io::WriteFileAtomically(path, report.Format(), /*replace=*/true);
  std::printf("report: %s\n", path.c_str());
  return report.all_identical() ? kOk : kNotAllDone;
}

int Local(const sweep::Manifest& m, const SweepArgs& a, const std::string& bin) {
  sweep::LocalOptions options;
  options.jobs = std::max(a.jobs, 1);
  options.np = std::max(a.np, 1);
  options.teamsrl_bin = bin;
  ProgressLine line(ProgressMode::kAuto, 10.0);
  line.Start("sweep " + m.sweep_id, static_cast<int64_t>(m.tasks.size()));
  auto outcomes = sweep::RunLocal(m, options, [&](const sweep::SweepProgress& p) {
    line.Update(p.done, fmt::format("running {} | failed {} | already complete {}", p.running,
                                    p.failed, p.skipped));
  });
  if (!outcomes.ok()) {
    std::fprintf(stderr, "teamsrl: error: %s\n", outcomes.status().message().c_str());
    return kNotAllDone;
  }
  int failed = 0, not_started = 0;
  for (size_t i = 0; i < outcomes->size(); ++i) {
    const sweep::TaskOutcome& o = (*outcomes)[i];
    if (o.state == sweep::TaskState::kPending) ++not_started;
    if (o.state == sweep::TaskState::kFailed || o.state == sweep::TaskState::kBlocked ||
        o.state == sweep::TaskState::kStopped) {
      ++failed;
      // A task that never ran has no exit code and no log of its own.
      const std::string where =
          o.state == sweep::TaskState::kBlocked
              ? ""
              : fmt::format(" (exit {}): {}/task.log", o.exit_code, m.tasks[i].out_dir);
      std::fprintf(stderr, "task %s (%s) %s%s\n", o.id.c_str(),
                   sweep::StageName(m.tasks[i].stage).c_str(),
                   sweep::TaskStateName(o.state).c_str(), where.c_str());
    }
  }
  if (StopSignal() != 0) {
    line.Finish(
        fmt::format("stopped by {}: {} task(s) stopped or failed, {} not started; run "
                    "the same command to continue",
                    SignalName(StopSignal()), failed, not_started));
    return kExitPreempted;
  }
  line.Finish(fmt::format("{} of {} tasks failed or not run; {}/sweep.json", failed, m.tasks.size(),
                          m.dir));
  return failed == 0 ? kOk : kNotAllDone;
}

// slurm/sweep.sbatch beside the binary's tree: the build tree (SOURCE/build*/bin) or an
// installation (PREFIX/bin, PREFIX/share/teamsrl/slurm).
std::string FindTemplate(const std::string& bin) {
  Result<std::string> shipped = FindShipped(bin, "slurm/sweep.sbatch", "slurm/sweep.sbatch");
  if (shipped.ok()) return fs::absolute(*shipped).string();
  std::error_code ec;
  return fs::is_regular_file("slurm/sweep.sbatch", ec) ? fs::absolute("slurm/sweep.sbatch").string()
                                                       : "";
}

int Slurm(const sweep::Manifest& m, const SweepArgs& a, const std::string& bin, bool dry_run) {
  sweep::SlurmOptions o;
  o.template_path = a.template_path.empty() ? FindTemplate(bin) : a.template_path;
  if (o.template_path.empty()) {
    return Fail("no slurm/sweep.sbatch found beside " + bin + ": pass --template FILE");
  }
  o.max_running = a.max_running;
  o.np = std::max(a.np, 1);
  o.sbatch_args = a.sbatch_args;
  int max_array = a.max_array_size;
  if (max_array <= 0) {
    Result<int> queried = sweep::QueryMaxArraySize();
    if (!queried.ok()) return Fail(queried.status().message());
    max_array = *queried;
  }
  auto plan = sweep::PlanSlurm(m, Completed(m), max_array, o.np);
  if (!plan.ok()) return Fail(plan.status().message());
  const std::string log_dir = (fs::path(m.dir) / "slurm" / "logs").string();
  if (dry_run || plan->empty()) {
    std::printf("%zu array job(s) (MaxArraySize %d)%s\n", plan->size(), max_array,
                plan->empty() ? ": every task is completed" : "");
    for (size_t i = 0; i < plan->size(); ++i) {
      const sweep::ArrayJob& j = (*plan)[i];
      std::string cmd;
      for (const std::string& s : sweep::SbatchArgs(
               j, j.after >= 0 ? fmt::format("<job of {}>", (*plan)[j.after].name) : "", log_dir,
               o)) {
        cmd += (cmd.empty() ? "" : " ") + s;
      }
      std::printf("%s: %zu task(s)\n  %s\n", j.name.c_str(), j.indices.size(), cmd.c_str());
    }
    return kOk;
  }
  // The jobs run this binary and find slurm/lib.sh in the template's tree.
  setenv("TEAMSRL_BIN", bin.c_str(), /*overwrite=*/0);
  setenv("TEAMSRL_ROOT", fs::path(o.template_path).parent_path().parent_path().c_str(), 0);
  auto ids = sweep::SubmitSlurm(*plan, log_dir, o);
  if (!ids.ok()) return Fail(ids.status().message());
  nlohmann::json jobs = nlohmann::json::array();
  for (size_t i = 0; i < plan->size(); ++i) {
    const sweep::ArrayJob& j = (*plan)[i];
    std::printf("submitted %s: job %s, array %s (%zu task(s))%s\n", j.name.c_str(),
                (*ids)[i].c_str(), sweep::FormatArray(j.indices, o.max_running).c_str(),
                j.indices.size(),
                j.after >= 0 ? (" after job " + (*ids)[static_cast<size_t>(j.after)]).c_str() : "");
    jobs.push_back({{"name", j.name},
                    {"job_id", (*ids)[i]},
                    {"task_file", j.task_file},
                    {"indices", j.indices},
                    {"tasks", j.task_ids}});
  }
  (void)io::WriteFileAtomically((fs::path(m.dir) / "slurm" / "jobs.json").string(),
                                jobs.dump(1) + "\n", /*replace=*/true);
  std::printf("logs: %s; progress: teamsrl sweep %s --out %s --status\n", log_dir.c_str(),
              m.grid_path.c_str(), m.dir.c_str());
  if (!a.wait) return kOk;
  InstallStopSignalHandlers();
  while (StopSignal() == 0 && sweep::AnyJobQueued(*ids)) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  const int rc = PrintStatus(m);
  return rc != kOk || !a.check_reproducible ? rc : ReportReproducible(m);
}

}  // namespace

int RunSweepCommand(const SweepArgs& a, const std::string& argv0) {
  Result<sweep::GridSpec> grid = sweep::LoadGrid(a.grid);
  if (!grid.ok()) return Fail(grid.status().message());
  const std::string dir = a.out.empty() ? grid->out_dir : a.out;
  if (dir.empty()) {
    return Fail(a.grid + ": no sweep directory: give --out DIR or out_dir: in the grid file");
  }
  const sweep::Manifest m = sweep::Expand(*grid, dir);
  const std::string bin = RunningExecutablePath().empty() ? argv0 : RunningExecutablePath();
  if (a.dry_run) {
    std::fputs(sweep::FormatDryRun(m).c_str(), stdout);
    return a.slurm ? Slurm(m, a, bin, /*dry_run=*/true) : kOk;
  }
  if (a.status) return PrintStatus(m);
  if (!a.local && !a.slurm) {
    if (a.check_reproducible) return ReportReproducible(m);
    return Fail("sweep: choose --dry-run, --status, --local or --slurm");
  }
  if (int rc = CheckChange(m, a.allow_changed_base); rc != kOk) return rc;
  Result<std::vector<std::string>> problems = sweep::WriteSweepFiles(m);
  if (!problems.ok()) return Fail(problems.status().message());
  for (const std::string& p : *problems)
    std::fprintf(stderr, "teamsrl: warning: task %s\n", p.c_str());
  if (a.slurm) return Slurm(m, a, bin, /*dry_run=*/false);
  const int rc = Local(m, a, bin);
  if (rc != kOk || !a.check_reproducible) return rc;
  return ReportReproducible(m);
}

}  // namespace teamsrl::app
