"""load_sweep on a sweep directory written after the manifest and the schema
(synthetic.py): task table against sweep.json, statuses (missing, unreadable, killed,
eval from /eval/dataset), tidy tables against each run's own table, final_values and
scores against direct computations.

    cd analysis && /usr/bin/python3 -m unittest discover -s tests -v
"""

import json
import os
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402
from teamsrl_analysis import (aggregate_table, final_values, load_run, load_sweep,  # noqa: E402
                              scores, variant_labels)


def _value(text):
    try:
        return int(text)
    except ValueError:
        return text


class SweepFixture(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = os.path.join(self.tmp.name, "sw")
        os.makedirs(self.dir)
        self.manifest = synthetic.write_sweep(self.dir)
        self.by_id = {t["id"]: t for t in self.manifest["tasks"]}

    def tearDown(self):
        self.tmp.cleanup()

    def ids(self, stage):
        return [t["id"] for t in self.manifest["tasks"] if t["stage"] == stage]


class TaskTableTest(SweepFixture):
    def test_columns_match_the_manifest(self):
        sw = load_sweep(self.dir)
        self.assertEqual(sw.axes, ["policy.type"])
        self.assertEqual(list(sw.tasks.task), [t["id"] for t in self.manifest["tasks"]])
        for _, row in sw.tasks.iterrows():
            t = self.by_id[row.task]
            self.assertEqual(row.stage, t["stage"])
            self.assertEqual(row.run_file, t["run_file"])
            self.assertEqual(row.ranks, t["ranks"])
            self.assertEqual(row["repeat"], t["repeat"])
            self.assertEqual(list(row.deps), t["deps"])
            self.assertEqual(row.seed, int(t["point"]["run.seed"]))
            self.assertEqual(row["policy.type"], t["point"].get("policy.type"))
            self.assertEqual(row.status, "completed")
        self.assertEqual(sw.manifest, self.manifest)
        self.assertEqual(len(sw.runs), len(self.ids("train")) + len(self.ids("generate")) +
                         len(self.ids("baseline")))

    def test_sweep_json_path_works_too(self):
        sw = load_sweep(os.path.join(self.dir, "sweep.json"))
        self.assertEqual(len(sw.tasks), len(self.manifest["tasks"]))

    def test_no_manifest_is_a_clear_error(self):
        with self.assertRaisesRegex(FileNotFoundError, "sweep manifest"):
            load_sweep(self.tmp.name)

    def test_moved_directory_finds_its_files(self):
        moved = os.path.join(self.tmp.name, "moved")
        shutil.move(self.dir, moved)
        sw = load_sweep(moved)
        self.assertTrue((sw.tasks.status == "completed").all(), sw.tasks)
        self.assertTrue(all(p.startswith(moved) for p in sw.tasks.run_file))


class StatusTest(SweepFixture):
    def test_missing_unreadable_killed_and_eval(self):
        train = self.ids("train")
        gen = self.ids("generate")
        os.remove(self.by_id[train[0]]["run_file"])                      # missing
        with open(self.by_id[train[1]]["run_file"], "w") as f:           # unreadable
            f.write("garbage")
        synthetic.write_run(self.by_id[train[2]]["run_file"], "train",   # killed
                            synthetic.train_tables(2), status="running", commit="idle",
                            pid=synthetic.dead_pid())
        synthetic.write_run(self.by_id[gen[0]]["run_file"], "generate",  # not evaluated
                            synthetic.dataset_tables())
        sw = load_sweep(self.dir)
        status = sw.tasks.set_index("task").status
        self.assertEqual(status[train[0]], "missing")
        self.assertEqual(status[train[1]], "unreadable")
        self.assertIn("OSError", sw.tasks.set_index("task").error[train[1]])
        self.assertEqual(status[train[2]], "killed")
        self.assertEqual(status[gen[0]], "completed")
        eval_of = {t["deps"][0]: t["id"] for t in self.manifest["tasks"] if t["stage"] == "eval"}
        self.assertEqual(status[eval_of[gen[0]]], "missing")
        self.assertEqual(status[eval_of[gen[1]]], "completed")
        self.assertEqual((status == "completed").sum(), len(status) - 4)
        # Missing and unreadable tasks have no run and leave the tables alone.
        self.assertNotIn(train[0], sw.runs)
        self.assertNotIn(train[1], sw.runs)
        with self.assertRaisesRegex(KeyError, "missing"):
            sw.run(train[0])
        self.assertEqual(set(sw.iterations.task), set(train[2:]))
        # The killed task counts in the tables, with its status, not in default scores.
        self.assertEqual(set(sw.iterations.task_status), {"completed", "killed"})
        s = scores(sw, by=["policy.type"])
        self.assertEqual(sum(len(v) for v in s.values()), len(train) - 3)
        s_all = scores(sw, by=["policy.type"], statuses=None)
        self.assertEqual(sum(len(v) for v in s_all.values()), len(train) - 2)


class TablesTest(SweepFixture):
    def test_tables_are_the_runs_with_task_columns(self):
        sw = load_sweep(self.dir)
        runs = {t["id"]: load_run(t["run_file"]) for t in self.manifest["tasks"]
                if t["stage"] != "eval"}
        for name in ("iterations", "episodes", "steps", "calls", "budget", "samples"):
            frame = getattr(sw, name)
            self.assertEqual(len(frame), sum(len(r[name]) for r in runs.values()), name)
            self.assertEqual(list(frame.columns[:7]), sw.task_columns)
            for task, part in frame.groupby("task", sort=False):
                t = self.by_id[task]
                own = runs[task][name]
                pd.testing.assert_frame_equal(part[own.columns].reset_index(drop=True), own,
                                              check_categorical=False)
                self.assertTrue((part.stage == t["stage"]).all())
                self.assertTrue((part.seed == int(t["point"]["run.seed"])).all())
                if "policy.type" in t["point"]:
                    self.assertTrue((part["policy.type"] == t["point"]["policy.type"]).all())
                else:
                    self.assertTrue(part["policy.type"].isna().all())
        # /llm/calls keeps its own status next to the task's.
        self.assertEqual(set(sw.calls.status.astype(str)), {"OK"})
        self.assertEqual(set(sw.calls.task_status), {"completed"})

    def test_eval_frame(self):
        sw = load_sweep(self.dir)
        ev = sw.eval
        holders = self.ids("generate") + self.ids("baseline")
        self.assertEqual(sorted(ev.task), sorted(holders))
        eval_of = {t["deps"][0]: t["id"] for t in self.manifest["tasks"] if t["stage"] == "eval"}
        for _, row in ev.iterrows():
            metrics = load_run(self.by_id[row.task]["run_file"]).eval["dataset"]
            self.assertEqual(row.eval_name, "dataset")
            self.assertEqual(row.eval_task, eval_of[row.task])
            self.assertEqual(row["distinct_2"], metrics["distinct_2"])
            self.assertEqual(row["rouge_l_nn.mean"], metrics["rouge_l_nn"]["mean"])
            self.assertEqual(row.stage, self.by_id[row.task]["stage"])


class ScoresTest(SweepFixture):
    def test_final_values(self):
        sw = load_sweep(self.dir)
        fv = final_values(sw)
        self.assertEqual(list(fv.task), self.ids("train"))
        for _, row in fv.iterrows():
            its = load_run(self.by_id[row.task]["run_file"]).iterations
            self.assertEqual(row.mean_return, its.mean_return.iloc[-1])
        fv3 = final_values(sw, last=3)
        for _, row in fv3.iterrows():
            its = load_run(self.by_id[row.task]["run_file"]).iterations
            self.assertAlmostEqual(row.mean_return, its.mean_return.iloc[-3:].mean())
        # Per-step table: the mean reward over the steps of the last iteration.
        fs = final_values(sw, "reward", table="steps")
        for _, row in fs.iterrows():
            steps = load_run(self.by_id[row.task]["run_file"]).steps
            self.assertAlmostEqual(row.reward,
                                   steps.reward[steps.iteration == steps.iteration.max()].mean())
        with self.assertRaisesRegex(ValueError, "no iteration column"):
            final_values(sw, "queries", table="budget")

    def test_scores_seeds_as_runs(self):
        sw = load_sweep(self.dir)
        s = scores(sw, "mean_return", by=["policy.type"])
        self.assertEqual(list(s), ["categorical", "uniform"])
        for variant, array in s.items():
            self.assertEqual(array.shape, (3, 1))
            tasks = [t for t in self.manifest["tasks"] if t["stage"] == "train" and
                     t["point"]["policy.type"] == variant]
            tasks.sort(key=lambda t: int(t["point"]["run.seed"]))
            want = [load_run(t["run_file"]).iterations.mean_return.iloc[-1] for t in tasks]
            np.testing.assert_array_equal(array[:, 0], want)
        # What aggregate_table takes, as the ablation notebook does.
        table = aggregate_table(s, reps=50)
        self.assertEqual(list(table.index), ["categorical", "uniform"])
        self.assertEqual(list(table.runs), [3, 3])

    def test_scores_of_eval_metrics_by_stage(self):
        sw = load_sweep(self.dir)
        s = scores(sw, "distinct_2", table="eval", by=["stage", "policy.type"])
        self.assertEqual(list(s), ["stage=generate, policy.type=categorical",
                                   "stage=generate, policy.type=uniform", "stage=baseline"])
        np.testing.assert_allclose(s["stage=generate, policy.type=uniform"][:, 0],
                                   [0.4 + 0.01 * k + 0.1 for k in (1, 2, 3)])
        np.testing.assert_allclose(s["stage=baseline"][:, 0], [0.6] * 3)

    def test_scores_with_a_task_dimension(self):
        sw = load_sweep(self.dir)
        fv = final_values(sw)
        # Two "tasks": the metric as is and shifted, as if from two environments.
        frame = pd.concat([fv.assign(env="a"), fv.assign(env="b", mean_return=fv.mean_return + 1)])
        s = scores(frame, "mean_return", by=["policy.type"], tasks="env")
        for variant, array in s.items():
            self.assertEqual(array.shape, (3, 2))
            np.testing.assert_allclose(array[:, 1] - array[:, 0], 1.0)
            np.testing.assert_array_equal(
                array[:, 0], fv[fv["policy.type"] == variant].sort_values("seed").mean_return)
        with self.assertRaisesRegex(ValueError, "without a value"):
            scores(frame.iloc[:-1], "mean_return", by=["policy.type"], tasks="env")

    def test_variant_labels(self):
        frame = pd.DataFrame({"a": [1, 2, None], "b": ["x", "y", "z"]})
        self.assertEqual(list(variant_labels(frame, ["a"])), ["1.0", "2.0", "-"])
        self.assertEqual(list(variant_labels(frame, ["b", "a"])),
                         ["b=x, a=1.0", "b=y, a=2.0", "b=z"])
        with self.assertRaisesRegex(ValueError, "no column"):
            variant_labels(frame, ["c"])

    def test_manifest_point_values_are_typed(self):
        t = self.manifest["tasks"][0]
        t["point"]["algo.learning_rate"] = "0.01"
        t["point"]["env.carry_over"] = "true"
        with open(os.path.join(self.dir, "sweep.json"), "w") as f:
            json.dump(self.manifest, f)
        row = load_sweep(self.dir).tasks.iloc[0]
        self.assertEqual(row["algo.learning_rate"], 0.01)
        self.assertIs(row["env.carry_over"], True)


if __name__ == "__main__":
    unittest.main()
