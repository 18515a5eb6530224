"""A budget cap stops generate cleanly after the chunk that reaches it: status
budget_exhausted in generate.h5, only committed chunks in dataset.jsonl, exit 0."""
import os
import sys
import unittest

import h5py
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class GenerateBudgetTest(unittest.TestCase):
    def test_responder_cap_stops_after_a_chunk(self):
        out = common.tmpdir("genbudget")
        train = os.path.join(out, "train")
        common.train_policy(train, ranks=2, iterations=2)
        gen = os.path.join(out, "gen")
        # 10 seeds x 6 steps = 60 responder calls per chunk: the first chunk reaches 50.
        rc, so, se, _ = common.mpirun(2, ["generate", common.config("generate.yaml"), "--policy",
                                          os.path.join(train, "run.h5"), "--out", gen, "--quiet",
                                          "--set", "generate.chunk_size=10",
                                          "--set", "budget.responder.max_queries=50"])
        self.assertEqual(rc, 0, se)
        self.assertIn("budget.responder.max_queries (50) reached: 60 queries", se)
        with open(os.path.join(gen, "dataset.jsonl")) as f:
            self.assertEqual(sum(1 for _ in f), 60)
        with h5py.File(os.path.join(gen, "generate.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "budget_exhausted")
            budget = pd.DataFrame(f["/budget"][:])
            responder = budget[budget["role"] == 2].iloc[0]
            self.assertEqual(responder["queries"], 60)
            self.assertEqual(responder["limit_queries"], 50)
            self.assertEqual(len(f["/dataset/samples"]), 60)


if __name__ == "__main__":
    unittest.main(verbosity=2)
