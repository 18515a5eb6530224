"""`teamsrl eval DATASET --run RUN.h5` writes the metrics into the run file's /eval/dataset
group, readable with h5py next to the run's own tables."""
import json
import os
import subprocess
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class EvalRunTest(unittest.TestCase):
    def test_metrics_land_in_the_generate_file(self):
        out = common.tmpdir("evalrun")
        rc, _, se, _ = common.mpirun(2, ["train", common.config("quickstart.yaml"), "--out",
                                         os.path.join(out, "train"), "--quiet",
                                         "--set", "train.iterations=2"])
        self.assertEqual(rc, 0, se)
        rc, _, se, _ = common.mpirun(2, ["generate", common.config("generate.yaml"), "--policy",
                                         os.path.join(out, "train", "run.h5"), "--out",
                                         os.path.join(out, "gen"), "--quiet",
                                         "--set", "generate.max_samples=30"])
        self.assertEqual(rc, 0, se)
        gen = os.path.join(out, "gen")
        p = subprocess.run([common.BIN, "eval", os.path.join(gen, "dataset.jsonl"), "--run",
                            os.path.join(gen, "generate.h5"), "--json",
                            os.path.join(out, "m.json")], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "m.json")) as f:
            metrics = json.load(f)
        with h5py.File(os.path.join(gen, "generate.h5"), "r") as f:
            g = f["/eval/dataset"]
            self.assertEqual(g.attrs["records"], 30)
            self.assertEqual(g.attrs["queries_total"], 60)  # 2 expert queries per sample
            self.assertEqual(json.loads(g.attrs["json"]), metrics)
            self.assertEqual(len(f["/dataset/samples"]), 30)


if __name__ == "__main__":
    unittest.main(verbosity=2)
