// `teamsrl sweep GRID.yaml --slurm`: the manifest's tasks as SLURM job arrays of
// slurm/sweep.sbatch (README "Sweeps"), one array per stage (and per rank count, and per
// MaxArraySize-long chunk of a stage). Line i of an array's task file is the teamsrl
// argument list of its array index i; every line of a chunk is written, also for tasks
// already completed, so that index i of a generate array and index i of the train array
// it depends on are the same grid point. That is what lets a stage wait per task with
// `--dependency=aftercorr:JOB` (the corresponding task completed successfully: SLURM's
// per-task afterok) rather than `afterok` on the whole array, under which one failed
// training task would cancel every generation of the stage; `--kill-on-invalid-dep=yes`
// takes the dependants of a failed task out of the queue. Only tasks whose output is not
// `completed` get an index (sbatch --array=0-3,7,...), so re-submitting the same command
// after a crash, a cancel or a preemption runs what is left, from its checkpoints, under
// new job ids.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "sweep/grid.h"

namespace teamsrl::sweep {

struct SlurmOptions {
  std::string template_path;  // slurm/sweep.sbatch
  int max_running = 0;        // %K: array tasks at once per array; 0 = SLURM's limits only
  int max_array_size = 0;     // 0: scontrol's MaxArraySize (QueryMaxArraySize)
  int np = 1;                 // ranks per task without a `ranks:` axis
  std::vector<std::string> sbatch_args;  // passed to every sbatch before the template
};

struct ArrayJob {
  std::string name;                   // "train", "generate.r2", "eval.c1", ...: stage, ranks, chunk
  std::string task_file;              // DIR/slurm/NAME.tasks
  std::vector<std::string> lines;     // the task file: one argument line per array index
  std::vector<int> indices;           // the array indices to run
  std::vector<std::string> task_ids;  // of `indices`, in order
  int ntasks = 1;                     // sbatch -n
  int after = -1;  // the plan entry whose tasks these wait for (aftercorr), -1: none
};

// `completed[i]`: whether manifest task i needs no run. Tasks of a stage with the same
// rank count form one array per chunk of `max_array_size`; those whose dependency is to
// run wait for its array, the others start at once (a separate array on the same file).
Result<std::vector<ArrayJob>> PlanSlurm(const Manifest& manifest,
                                        const std::vector<bool>& completed, int max_array_size,
                                        int np);

// "0-3,5,7-9" (with "%K" when max_running > 0).
std::string FormatArray(const std::vector<int>& indices, int max_running);

// sbatch's arguments for `job`, `dependency` the job id it waits for ("" for none).
std::vector<std::string> SbatchArgs(const ArrayJob& job, const std::string& dependency,
                                    const std::string& log_dir, const SlurmOptions& options);

// One argument line as sweep.sbatch splits it (xargs quoting: '...' groups anything but a
// single quote, which goes in "...").
std::string QuoteLine(const std::vector<std::string>& args);

// MaxArraySize from `scontrol show config`; Unavailable when scontrol cannot tell.
Result<int> QueryMaxArraySize();

// Whether squeue still lists any of the jobs `ids` (an array job stays until all its tasks
// ended); false also when squeue cannot tell.
bool AnyJobQueued(const std::vector<std::string>& ids);

// Writes the task files and submits the plan in order; returns each entry's job id.
// Stops at the first sbatch that fails (the jobs submitted so far stay queued and are
// named in the error).
Result<std::vector<std::string>> SubmitSlurm(const std::vector<ArrayJob>& plan,
                                             const std::string& log_dir,
                                             const SlurmOptions& options);

}  // namespace teamsrl::sweep
