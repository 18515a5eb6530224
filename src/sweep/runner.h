// `teamsrl sweep GRID.yaml --local [-j N] [--np K]`: runs a manifest's tasks on this
// machine, each as `mpirun -np K teamsrl ARGS` (K: the task's `ranks:` value, else --np;
// teamsrl alone for K = 1 and for eval), up to N at once, a task only after the tasks it
// depends on completed. A failed task never stops the others; its dependants are skipped
// and reported. Each task's output (stdout and stderr) goes to OUT_DIR/task.log.
//
// Resume: a task whose output already says `completed` (TaskStatus) is not run again, so
// re-running the same command runs only what is missing, failed, preempted or killed, and
// those continue from their checkpoints (train --resume=auto; generate and baseline resume
// by chunk). A stop signal (SIGINT, SIGTERM, SIGUSR1: core/stop_signal.h) starts no new
// task and passes SIGUSR1 to the running ones, which checkpoint and exit 75; the runner
// then returns with those tasks `stopped` and the rest not started.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "sweep/grid.h"

namespace teamsrl::sweep {

struct LocalOptions {
  int jobs = 1;             // tasks at once
  int np = 1;               // MPI ranks per task without a `ranks:` axis
  std::string teamsrl_bin;  // the program the tasks run
};

enum class TaskState { kPending, kRunning, kDone, kFailed, kSkipped, kBlocked, kStopped };
std::string TaskStateName(TaskState state);

struct TaskOutcome {
  std::string id;
  TaskState state = TaskState::kPending;
  int exit_code = 0;
  double seconds = 0.0;
};

struct SweepProgress {
  int total = 0, done = 0, running = 0, failed = 0, skipped = 0;  // skipped: already done
  double elapsed_s = 0.0;
  double eta_s = -1.0;  // < 0: unknown
};

// A task's state from its output: "completed"; "missing" (nothing written yet); the run
// file's status otherwise ("failed", "preempted", "running"), with "killed" for a
// `running` file whose writer is known to be gone (same host, process no longer there).
// Eval: "completed" once the run file has /eval/dataset, else "missing".
std::string TaskStatus(const Task& task);
bool TaskCompleted(const Task& task);

// The command line of `task` (mpirun -np K [--oversubscribe] BIN ARGS...).
std::vector<std::string> CommandOf(const Task& task, const LocalOptions& options);

// Runs the tasks; `progress` is called after each start and end. Returns every task's
// outcome in manifest order; an error only for what stops the runner itself (a task that
// cannot be started is failed, not an error).
Result<std::vector<TaskOutcome>> RunLocal(
    const Manifest& manifest, const LocalOptions& options,
    const std::function<void(const SweepProgress&)>& progress);

}  // namespace teamsrl::sweep
