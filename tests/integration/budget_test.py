"""budget.max_queries stops training cleanly at the next iteration boundary: status
budget_exhausted, a stop_reason, every written iteration readable, exit 0. Calls answered
from the response cache count as queries and tokens but cost nothing (issue 10 item 12)."""
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

    def test_replayed_calls_count_but_cost_nothing(self):
        tmp = common.tmpdir("budget_replay")
        cache = os.path.join(tmp, "cache")
        prices = ["--set", "llm.endpoints.sim.price_prompt_per_1k=0.5",
                  "--set", "llm.endpoints.sim.price_completion_per_1k=1.5"]

        def train(name, *extra):
            out = os.path.join(tmp, name)
            rc, _, se, _ = common.mpirun(
                1, ["train", common.config("quickstart.yaml"), "--out", out, "--quiet",
                    "--set", "train.iterations=3"] + prices + list(extra))
            self.assertEqual(rc, 0, se)
            with h5py.File(os.path.join(out, "run.h5"), "r") as f:
                budget = pd.DataFrame(f["/budget"][:])
                return (f.attrs["status"], len(f["/train/iterations"]),
                        budget.set_index("role"), pd.DataFrame(f["/llm/calls"][:]), se)

        cache_rw = ["--set", "llm.cache.mode=read_write", "--set", "llm.cache.path=" + cache]
        cache_replay = ["--set", "llm.cache.mode=replay", "--set", "llm.cache.path=" + cache]
        # The original, filling the cache: the endpoint answered every call and its cost is
        # the prices times the tokens, as before.
        status, iterations, original, calls, _ = train("original", *cache_rw)
        self.assertEqual((status, iterations), ("completed", 3))
        self.assertTrue((calls["cached"] == 0).all())
        expected = (0.5 * calls["prompt_tokens"].sum() + 1.5 * calls["completion_tokens"].sum()) / 1000
        self.assertGreater(expected, 0)
        self.assertAlmostEqual(original.loc[3, "cost_usd"], expected)
        cost = original.loc[3, "cost_usd"]

        # Replayed with a cost cap the original exceeded: every call is a query with its
        # tokens, none costs anything, so the cap is never reached.
        cap = ["--set", "budget.max_cost_usd=%r" % (cost / 2)]
        status, iterations, replayed, calls, _ = train("replay", *(cache_replay + cap))
        self.assertEqual((status, iterations), ("completed", 3))
        self.assertTrue((calls["cached"] == 1).all())
        for column in ("queries", "prompt_tokens", "completion_tokens"):
            self.assertEqual(list(replayed[column]), list(original[column]), column)
        self.assertEqual(list(replayed["cost_usd"]), [0.0] * 4)
        self.assertAlmostEqual(replayed.loc[3, "limit_cost_usd"], cost / 2)

        # The same cap on a run the endpoint answers stops it, as before.
        status, iterations, capped, _, se = train("capped", *cap)
        self.assertEqual(status, "budget_exhausted")
        self.assertLess(iterations, 3)
        self.assertIn("budget.max_cost_usd", se)
        self.assertGreaterEqual(capped.loc[3, "cost_usd"], cost / 2)

        # A query cap counts replayed calls: the replay stops where the original did.
        queries = ["--set", "budget.max_queries=150"]  # 96 queries per iteration
        stopped = train("queries", *queries)
        stopped_replay = train("queries_replay", *(cache_replay + queries))
        self.assertEqual(stopped[:2], ("budget_exhausted", 2))
        self.assertEqual(stopped_replay[:2], stopped[:2])
        self.assertEqual(list(stopped_replay[2]["queries"]), list(stopped[2]["queries"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
