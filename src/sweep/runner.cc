#include "sweep/runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <thread>

#include "core/stop_signal.h"
#include "io/run_commit.h"
#include "io/run_reader.h"
#include "sweep/spawn.h"

namespace teamsrl::sweep {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Starts `argv` with stdout and stderr appended to `log`; -1 when it cannot start.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::error_code ec;
  fs::create_directories(fs::path(log).parent_path(), ec);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  const pid_t pid = SpawnWithOutput(argv, fd);
  ::close(fd);
  return pid;
}

}  // namespace

std::string TaskStateName(TaskState s) {
  switch (s) {
    case TaskState::kPending:
      return "pending";
    case TaskState::kRunning:
      return "running";
    case TaskState::kDone:
      return "completed";
    case TaskState::kFailed:
      return "failed";
    case TaskState::kSkipped:
      return "already complete";
    case TaskState::kStopped:
      return "stopped (resumable)";
    case TaskState::kBlocked:
      break;
  }
  return "not run (a task it needs failed)";
}

std::string TaskStatus(const Task& task) {
  const std::string path = RunFileOf(task);
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return "missing";
  if (task.stage == Stage::kEval) {
    bool found = false;
    const Status st = io::ReadRunSnapshot(path, [&](const io::RunSnapshot& s) {
      found = H5Lexists(s.file, "/eval", H5P_DEFAULT) > 0 &&
              H5Lexists(s.file, "/eval/dataset", H5P_DEFAULT) > 0;
      return OkStatus();
    });
    return st.ok() && found ? "completed" : "missing";
  }
  Result<io::RunInfo> info = io::ReadRunInfo(path);
  if (!info.ok()) return "unreadable";
  if (info->status == "running") {
    const std::optional<io::CommitRecord> commit = io::ReadCommit(path);
    if (commit && io::WriterKnownDead(*commit)) return "killed";
  }
  return info->status;
}

bool TaskCompleted(const Task& task) { return TaskStatus(task) == "completed"; }

std::vector<std::string> CommandOf(const Task& t, const LocalOptions& o) {
  const int np = t.np > 0 ? t.np : o.np;
  std::vector<std::string> argv;
  if (np > 1 && t.stage != Stage::kEval) {
    argv = {"mpirun", "-np", std::to_string(np)};
    // More ranks than cores is what a reproducibility sweep on a laptop asks for.
    if (np > static_cast<int>(std::thread::hardware_concurrency())) {
      argv.emplace_back("--oversubscribe");
    }
  }
  argv.push_back(o.teamsrl_bin);
  argv.insert(argv.end(), t.args.begin(), t.args.end());
  return argv;
}

Result<std::vector<TaskOutcome>> RunLocal(
    const Manifest& m, const LocalOptions& o,
    const std::function<void(const SweepProgress&)>& progress) {
  const auto start = Clock::now();
  std::vector<TaskOutcome> out(m.tasks.size());
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < m.tasks.size(); ++i) {
    out[i].id = m.tasks[i].id;
    index[m.tasks[i].id] = i;
    if (TaskCompleted(m.tasks[i])) out[i].state = TaskState::kSkipped;
  }
  std::map<pid_t, size_t> running;
  std::map<size_t, Clock::time_point> started;
  double run_seconds = 0.0;
  int ran = 0;
  auto report = [&] {
    SweepProgress p;
    p.total = static_cast<int>(out.size());
    for (const TaskOutcome& t : out) {
      p.done += t.state == TaskState::kDone || t.state == TaskState::kSkipped;
      p.skipped += t.state == TaskState::kSkipped;
      p.running += t.state == TaskState::kRunning;
      p.failed += t.state == TaskState::kFailed || t.state == TaskState::kBlocked;
    }
    p.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    const int left = p.total - p.done - p.failed;
    if (ran > 0) p.eta_s = run_seconds / ran * left / std::max(o.jobs, 1);
    if (progress) progress(p);
  };
  InstallStopSignalHandlers();
  bool forwarded = false;
  for (;;) {
    // Start what is ready, in manifest order (stage by stage); nothing once stopping.
    bool started_any = false;
    for (size_t i = 0;
         i < m.tasks.size() && running.size() < static_cast<size_t>(o.jobs) && StopSignal() == 0;
         ++i) {
      if (out[i].state != TaskState::kPending) continue;
      bool ready = true, blocked = false;
      for (const std::string& d : m.tasks[i].deps) {
        const TaskState ds = out[index.at(d)].state;
        ready = ready && (ds == TaskState::kDone || ds == TaskState::kSkipped);
        blocked = blocked || ds == TaskState::kFailed || ds == TaskState::kBlocked ||
                  ds == TaskState::kStopped;
      }
      if (blocked) {
        out[i].state = TaskState::kBlocked;
        continue;
      }
      if (!ready) continue;
      const std::string log = (fs::path(m.tasks[i].out_dir) / "task.log").string();
      const pid_t pid = Spawn(CommandOf(m.tasks[i], o), log);
      if (pid < 0) {
        out[i].state = TaskState::kFailed;
        out[i].exit_code = 127;
        continue;
      }
      out[i].state = TaskState::kRunning;
      running[pid] = i;
      started[i] = Clock::now();
      started_any = true;
    }
    if (started_any) report();  // after all starts: a line between two would miss one
    if (running.empty()) break;
    if (StopSignal() != 0 && !forwarded) {
      // A signal sent to this process alone (scancel, kill) must reach the tasks too; one
      // from a terminal reached them already, and a second one changes nothing.
      for (const auto& [pid, i] : running) ::kill(pid, SIGUSR1);
      forwarded = true;
    }
    int status = 0;
    // Polled: the stop handler restarts system calls (SA_RESTART), so a blocking wait
    // would not see a signal until a task ended.
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR) continue;
      return Internal("sweep: waitpid failed");
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const size_t i = it->second;
    running.erase(it);
    out[i].exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    out[i].seconds = std::chrono::duration<double>(Clock::now() - started[i]).count();
    out[i].state = out[i].exit_code == 0                ? TaskState::kDone
                   : out[i].exit_code == kExitPreempted ? TaskState::kStopped
                                                        : TaskState::kFailed;
    run_seconds += out[i].seconds;
    ++ran;
    report();
  }
  // Tasks whose dependencies never completed (or that a stop kept from starting).
  for (TaskOutcome& t : out) {
    if (t.state == TaskState::kPending && StopSignal() == 0) t.state = TaskState::kBlocked;
  }
  return out;
}

}  // namespace teamsrl::sweep
