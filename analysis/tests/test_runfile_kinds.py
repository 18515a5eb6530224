"""load_run on the three kinds of run file (written by synthetic.py after the schema):
Run.kind, Run.eval (the /eval groups), Run.status and file_status (missing, unreadable,
running, killed), flatten_metrics.

    cd analysis && /usr/bin/python3 -m unittest discover -s tests -v
"""

import json
import os
import sys
import tempfile
import unittest
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402
from teamsrl_analysis import file_status, flatten_metrics, load_run, run_kind  # noqa: E402


class KindTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_kind_of_each_command(self):
        tables = {"train": synthetic.train_tables(2), "generate": synthetic.dataset_tables(),
                  "baseline": synthetic.dataset_tables(roles=(0, 2, 1))}
        for kind, t in tables.items():
            path = synthetic.write_run(os.path.join(self.dir, kind + ".h5"), kind, t)
            run = load_run(path)
            self.assertEqual(run.kind, kind)
            self.assertEqual(run.status, "completed")
            # Every table is there, filled or empty, like the binary writes them.
            self.assertEqual(sorted(run), sorted(["iterations", "episodes", "steps", "calls",
                                                  "budget", "samples"]))
            if kind == "train":
                self.assertEqual(len(run.steps), len(t["steps"]))
                self.assertEqual(len(run.samples), 0)
            else:
                self.assertEqual(len(run.steps), 0)
                self.assertEqual(len(run.samples), len(t["samples"]))
                self.assertEqual(list(run.samples.action.cat.categories), synthetic.ACTIONS)

    def test_run_kind_reads_the_subcommand_word(self):
        cases = [
            ({"command": "/opt/bin/teamsrl train experiments/baseline.yaml --out x"}, "train"),
            ({"command": "teamsrl generate generate.yaml --policy train/run.h5"}, "generate"),
            ({"command": "teamsrl baseline cfg.yaml --set generate.steps=2"}, "baseline"),
            # no subcommand in the command line: the sweep stage, then generate's attribute
            ({"command": "", "sweep_stage": "baseline"}, "baseline"),
            ({"policy_file": "run.h5"}, "generate"),
            ({"command": "teamsrl inspect run.h5"}, "unknown"),
            ({}, "unknown"),
        ]
        for attrs, kind in cases:
            self.assertEqual(run_kind(attrs), kind, attrs)


class EvalTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_eval_groups_parsed_from_json(self):
        m1, m2 = synthetic.metrics(0.4), synthetic.metrics(0.9, eliminated=6)
        path = synthetic.write_run(os.path.join(self.dir, "g.h5"), "generate",
                                   synthetic.dataset_tables(), evals={"dataset": m1, "other": m2})
        run = load_run(path)
        self.assertEqual(run.eval, {"dataset": m1, "other": m2})
        self.assertIsNone(run.eval["dataset"]["not_equal_rate"])  # n/a stays None

    def test_eval_without_json_is_rebuilt_from_the_attributes(self):
        m = synthetic.metrics(0.4)
        path = synthetic.write_run(os.path.join(self.dir, "g.h5"), "generate",
                                   synthetic.dataset_tables(), evals={"dataset": m},
                                   eval_json=False)
        got = load_run(path).eval["dataset"]
        self.assertEqual(got["rouge_l_nn"]["mean"], 0.7)
        self.assertEqual(got["instruction_words"]["p90"], 37.1)
        self.assertNotIn("not_equal_rate", got)  # n/a is not written as an attribute

    def test_no_eval_group_is_an_empty_dict(self):
        path = synthetic.write_run(os.path.join(self.dir, "r.h5"), "train",
                                   synthetic.train_tables(2))
        self.assertEqual(load_run(path).eval, {})

    def test_flatten_metrics_matches_the_attribute_names(self):
        m = synthetic.metrics(0.4)
        path = synthetic.write_run(os.path.join(self.dir, "g.h5"), "generate",
                                   synthetic.dataset_tables(), evals={"dataset": m})
        with h5py.File(path, "r") as f:
            attrs = {k for k in f["/eval/dataset"].attrs if k != "json"}
        flat = flatten_metrics(load_run(path).eval["dataset"])
        # Same keys as the writer's attributes, plus the n/a metric it leaves out.
        self.assertEqual(set(flat) - {"not_equal_rate"}, attrs)
        self.assertEqual(flat["rouge_l_nn.share_ge_threshold"], 0.53)
        self.assertEqual(flat["action_mix.breadth.share"], 1 / 3)


class StatusTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_missing_and_unreadable(self):
        self.assertEqual(file_status(self.path("none.h5")), "missing")
        with open(self.path("junk.h5"), "w") as f:
            f.write("not hdf5\n")
        self.assertEqual(file_status(self.path("junk.h5")), "unreadable")

    def test_each_status_attribute(self):
        for status in ("completed", "failed", "budget_exhausted", "preempted"):
            p = synthetic.write_run(self.path(status + ".h5"), "train", synthetic.train_tables(1),
                                    status=status)
            self.assertEqual(file_status(p), status)
            self.assertEqual(load_run(p).status, status)

    def test_running_with_a_live_writer_stays_running(self):
        # This process stands in for the writer: it is alive.
        p = synthetic.write_run(self.path("live.h5"), "train", synthetic.train_tables(1),
                                status="running", commit="idle", pid=os.getppid())
        self.assertEqual(file_status(p), "running")
        self.assertEqual(load_run(p).status, "running")

    def test_running_with_a_dead_writer_is_killed(self):
        p = synthetic.write_run(self.path("dead.h5"), "train", synthetic.train_tables(3),
                                status="running", commit="idle", pid=synthetic.dead_pid())
        self.assertEqual(file_status(p), "killed")
        run = load_run(p)
        self.assertEqual(run.status, "killed")
        self.assertEqual(run.attrs["status"], "running")  # the file itself says running
        self.assertEqual(len(run.iterations), 3)

    def test_running_without_commit_record_is_running(self):
        p = synthetic.write_run(self.path("legacy.h5"), "train", synthetic.train_tables(1),
                                status="running", commit=None)
        self.assertEqual(file_status(p), "running")

    def test_killed_file_reads_only_committed_rows(self):
        t = synthetic.train_tables(4)
        p = synthetic.write_run(self.path("k.h5"), "train", t, status="running", commit="idle",
                                pid=synthetic.dead_pid())
        with open(p + ".commit") as f:
            record = json.load(f)
        # The writer had committed 2 of the 4 iterations when it died.
        record["rows"]["iterations"] = 2
        with open(p + ".commit", "w") as f:
            json.dump(record, f)
        run = load_run(p)
        self.assertEqual(run.status, "killed")
        np.testing.assert_array_equal(run.iterations.iteration, [0, 1])


if __name__ == "__main__":
    unittest.main()
