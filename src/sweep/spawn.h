// Child processes of the sweep runner (tasks) and of the SLURM submitter (sbatch,
// scontrol, squeue): one way to start them.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace teamsrl::sweep {

// Starts `argv` (argv[0] looked up on PATH) with stdin from /dev/null and stdout and
// stderr on `out_fd`, which the caller keeps and closes; open `out_fd` and any other
// descriptor with O_CLOEXEC so that the child inherits none but these. -1 when it
// cannot start.
pid_t SpawnWithOutput(const std::vector<std::string>& argv, int out_fd);

struct Captured {
  int exit_code = -1;  // -1: could not start; 128 + N: killed by signal N
  std::string text;    // stdout and stderr together
};

// Runs `argv` to its end and returns what it printed (a few lines: sbatch, scontrol).
Captured RunCaptured(const std::vector<std::string>& argv);

}  // namespace teamsrl::sweep
