// Stop requests by signal (README "Running on SLURM"): SIGTERM, SIGINT and SIGUSR1 only
// set a flag; the drivers read it at their next iteration or chunk boundary, where every
// rank can agree, checkpoint and leave with status `preempted` (exit code kExitPreempted).
// SLURM sends SIGTERM (preemption, scancel, the time limit) or the `--signal` of the job
// (the templates use SIGUSR1 some minutes before the limit); mpirun forwards SIGUSR1 and
// SIGTERM to its ranks. Later signals while stopping change nothing: the first one's
// stop is already under way, and a checkpoint is replaced atomically or not at all.
#pragma once

#include <string>

namespace teamsrl {

// Exit code of a run stopped by a signal after writing what it needs to resume
// (sysexits' EX_TEMPFAIL: "try again later"); the sbatch templates requeue on it.
inline constexpr int kExitPreempted = 75;

// Installs the handlers (idempotent).
void InstallStopSignalHandlers();
// The first stop signal received, 0 when none.
int StopSignal();
// Tests: as if `signal` had been received (0 clears).
void SetStopSignalForTest(int signal);
// "SIGTERM", "SIGINT", "SIGUSR1", or "signal N".
std::string SignalName(int signal);

}  // namespace teamsrl
