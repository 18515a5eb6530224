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
        # The reader lists policies apart from their filters (issue 10 item 12).
        sys.path.insert(0, os.path.join(common.SOURCE_DIR, "analysis"))
        from teamsrl_analysis import load_run
        run = load_run(os.path.join(train, "run.h5"))
        self.assertEqual(run.policies, ["final", "snapshot_000002", "snapshot_000004"])
        self.assertEqual(run.obs_filters, ["final_obs_filter", "snapshot_000002_obs_filter",
                                           "snapshot_000004_obs_filter"])
        # A missing snapshot names those the file has.
        rc, _, se, _ = common.mpirun(1, ["generate", common.config("generate.yaml"), "--policy",
                                         os.path.join(train, "run.h5"), "--out",
                                         os.path.join(out, "g3"), "--snapshot", "3"])
        self.assertEqual(rc, 2, se)
        self.assertIn("it holds: final, snapshot_000002, snapshot_000004", se)
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
