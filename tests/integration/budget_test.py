"""budget.max_queries stops training cleanly at the next iteration boundary: status
budget_exhausted, a stop_reason, every written iteration readable, exit 0."""
import os
import sys
import unittest

import h5py
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class BudgetTest(unittest.TestCase):
    def test_query_cap_stops_at_iteration_boundary(self):
        out = common.tmpdir("budget")
        # quickstart: 8 actors x 6 steps x 2 calls = 96 queries per iteration.
        rc, so, se, _ = common.mpirun(
            2, ["train", common.config("quickstart.yaml"), "--out", out, "--quiet",
                "--set", "budget.max_queries=500"])
        self.assertEqual(rc, 0, se)
        self.assertIn("stopping after 6 of 30 iterations: budget.max_queries (500) reached: 576 "
                      "queries", se)
        with h5py.File(os.path.join(out, "run.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "budget_exhausted")
            self.assertIn("budget.max_queries", f.attrs["stop_reason"])
            it = pd.DataFrame(f["/train/iterations"][:])
            self.assertEqual(len(it), 6)  # 6 x 96 = 576 >= 500 > 5 x 96
            budget = pd.DataFrame(f["/budget"][:])
            total = budget[budget["role"] == 3].iloc[0]
            self.assertEqual(total["queries"], 576)
            self.assertEqual(total["limit_queries"], 500)
            self.assertEqual(len(f["/llm/calls"]), 576)
            self.assertIn("final", f["/policy"])

    def test_per_role_cap(self):
        out = common.tmpdir("budget_role")
        # 8 actors x 6 steps = 48 reviewer calls per iteration: 5 x 48 = 240 >= 200.
        rc, so, se, _ = common.mpirun(
            2, ["train", common.config("quickstart.yaml"), "--out", out, "--quiet",
                "--set", "budget.reviewer.max_queries=200"])
        self.assertEqual(rc, 0, se)
        self.assertIn("budget.reviewer.max_queries (200) reached: 240 queries", se)
        with h5py.File(os.path.join(out, "run.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "budget_exhausted")
            self.assertEqual(len(f["/train/iterations"]), 5)
            budget = pd.DataFrame(f["/budget"][:])
            reviewer = budget[budget["role"] == 1].iloc[0]
            self.assertEqual(reviewer["queries"], 240)
            self.assertEqual(reviewer["limit_queries"], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
