"""A job launched with the wrong number of ranks fails clearly: `mpirun -np 1` inside a
2-task allocation (SLURM_NTASKS=2, MPI world size 1) makes teamsrl exit 2 with an error
naming SLURM_NTASKS, before it writes anything."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slurm_cluster as sc  # noqa: E402

common = sc.common  # tests/integration/common.py


class WorldSizeTest(unittest.TestCase):
    def test_mpirun_np_1_in_two_task_job(self):
        cwd = common.tmpdir("teamsrl_slurm_world_")
        out = os.path.join(cwd, "run")
        cmd = "mpirun -np 1 %s train %s --out %s --quiet --set train.iterations=1" % (
            common.BIN, common.config("quickstart.yaml"), out)
        rc, job, _ = sc.sbatch_wait(["-n", "2", "-o", "%x-%j.out", "-J", "world", "--wrap", cmd], cwd)
        log = sc.read(os.path.join(cwd, "world-%s.out" % job))
        self.assertEqual(rc, 2, "expected exit 2 for world size 1 under SLURM_NTASKS=2\n" + log)
        self.assertIn("SLURM_NTASKS", log)
        self.assertFalse(os.path.exists(os.path.join(out, "run.h5")), "nothing is written")


if __name__ == "__main__":
    unittest.main(verbosity=2)
