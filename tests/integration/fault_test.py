"""One rank failing mid-run ends the whole job within seconds with one clear message
naming the rank, and the run file (readable) says `failed`."""
import os
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class FaultTest(unittest.TestCase):
    def check(self, ranks, fail_rank):
        out = common.tmpdir("fault")
        rc, so, se, secs = common.mpirun(
            ranks, ["train", common.config("quickstart.yaml"), "--out", out, "--quiet",
                    "--set", "train.iterations=50", "--set", "train.actors=4"],
            env={"TEAMSRL_FAULT": f"rank={fail_rank},iteration=2"}, timeout=60)
        self.assertNotEqual(rc, 0)
        self.assertLess(secs, 20.0)
        self.assertIn(f"rank {fail_rank}: injected fault", se)
        self.assertEqual(se.count("teamsrl: error:"), 1, se)
        with h5py.File(os.path.join(out, "run.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "failed")
            self.assertIn(f"rank {fail_rank}", f.attrs["error"])
            # The two iterations before the failure were written and flushed.
            self.assertEqual(len(f["/train/iterations"]), 2)

    def test_non_root_rank_fails(self):
        self.check(2, 1)

    def test_root_rank_fails(self):
        self.check(2, 0)

    def test_last_of_four_ranks_fails(self):
        self.check(4, 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
