"""A policy snapshot carries the observation filter it acts with, so `generate --snapshot N`
normalises observations as training would have at update N."""
import os
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class SnapshotFilterTest(unittest.TestCase):
    def test_snapshot_filter_is_saved_and_used(self):
        out = common.tmpdir("snapfilter")
        train = os.path.join(out, "train")
        rc, _, se, _ = common.mpirun(2, ["train", common.config("quickstart.yaml"), "--out", train,
                                         "--quiet", "--set", "train.iterations=4",
                                         "--set", "train.snapshot_every=2"])
        self.assertEqual(rc, 0, se)
        with h5py.File(os.path.join(train, "run.h5"), "r") as f:
            snap = f["/policy/snapshot_000002_obs_filter"][:]
            final = f["/policy/final_obs_filter"][:]
            steps_per_iteration = 8 * 6
            self.assertEqual(snap[0], 2 * steps_per_iteration)  # count of observations seen
            self.assertEqual(final[0], 4 * steps_per_iteration)
        for args in ([], ["--snapshot", "2"]):
            gen = os.path.join(out, "gen" + "".join(args))
            rc, so, se, _ = common.mpirun(2, ["generate", common.config("generate.yaml"),
                                              "--policy", os.path.join(train, "run.h5"), "--out",
                                              gen, "--quiet", "--set", "generate.max_samples=12"]
                                          + args)
            self.assertEqual(rc, 0, se)
            self.assertTrue(os.path.exists(os.path.join(gen, "dataset.jsonl")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
