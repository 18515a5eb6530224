"""teamsrl_analysis on files the real binary writes (ctest `analysis_files`): train,
generate, baseline and eval --run into the h5 files, a train run SIGKILLed mid-way, and a
`teamsrl sweep --local` of 2 policies x 2 seeds. Checks load_run (kind, eval against
`eval --json`, tables against the commit record), load_sweep (tasks against sweep.json,
statuses missing/killed/eval after deleting and replacing files, tables against the runs,
eval metrics against the attributes read with h5py) and every figure on them.

Needs the binary in TEAMSRL_BIN (ctest sets it); skipped without it:

    TEAMSRL_BIN=build/bin/teamsrl PYTHONPATH=analysis /usr/bin/python3 analysis/tests/files_test.py

Not named test_*.py: `analysis_unittest` (pure Python, no binary) does not collect it.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from teamsrl_analysis import (file_status, flatten_metrics, load_run, load_sweep,  # noqa: E402
                              plots, read_commit, scores)

BIN = os.environ.get("TEAMSRL_BIN", "")
SOURCE = os.environ.get("TEAMSRL_SOURCE_DIR", str(Path(__file__).resolve().parents[2]))
EXPERIMENTS = os.path.join(SOURCE, "experiments")
TMP = None
FILES = {}

GRID = """base: {base}
out_dir: {out}
set: {{train.iterations: 4, generate.max_samples: 24, env.seeds.path: {seeds}}}
grid:
  policy.type: [categorical, uniform]
