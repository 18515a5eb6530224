#include "dist/launcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

namespace teamsrl::dist {
namespace {

// Sets the launcher's variables for one test and clears them after.
class LauncherTest : public testing::Test {
 protected:
  void TearDown() override {
    for (const char* v :
         {"OMPI_MCA_orte_hnp_uri", "SLURM_STEP_ID", "SLURM_PROCID", "SLURM_STEP_NUM_TASKS",
          "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
      unsetenv(v);
    }
  }
};

// Without any launcher's variables the process is a world of one that starts no MPI;
// each launcher's own variable (or srun's step) means MPI must start.
TEST_F(LauncherTest, OnlyALauncherMeansMpi) {
  for (const char* v : {"OMPI_MCA_orte_hnp_uri", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                        "PMI_SIZE", "SLURM_STEP_ID", "SLURM_PROCID"}) {
    unsetenv(v);
  }
  EXPECT_FALSE(UnderMpiLauncher());
  setenv("SLURM_NTASKS", "4", 1);  // an allocation alone starts nothing
  setenv("SLURM_STEP_ID", "0", 1);
  EXPECT_FALSE(UnderMpiLauncher());
  setenv("SLURM_PROCID", "0", 1);  // srun's task
  EXPECT_TRUE(UnderMpiLauncher());
  unsetenv("SLURM_STEP_ID");
  unsetenv("SLURM_PROCID");
  for (const char* v :
       {"OMPI_MCA_orte_hnp_uri", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    setenv(v, "1", 1);
    EXPECT_TRUE(UnderMpiLauncher()) << v;
    unsetenv(v);
  }
}

TEST_F(LauncherTest, SrunSingletonsAreRefusedWithWhatToFix) {
  setenv("SLURM_STEP_ID", "0", 1);
  setenv("SLURM_PROCID", "1", 1);
  setenv("SLURM_STEP_NUM_TASKS", "2", 1);
  setenv("SLURM_NTASKS", "4", 1);
  const Launcher l = DetectLauncher();
  EXPECT_EQ(l.name, "srun");
  EXPECT_EQ(l.slurm_tasks, 2);  // the step's count, not the allocation's
  EXPECT_EQ(l.slurm_rank, 1);
  const Status st = CheckWorldSize(l, 1);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), testing::HasSubstr("srun started 2 tasks (SLURM_STEP_NUM_TASKS) but "
                                               "MPI sees a world of 1"));
  EXPECT_THAT(st.message(), testing::HasSubstr("srun --mpi=pmix"));
  EXPECT_TRUE(CheckWorldSize(l, 2).ok());
}

TEST_F(LauncherTest, SingleProcessInAMultiTaskAllocationIsRefused) {
  setenv("SLURM_NTASKS", "2", 1);
  const Launcher l = DetectLauncher();
  EXPECT_EQ(l.name, "single process");
  EXPECT_THAT(CheckWorldSize(l, 1).message(), testing::HasSubstr("this job has 2 tasks"));
}

TEST_F(LauncherTest, MpirunMustMatchTheAllocationUnlessItsDaemonsCameFromSrun) {
  setenv("OMPI_MCA_orte_hnp_uri", "x", 1);
  setenv("SLURM_NTASKS", "2", 1);
  EXPECT_EQ(DetectLauncher().name, "mpirun");
  EXPECT_TRUE(CheckWorldSize(DetectLauncher(), 2).ok());
  EXPECT_THAT(CheckWorldSize(DetectLauncher(), 1).message(),
              testing::HasSubstr("mpirun started 1 ranks in a job of 2 tasks (SLURM_NTASKS)"));
  setenv("SLURM_STEP_ID", "0", 1);  // multi-node: orted launched by srun
  EXPECT_TRUE(CheckWorldSize(DetectLauncher(), 8).ok());
}

TEST_F(LauncherTest, NoSlurmIsNotChecked) {
  unsetenv("SLURM_NTASKS");
  EXPECT_EQ(DetectLauncher().slurm_tasks, 0);
  EXPECT_TRUE(CheckWorldSize(DetectLauncher(), 3).ok());
}

}  // namespace
}  // namespace teamsrl::dist
