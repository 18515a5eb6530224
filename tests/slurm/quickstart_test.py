"""The README's quickstart through SLURM: `sbatch --wait -n 2 slurm/train.sbatch
experiments/quickstart.yaml` on the local cluster; the run file says world size 2 and the
job id, the log is %x-%j.out in the submit directory. Prints the wall time beside the same
run under `mpirun -np 2` directly."""
import os
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slurm_cluster as sc  # noqa: E402

common = sc.common  # tests/integration/common.py


class QuickstartTest(unittest.TestCase):
    def test_quickstart_two_tasks(self):
        cwd = common.tmpdir("teamsrl_slurm_quickstart_")
        out = os.path.join(cwd, "runs", "quickstart")
        # --overwrite: the template passes --resume=auto otherwise, which a teamsrl without
        # resumable training refuses; a fresh directory needs neither.
        rc, job, secs = sc.sbatch_wait(
            ["-n", "2", os.path.join(sc.TEMPLATES, "train.sbatch"),
             common.config("quickstart.yaml"), "--out", out, "--overwrite"], cwd)
        log = sc.read(os.path.join(cwd, "teamsrl-train-%s.out" % job))
        self.assertEqual(rc, 0, log)
        self.assertIn("teamsrl-slurm: job %s (teamsrl-train) start 1" % job, log)
        self.assertIn("srun --mpi=pmix", log)
        self.assertIn("run file: " + os.path.join(out, "run.h5"), log)
        self.assertIn("teamsrl exited with 0", log)
        with h5py.File(os.path.join(out, "run.h5"), "r") as f:
            self.assertEqual(f.attrs["world_size"], 2)
            self.assertEqual(f.attrs["slurm_job_id"], job)
            self.assertEqual(f.attrs["slurm_array_task_id"], "")
            self.assertEqual(f.attrs["status"], "completed")

        rc, _, err, direct = common.mpirun(2, ["train", common.config("quickstart.yaml"), "--out",
                                               os.path.join(cwd, "direct"), "--quiet"])
        self.assertEqual(rc, 0, err)
        print("quickstart, 2 ranks: sbatch --wait %.1f s, mpirun -np 2 %.1f s" % (secs, direct))


if __name__ == "__main__":
    unittest.main(verbosity=2)