seeds: 2
stages: [train, generate, baseline, eval]
"""


def teamsrl(*args, timeout=120):
    p = subprocess.run(["nice", BIN] + [str(a) for a in args], capture_output=True, text=True,
                       cwd=SOURCE, timeout=timeout, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError(f"teamsrl {' '.join(map(str, args))}: exit {p.returncode}\n"
                             f"{p.stderr[-2000:]}")
    return p


def setUpModule():
    global TMP
    if not BIN:
        raise unittest.SkipTest("TEAMSRL_BIN is not set: these tests run the teamsrl binary "
                                "(ctest -R analysis_files sets it)")
    if not os.access(BIN, os.X_OK):
        raise unittest.SkipTest(f"TEAMSRL_BIN={BIN} is not an executable")
    TMP = tempfile.mkdtemp(prefix="analysis_files_")
    seeds = os.path.join(TMP, "seeds.jsonl")
    with open(os.path.join(EXPERIMENTS, "seeds", "teamsrl_seeds.jsonl")) as f, \
            open(seeds, "w") as out:
        out.writelines(f.readlines()[:12])
    FILES["seeds"] = seeds
    small = ["--progress", "off", "--set", f"env.seeds.path={seeds}"]
    train = os.path.join(TMP, "train")
    teamsrl("train", os.path.join(EXPERIMENTS, "quickstart.yaml"), "--out", train,
            "--set", "train.iterations=5", *small)
    FILES["train"] = os.path.join(train, "run.h5")
    gen, base = os.path.join(TMP, "gen"), os.path.join(TMP, "base")
    teamsrl("generate", os.path.join(EXPERIMENTS, "generate.yaml"), "--policy", FILES["train"],
            "--out", gen, "--set", "generate.max_samples=30", *small)
    teamsrl("baseline", os.path.join(EXPERIMENTS, "baseline.yaml"), "--out", base, *small)
    FILES["generate"] = os.path.join(gen, "generate.h5")
    FILES["baseline"] = os.path.join(base, "baseline.h5")
    for name, d in (("generate", gen), ("baseline", base)):
        teamsrl("eval", os.path.join(d, "dataset.jsonl"), "--run", FILES[name],
                "--json", os.path.join(d, "metrics.json"))


def tearDownModule():
    if TMP and not os.environ.get("KEEP_TMP"):
        shutil.rmtree(TMP, ignore_errors=True)


def killed_train(out: str) -> str:
    """A training run SIGKILLed after it committed two iterations; its run file."""
    path = os.path.join(out, "run.h5")
    proc = subprocess.Popen([BIN, "train", os.path.join(EXPERIMENTS, "quickstart.yaml"),
                             "--out", out, "--progress", "off", "--set", "train.iterations=500",
                             "--set", "llm.endpoints.sim.latency_ms=5"],
                            cwd=SOURCE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            record = read_commit(path)
            if record and record["rows"]["iterations"] >= 2 and record["state"] == "idle":
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the training run committed no 2 iterations in 60 s")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return path


class RunFilesTest(unittest.TestCase):
    def test_kinds_and_statuses(self):
        for kind in ("train", "generate", "baseline"):
            run = load_run(FILES[kind])
            self.assertEqual(run.kind, kind)
            self.assertEqual(run.status, "completed")
            self.assertEqual(file_status(FILES[kind]), "completed")

    def test_tables_have_the_committed_rows(self):
        for kind in ("train", "generate", "baseline"):
            run = load_run(FILES[kind])
            rows = read_commit(FILES[kind])["rows"]
            for name in ("iterations", "episodes", "steps", "calls", "budget", "samples"):
                self.assertEqual(len(run[name]), rows[name], (kind, name))
            self.assertEqual(len(run.texts), rows["texts"])
        run = load_run(FILES["generate"])
        self.assertGreater(len(run.samples), 0)
        self.assertEqual(len(run.steps), 0)

    def test_eval_equals_eval_json(self):
        for kind in ("generate", "baseline"):
            run = load_run(FILES[kind])
            with open(os.path.join(os.path.dirname(FILES[kind]), "metrics.json")) as f:
                want = json.load(f)
            self.assertEqual(list(run.eval), ["dataset"])
            self.assertEqual(run.eval["dataset"], want)
            # The flattened attributes are flatten_metrics of it (n/a ones are left out).
            with h5py.File(FILES[kind], "r") as f:
                attrs = {k: (v.decode() if isinstance(v, bytes) else v)
                         for k, v in f["/eval/dataset"].attrs.items() if k != "json"}
            flat = {k: v for k, v in flatten_metrics(want).items() if v is not None}
            self.assertEqual(set(attrs), set(flat))
            for key, value in flat.items():
                if isinstance(value, (int, float)):
                    self.assertAlmostEqual(float(attrs[key]), float(value), msg=key)
        self.assertEqual(load_run(FILES["train"]).eval, {})

    def test_killed_run(self):
        path = killed_train(os.path.join(TMP, "killed"))
        record = read_commit(path)
        self.assertEqual(file_status(path), "killed")
        run = load_run(path)
        self.assertEqual(run.status, "killed")
        self.assertEqual(run.attrs["status"], "running")
        self.assertEqual(len(run.iterations), record["rows"]["iterations"])
        self.assertGreaterEqual(len(run.iterations), 2)
        plots.check_figure(plots.learning_curves({"killed": [run]}))

    def test_figures_of_real_runs(self):
        train, gen, base = (load_run(FILES[k]) for k in ("train", "generate", "baseline"))
        for fig in (plots.action_mix(train), plots.action_mix(gen), plots.action_mix(base),
                    plots.calls_by_role(train), plots.calls_by_role(gen),
                    plots.calls_by_role(base), plots.teams_vs_evol(gen, base, train),
                    plots.reward_vs_queries({"quickstart": [train]}),
                    plots.learning_curves({"quickstart": [train]})):
            plots.check_figure(fig)
        shares = plots.action_shares(train)
        counts = train.steps.groupby("iteration").action.value_counts(normalize=True)
        for (it, action), share in counts.items():
            self.assertAlmostEqual(shares.at[it, action], share)
        table = plots.query_table(gen, base, train)
        # The paper's ratio: generate's expert queries over the baseline's queries.
        self.assertEqual(table.at["total", "teams_rl"], len(gen.calls))
        self.assertEqual(table.at["total", "evol_instruct"], len(base.calls))
        self.assertEqual(table.at["total", "teams_rl_training"], len(train.calls))
        self.assertEqual(table.at["reviewer", "teams_rl"], 0)  # no `equal` rule in generate


class SweepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = os.path.join(TMP, "sweep")
        grid = os.path.join(TMP, "grid.yaml")
        with open(grid, "w") as f:
            f.write(GRID.format(base=os.path.join(EXPERIMENTS, "quickstart.yaml"), out=cls.dir,
                                seeds=FILES["seeds"]))
        teamsrl("sweep", grid, "--local", "-j", "2", timeout=300)
        with open(os.path.join(cls.dir, "sweep.json")) as f:
            cls.manifest = json.load(f)
        cls.by_id = {t["id"]: t for t in cls.manifest["tasks"]}

    def test_tasks_match_the_manifest(self):
        sw = load_sweep(self.dir)
        self.assertEqual(len(sw.tasks), 16)
        self.assertEqual(sw.axes, ["policy.type"])
        self.assertTrue((sw.tasks.status == "completed").all(), sw.tasks)
        for _, row in sw.tasks.iterrows():
            t = self.by_id[row.task]
            self.assertEqual((row.stage, row.run_file, row["ranks"], row["repeat"]),
                             (t["stage"], t["run_file"], t["ranks"], t["repeat"]))
            self.assertEqual(str(row.seed), t["point"]["run.seed"])
            if "policy.type" in t["point"]:
                self.assertEqual(row["policy.type"], t["point"]["policy.type"])
            if t["stage"] != "eval":
                # The run file records its task (sweep provenance attributes).
                self.assertEqual(sw.runs[row.task].attrs["sweep_task"], row.task)
                self.assertEqual(json.loads(sw.runs[row.task].attrs["sweep_point"]), t["point"])

    def test_tables_and_eval(self):
        sw = load_sweep(self.dir)
        for name in ("iterations", "steps", "calls", "samples"):
            frame = sw.table(name)
            total = 0
            for task, run in sw.runs.items():
                part = frame[frame.task == task]
                total += len(run[name])
                pd.testing.assert_frame_equal(part[run[name].columns].reset_index(drop=True),
                                              run[name], check_categorical=False)
            self.assertEqual(len(frame), total)
        ev = sw.eval
        self.assertEqual(len(ev), 6)  # 4 generate + 2 baseline
        for _, row in ev.iterrows():
            with h5py.File(self.by_id[row.task]["run_file"], "r") as f:
                attrs = dict(f["/eval/dataset"].attrs)
            for key in ("distinct_2", "rouge_l_nn.mean", "queries_total", "kept"):
                self.assertAlmostEqual(float(row[key]), float(attrs[key]), msg=key)
            eval_task = self.by_id[row.eval_task]
            self.assertEqual((eval_task["stage"], eval_task["deps"]), ("eval", [row.task]))
        s = scores(sw, "mean_return", by=["policy.type"])
        self.assertEqual({k: v.shape for k, v in s.items()},
                         {"categorical": (2, 1), "uniform": (2, 1)})
        for variant, array in s.items():
            want = sorted(((int(t["point"]["run.seed"]),
                            sw.runs[t["id"]].iterations.mean_return.iloc[-1])
                           for t in self.manifest["tasks"] if t["stage"] == "train" and
                           t["point"]["policy.type"] == variant))
            np.testing.assert_array_equal(array[:, 0], [v for _, v in want])

    def test_figures_of_the_sweep(self):
        sw = load_sweep(self.dir)
        fig = plots.learning_curves(sw, reps=200)
        plots.check_figure(fig)
        means = sw.iterations.groupby(["policy.type", "iteration"]).mean_return.mean()
        for variant in ("categorical", "uniform"):
            (line,) = [a for a in fig.findobj() if a.get_gid() == f"mean:{variant}"]
            np.testing.assert_allclose(line.get_ydata(), means[variant].to_numpy())
        for fig in (plots.reward_vs_queries(sw),
                    plots.ablation_grid(scores(sw, by=["policy.type"]), reps=200),
                    plots.ablation_grid(scores(sw, "distinct_2", table="eval", by=["stage"]),
                                        reps=200, metric="distinct-2")):
            plots.check_figure(fig)

    def test_missing_killed_and_unevaluated_tasks(self):
        copy = os.path.join(TMP, "sweep_copy")
        shutil.copytree(self.dir, copy)
        sw = load_sweep(copy)  # the manifest's absolute paths are moved into the copy
        train = list(sw.tasks.task[sw.tasks.stage == "train"])
        generate = list(sw.tasks.task[sw.tasks.stage == "generate"])
        run_file = sw.tasks.set_index("task").run_file
        os.remove(run_file[train[0]])
        killed = killed_train(os.path.join(TMP, "killed_for_sweep"))
        for suffix in ("", ".commit"):
            shutil.copy(killed + suffix, run_file[train[1]] + suffix)
        with h5py.File(run_file[generate[0]], "r+") as f:
            del f["/eval/dataset"]
        sw = load_sweep(copy)
        status = sw.tasks.set_index("task").status
        self.assertEqual(status[train[0]], "missing")
        self.assertEqual(status[train[1]], "killed")
        evals = sw.tasks[sw.tasks.stage == "eval"].set_index("task")
        of = {deps[0]: task for task, deps in evals.deps.items()}
        self.assertEqual(status[of[generate[0]]], "missing")
        self.assertEqual(status[of[generate[1]]], "completed")
        self.assertEqual((status == "completed").sum(), 13)
        self.assertNotIn(train[0], sw.runs)
        self.assertEqual(set(sw.iterations.task_status), {"completed", "killed"})
        self.assertEqual(len(sw.eval), 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
