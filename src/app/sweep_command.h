// `teamsrl sweep GRID.yaml [--out DIR] (--dry-run | --status | --local | --slurm)
// [--check-reproducible]`: README "Sweeps". The grid and its expansion: sweep/grid.h; the
// sweep directory's files: sweep/manifest.h; running: sweep/runner.h (local) and
// sweep/slurm.h (job arrays); the reproducibility report: sweep/reproducible.h.
#pragma once

#include <string>
#include <vector>

namespace teamsrl::app {

struct SweepArgs {
  std::string grid, out;
  bool dry_run = false, local = false, slurm = false, status = false;
  bool resume = false;              // the default anyway: said for clarity in scripts
  bool allow_changed_base = false;  // resume tasks of a base config that changed
  bool check_reproducible = false;
  bool wait = false;  // --slurm: return when the submitted arrays have left the queue
  int jobs = 1, np = 1;
  int max_running = 0, max_array_size = 0;
  std::string template_path;
  std::vector<std::string> sbatch_args;
};

// The exit code: 0 when every task completed (and, with --check-reproducible, every
// comparison was identical), 1 when some did not, 2 for a bad grid or option, 75 when a
// stop signal ended a local sweep early (rerun the command to continue).
int RunSweepCommand(const SweepArgs& args, const std::string& argv0);

}  // namespace teamsrl::app
