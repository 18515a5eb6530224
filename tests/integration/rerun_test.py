"""Reruns of generate (issue 10 items 1 and 6). A run stopped by a budget cap and rerun
spends nothing more: the committed totals count, and no chunk starts once a cap is reached
(before: every rerun spent one more chunk). A rerun of a completed run changes nothing:
generate.h5, with the /eval group `eval --run` added, stays byte for byte. A completed run
leaves no call journal (calls.bin) and no .lock; one stopped by a cap keeps its journal
(issue 10 item 12)."""
import hashlib
import json
import os
import sys
import unittest

import h5py
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def responder_queries(h5):
    with h5py.File(h5, "r") as f:
        budget = pd.DataFrame(f["/budget"][:])
        return int(budget[budget["role"] == 2].iloc[0]["queries"]), f.attrs["status"]


class RerunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = common.tmpdir("rerun")
        cls.policy = common.train_policy(os.path.join(cls.tmp, "train"), ranks=2, iterations=2)

    def generate(self, out, *extra):
        return common.mpirun(2, ["generate", common.config("generate.yaml"), "--policy",
                                 self.policy, "--out", out, "--quiet"] + list(extra))

    def test_budget_cap_holds_across_reruns(self):
        out = os.path.join(self.tmp, "capped")
        cap = ["--set", "generate.chunk_size=10", "--set", "budget.responder.max_queries=30"]
        seen = []
        for attempt in range(4):
            rc, so, se, _ = self.generate(out, *cap)
            self.assertEqual(rc, 0, se)
            seen.append(responder_queries(os.path.join(out, "generate.h5")))
            if attempt > 0:
                self.assertIn("not starting a chunk at seed 10: budget.responder.max_queries "
                              "(30) reached", se)
        # 10 seeds x 6 steps in the first chunk; nothing after it, however often rerun.
        self.assertEqual(seen, [(60, "budget_exhausted")] * 4)
        self.assertTrue(os.path.exists(os.path.join(out, "calls.bin")), "needed to continue")
        self.assertFalse(os.path.exists(os.path.join(out, ".lock")))
        with open(os.path.join(out, "dataset.jsonl")) as f:
            self.assertEqual(sum(1 for _ in f), 60)
        # Raising the cap continues from the committed totals.
        rc, _, se, _ = self.generate(out, "--set", "generate.chunk_size=10",
                                     "--set", "budget.responder.max_queries=90")
        self.assertEqual(rc, 0, se)
        self.assertEqual(responder_queries(os.path.join(out, "generate.h5")),
                         (120, "budget_exhausted"))

    def test_rerun_of_a_completed_run_changes_nothing(self):
        out = os.path.join(self.tmp, "done")
        seeds = os.path.join(self.tmp, "seeds.txt")
        with open(seeds, "w") as f:
            f.write("Name three rivers.\nExplain tides.\nWrite a haiku.\n")
        args = ["--set", "env.seeds.path=" + seeds]
        rc, _, se, _ = self.generate(out, *args)
        self.assertEqual(rc, 0, se)
        self.assertEqual(sorted(os.listdir(out)),
                         ["dataset.jsonl", "generate.h5", "generate.h5.commit", "progress.json"])
        h5 = os.path.join(out, "generate.h5")
        with open(os.path.join(out, "dataset.jsonl")) as f:
            queries = sum(json.loads(line)["queries"] for line in f)
        with h5py.File(h5, "r") as f:  # the journal's rows are in the run file
            self.assertEqual(len(f["/llm/calls"]), queries)
        p = common.mpirun(1, ["eval", os.path.join(out, "dataset.jsonl"), "--run", h5])
        self.assertEqual(p[0], 0, p[2])
        p = common.mpirun(1, ["inspect", h5])
        self.assertEqual(p[0], 0, p[2])
        self.assertIn("completed", p[1])
        p = common.mpirun(1, ["export", os.path.join(out, "dataset.jsonl"), "--out",
                              os.path.join(self.tmp, "done_alpaca.json")])
        self.assertEqual(p[0], 0, p[2])
        before = {name: sha(os.path.join(out, name)) for name in ("generate.h5", "dataset.jsonl")}
        rc, so, se, _ = self.generate(out, *args)
        self.assertEqual(rc, 0, se)
        self.assertIn("already complete: 3 seeds, 18 samples; nothing sent or changed", so)
        after = {name: sha(os.path.join(out, name)) for name in ("generate.h5", "dataset.jsonl")}
        self.assertEqual(before, after)
        with h5py.File(h5, "r") as f:
            self.assertIn("eval", f)
        self.assertFalse(os.path.exists(os.path.join(out, "calls.bin")))
        # --overwrite starts over and completes the same way.
        rc, _, se, _ = self.generate(out, *(args + ["--overwrite"]))
        self.assertEqual(rc, 0, se)
        self.assertEqual(sha(os.path.join(out, "dataset.jsonl")), before["dataset.jsonl"])
        self.assertEqual(sorted(os.listdir(out)), ["dataset.jsonl", "generate.h5", "generate.h5.commit",
                                                   "progress.json"])
        # Without its journal a lost run file cannot be rebuilt: the rerun says so.
        os.remove(h5)
        rc, _, se, _ = self.generate(out, *args)
        self.assertEqual(rc, 2, se)
        self.assertIn("calls.bin) was removed when the run completed", se)
        self.assertIn("pass --overwrite", se)


if __name__ == "__main__":
    unittest.main(verbosity=2)
