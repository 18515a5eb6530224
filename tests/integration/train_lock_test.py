"""One `train` per run directory (issue 10 item 7): a second `train --overwrite` into the
directory of a live run is refused with a message naming the directory, and the live run's
file is the one that stays; once the first has finished, the directory is free again, and no .lock file is left in it (issue 10 item 12)."""
import os
import subprocess
import sys
import time
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class TrainLockTest(unittest.TestCase):
    def test_second_train_into_a_live_directory_is_refused(self):
        out = common.tmpdir("trainlock")
        args = ["train", common.config("quickstart.yaml"), "--out", out, "--quiet", "--overwrite"]
        env = dict(os.environ)
        env.update(common.MPI_ENV)
        slow = ["--set", "llm.endpoints.sim.latency_ms=40", "--set", "train.iterations=20"]
        first = subprocess.Popen(["mpirun", "-np", "1", common.BIN] + args + slow, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                 cwd=common.SOURCE_DIR)
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(os.path.join(out, "run.h5")):
                self.assertLess(time.monotonic(), deadline, "the first run never started")
                self.assertIsNone(first.poll(), "the first run ended early")
                time.sleep(0.05)
            rc, _, se, _ = common.mpirun(1, args + ["--set", "run.name=intruder"])
            self.assertEqual(rc, 2, se)
            self.assertIn(out + " is in use by another running process", se)
        finally:
            _, err = first.communicate(timeout=300)
        self.assertEqual(first.returncode, 0, err)
        with h5py.File(os.path.join(out, "run.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "completed")
            self.assertEqual(len(f["/train/iterations"]), 20)
        self.assertFalse(os.path.exists(os.path.join(out, ".lock")))
        rc, _, se, _ = common.mpirun(1, args + ["--set", "train.iterations=1"])
        self.assertEqual(rc, 0, se)
        self.assertEqual(sorted(os.listdir(out)), ["checkpoint.bin", "run.h5", "run.h5.commit"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
