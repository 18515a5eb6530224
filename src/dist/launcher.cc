#include "dist/launcher.h"

#include <cstdlib>

namespace teamsrl::dist {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return *end == '\0' ? static_cast<int>(n) : fallback;
}

}  // namespace

Launcher DetectLauncher() {
  Launcher l;
  if (std::getenv("OMPI_MCA_orte_hnp_uri") != nullptr) {
    l.name = "mpirun";
    // Across nodes mpirun starts its daemons with srun, whose step variables (the daemon
    // count) the ranks inherit: nothing to compare with then.
    l.mpirun_via_srun = std::getenv("SLURM_STEP_ID") != nullptr;
  } else if (std::getenv("SLURM_STEP_ID") != nullptr && std::getenv("SLURM_PROCID") != nullptr) {
    l.name = "srun";
  } else {
    l.name = "single process";
  }
  // A step's own count first: SLURM_NTASKS is the allocation's when a step runs fewer.
  for (const char* var : {"SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"}) {
    if (l.name == "srun" || std::string(var) == "SLURM_NTASKS") {
      if (const int n = EnvInt(var, 0); n > 0) {
        l.slurm_tasks = n;
        l.tasks_from = var;
        break;
      }
    }
  }
  l.slurm_rank = EnvInt("SLURM_PROCID", -1);
  return l;
}

bool UnderMpiLauncher() {
  for (const char* var :
       {"OMPI_MCA_orte_hnp_uri", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return std::getenv("SLURM_STEP_ID") != nullptr && std::getenv("SLURM_PROCID") != nullptr;
}

Status CheckWorldSize(const Launcher& l, int world_size) {
  if (l.slurm_tasks <= 0 || l.slurm_tasks == world_size || l.mpirun_via_srun) return OkStatus();
  if (l.name == "mpirun") {
    return FailedPrecondition("mpirun started " + std::to_string(world_size) +
                              " ranks in a job of " + std::to_string(l.slurm_tasks) + " tasks (" +
                              l.tasks_from +
                              "): give mpirun no -np (it takes the allocation's), "
                              "or ask sbatch for --ntasks=" +
                              std::to_string(world_size));
  }
  if (l.name == "srun") {
    return FailedPrecondition(
        "srun started " + std::to_string(l.slurm_tasks) + " tasks (" + l.tasks_from +
        ") but MPI sees a world of " + std::to_string(world_size) +
        ": each task runs alone. Launch with `srun --mpi=pmix` (check `srun --mpi=list`), or "
        "with `mpirun` inside the allocation");
  }
  return FailedPrecondition(
      "this job has " + std::to_string(l.slurm_tasks) + " tasks (" + l.tasks_from +
      ") but teamsrl runs as a single process: launch it with `srun --mpi=pmix` or `mpirun` "
      "(slurm/train.sbatch does), or ask for --ntasks=1");
}

}  // namespace teamsrl::dist
