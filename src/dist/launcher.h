// Who started this process, read from the launcher's environment (the one place outside
// the MPI library that does): mpirun (OpenMPI's ORTE), srun (a SLURM job step), or
// nobody (a single process). Start-up checks compare it with the MPI world, because a
// mismatch fails silently otherwise: `srun` without `--mpi=pmix` starts N MPI singletons,
// N independent runs of size 1 writing the same files (README "Running on SLURM").
#pragma once

#include <string>

#include "core/status.h"

namespace teamsrl::dist {

struct Launcher {
  std::string name;              // "mpirun", "srun" or "single process"
  int slurm_tasks = 0;           // the tasks SLURM started or allocated (0: not under SLURM)
  std::string tasks_from;        // the variable slurm_tasks comes from
  int slurm_rank = -1;           // SLURM_PROCID, -1 when unset
  bool mpirun_via_srun = false;  // mpirun's ranks under daemons that srun started
};

Launcher DetectLauncher();

// Whether an MPI launcher started this process (mpirun/prterun of OpenMPI 4 or 5, srun,
// MPICH's hydra): its environment names the job. Without one the process is a world of
// one and MpiSession does not start MPI at all.
bool UnderMpiLauncher();

// FailedPrecondition, saying what to fix, when SLURM started or allocated a number of
// tasks other than `world_size`: srun without PMIx, a single process in a multi-task job,
// mpirun -np N in a job of M tasks. Not checked when mpirun's daemons came from srun.
Status CheckWorldSize(const Launcher& launcher, int world_size);

}  // namespace teamsrl::dist
