"""The run file of a real `mpirun -np 2 teamsrl train` read back with h5py into pandas:
the values agree with each other and with what the run printed."""
import os
import re
import sys
import unittest

import h5py
import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "analysis"))
import common  # noqa: E402


class RunFileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = common.tmpdir("runfile")
        rc, so, se, _ = common.mpirun(
            2, ["train", common.config("quickstart.yaml"), "--out", cls.out,
                "--set", "train.iterations=8", "--set", "train.actors=3"])
        assert rc == 0, se
        cls.stdout, cls.stderr = so, se
        cls.path = os.path.join(cls.out, "run.h5")

    def test_printed_path_and_final_return(self):
        self.assertIn(f"run file: {self.path}", self.stdout)
        m = re.search(r"done in .* \| return ([0-9.]+) \| queries (\d+)", self.stderr)
        self.assertIsNotNone(m, self.stderr)
        with h5py.File(self.path, "r") as f:
            it = pd.DataFrame(f["/train/iterations"][:])
            self.assertAlmostEqual(it["mean_return"].iloc[-1], float(m.group(1)), places=3)
            self.assertEqual(int(it["queries"].sum()), int(m.group(2)))

    def test_tables_are_consistent(self):
        with h5py.File(self.path, "r") as f:
            self.assertEqual(f.attrs["schema_version"], 1)
            self.assertEqual(f.attrs["status"], "completed")
            self.assertEqual(f.attrs["world_size"], 2)
            self.assertEqual(f.attrs["actors"], 3)
            self.assertIn("train:", f.attrs["config_yaml"])
            it = pd.DataFrame(f["/train/iterations"][:])
            ep = pd.DataFrame(f["/train/episodes"][:])
            st = pd.DataFrame(f["/train/steps"][:])
            calls = pd.DataFrame(f["/llm/calls"][:])
            budget = pd.DataFrame(f["/budget"][:])
            texts = f["/text/strings"]
            self.assertEqual(list(it["iteration"]), list(range(8)))
            self.assertEqual(len(ep), 8 * 3)
            self.assertEqual(len(st), 8 * 3 * 6)
            # Episode return = sum of its step rewards; iteration mean = mean of episodes.
            sums = st.groupby(["iteration", "actor", "episode"])["reward"].sum().reset_index()
            merged = ep.merge(sums, on=["iteration", "actor", "episode"])
            np.testing.assert_allclose(merged["return"], merged["reward"])
            np.testing.assert_allclose(it["mean_return"], ep.groupby("iteration")["return"].mean())
            # Every call is counted once: per iteration, per episode, and in /budget.
            self.assertEqual(len(calls), int(it["queries"].sum()))
            self.assertEqual(int(ep["queries"].sum()), len(calls))
            total = budget[budget["role"] == 3]
            self.assertEqual(int(total["queries"].iloc[0]), len(calls))
            self.assertEqual(int(calls["prompt_tokens"].sum()), int(it["prompt_tokens"].sum()))
            # Reward is 1 exactly when the reviewer's stripped reply is "Not Equal" (exact mode).
            replies = [texts[i].decode() if isinstance(texts[i], bytes) else texts[i]
                       for i in st["reply_id"]]
            expected = [1.0 if r.strip() == "Not Equal" else 0.0 for r in replies]
            np.testing.assert_array_equal(st["reward"].to_numpy(), np.array(expected))
            # Actions are catalogue indices with their names attached.
            self.assertTrue(st["action"].between(0, 5).all())
            self.assertEqual(len(f["/policy/final"][:]), 6 * 64 + 64 + 64 * 64 + 64 + 64 * 6 + 6 + 6)


if __name__ == "__main__":
    unittest.main(verbosity=2)
