// The files of a sweep directory (README "Sweeps"), for its readers and for resuming:
//
//   DIR/sweep.json          the manifest, written before any task runs: sweep id, grid
//                           file, base config and its hash, and every task (id, stage,
//                           point, overrides, ranks, repeat, deps, output directory, run
//                           file, arguments). Readers (teamsrl_analysis.load_sweep) join a
//                           task's point onto its run file's tables through it.
//   DIR/STAGE/ID/task.json  one task's provenance; train, generate and baseline read it
//                           (--sweep-task) and record it as root attributes of the run file:
//                           sweep_id, sweep_task, sweep_stage, sweep_point (JSON object),
//                           sweep_overrides (JSON list), sweep_dir.
//
// Task ids are hashes of what a task computes, not of when or where it ran, so a sweep
// directory can be resumed by any later invocation (locally or as new SLURM jobs); what
// changed since the last one is CompareWithSaved's.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "sweep/grid.h"

namespace teamsrl::sweep {

std::string SweepJson(const Manifest& manifest);
std::string TaskJson(const Manifest& manifest, const Task& task);

// DIR/sweep.json and every task's task.json (creating the directories). An error only
// for the sweep directory and sweep.json; a task whose directory cannot be written is
// one of the returned problems ("ID: why"): that task will fail, the others run.
Result<std::vector<std::string>> WriteSweepFiles(const Manifest& manifest);

// The root attributes a run records from its task.json (see above). NotFound / InvalidArgument
// naming the file.
Result<std::map<std::string, std::string>> ReadTaskLabels(const std::string& path);

// What changed since the manifest saved in the sweep directory.
struct ManifestChange {
  bool had_previous = false;             // DIR/sweep.json existed
  std::vector<std::string> added, gone;  // task ids: new in the grid, no longer in it
  bool base_changed = false;             // the base config resolves differently
  std::string previous_base;
};
Result<ManifestChange> CompareWithSaved(const Manifest& manifest);
// One or two lines: "grid changed: N new tasks (...), M gone (outputs kept in ...)".
std::string FormatChange(const ManifestChange& change, const Manifest& manifest);

}  // namespace teamsrl::sweep
