// Sweep grids (README "Sweeps"): one YAML file names a base config, fixed overrides and
// the axes of a study; it expands into a manifest of tasks, one per point and stage.
//
//   base: ../quickstart.yaml          # relative to the grid file, or absolute
//   out_dir: runs/sweeps/actions      # the sweep directory (--out overrides it)
//   set: {train.iterations: 10}       # fixed overrides, dotted keys
//   grid:                             # cartesian product
//     policy.type: [gaussian_argmax, categorical, uniform]
//   zip:                              # varied together (equal lengths); a list of such
//     algo.type: [trpo, ppo]          #   mappings for several groups
//     algo.max_kl: [0.01, 0.02]
//   seeds: 3                          # 1..3, or a list; applied to run.seed
//   stages: [train, generate, eval]   # also `baseline`: one per seed, shared by the points
//   ranks: [1, 2, 4]                  # MPI ranks per task: an axis of the launch, not the
//                                     #   config (default: the runner's --np)
//   repeats: 2                        # run each point this many times (reproducibility)
//
// Every key is validated against the config schema and every value by loading the base
// config with it (once per axis value, not per point, so a 10,000-task grid expands in
// well under a second); errors name the grid file, the line and the key. A task's id is
// a hash of its stage and resolved overrides: re-expanding the same grid gives the same
// ids, whatever the order of the axes in the file.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace teamsrl::sweep {

enum class Stage { kTrain, kGenerate, kBaseline, kEval };
std::string StageName(Stage stage);

struct Axis {
  std::string key;                  // dotted config key
  std::vector<std::string> values;  // each as YAML text, as `--set key=VALUE` takes it
  int line = 0;
};

struct GridSpec {
  std::string path;     // the grid file
  std::string base;     // the base config, resolved against the grid file's directory
  std::string out_dir;  // as written ("" = none), relative to the working directory
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<Axis> grid;
  std::vector<std::vector<Axis>> zip;
  std::vector<int64_t> seeds;  // empty: the base config's run.seed
  std::vector<Stage> stages = {Stage::kTrain};
  std::vector<int> ranks;  // empty: the runner's --np
  int repeats = 1;
  std::string base_hash;  // of the base config as resolved (Manifest::base_hash)
};

// Parses and validates `path`. InvalidArgument "FILE:LINE: KEY: ..." for an unknown or
// duplicate key, an empty axis, two axes on one key, zip lists of unequal length, a value
// the config rejects, an unknown stage or a stage order that cannot run.
Result<GridSpec> LoadGrid(const std::string& path);

struct Task {
  std::string id;  // 12 hex digits
  Stage stage = Stage::kTrain;
  std::vector<std::pair<std::string, std::string>> point;  // the axis values (and seed)
  std::vector<std::string> overrides;                      // key=value, sorted
  std::string out_dir;
  std::vector<std::string> deps;  // ids of the tasks this one needs
  std::vector<std::string> args;  // teamsrl's arguments (after the program name)
  int np = 0;                     // MPI ranks from the grid's `ranks:`; 0: the runner's --np
  int repeat = 0;                 // 0-based, from `repeats:`
};

struct Manifest {
  std::string sweep_id;  // hash of every task id
  std::string grid_path;
  std::string base;
  // Hash of the base config as resolved (config.resolved_yaml): a change of the base under
  // a sweep's completed tasks is detected on resume (sweep/manifest.h).
  std::string base_hash;
  std::string dir;
  std::vector<Task> tasks;  // stage by stage, points in expansion order
};

// The tasks of `grid` in sweep directory `dir`; each task's output is DIR/STAGE/ID, its
// provenance DIR/STAGE/ID/task.json (passed to train, generate and baseline as
// --sweep-task, sweep/manifest.h).
Manifest Expand(const GridSpec& grid, const std::string& dir);

// "key=value key=value" of the task's point, "-" for none (tables of --dry-run, --status).
std::string PointText(const Task& task);

// The run file a task writes (train: run.h5, generate: generate.h5, baseline:
// baseline.h5; eval: the run file of the dataset it evaluates).
std::string RunFileOf(const Task& task);
// `--dry-run`'s table: one line per task (id, stage, point, deps) and its command.
std::string FormatDryRun(const Manifest& manifest);

}  // namespace teamsrl::sweep
