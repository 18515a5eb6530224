"""`teamsrl sweep GRID --local` (issue 12 items 1-3, first part): a grid of 2 policies x 2
seeds through train -> generate -> eval plus a baseline per seed (16 tasks). One train
task is made to fail (its output directory is a file); the others still run, its
generate and eval are reported as not run. Re-running the same command runs exactly
those three and leaves the completed ones alone. A task's run file equals the same
command typed by hand (`teamsrl diff`) and records its provenance (sweep id, task id,
point, stage). A sweep stopped mid-way (SIGTERM to the runner alone) and resumed ends with
the same run files as an uninterrupted one. A changed grid is reported (new and gone
tasks); a changed base config is refused unless allowed. --check-reproducible diffs the
runs of a grid over ranks and repeats."""
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import h5py  # noqa: E402
import signal  # noqa: E402

GRID = """base: {base}
out_dir: {out}
set: {{train.iterations: 2}}
grid:
  policy.type: [categorical, uniform]
seeds: 2
stages: [train, generate, baseline, eval]
"""


def sweep(grid, *args):
    env = dict(os.environ)
    env.update(common.MPI_ENV)
    t0 = time.monotonic()
    p = subprocess.run([common.BIN, "sweep", grid] + list(args), capture_output=True, text=True,
                       env=env, cwd=common.SOURCE_DIR, timeout=600)
    return p, time.monotonic() - t0


class SweepLocalTest(unittest.TestCase):
    def test_failed_task_then_resume_runs_exactly_it(self):
        tmp = common.tmpdir("sweep")
        out = os.path.join(tmp, "sw")
        grid = os.path.join(tmp, "grid.yaml")
        with open(grid, "w") as f:
            f.write(GRID.format(base=common.config("quickstart.yaml"), out=out))
        dry, _ = sweep(grid, "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn("(16 tasks)", dry.stdout)
        # The first train task's output directory is a file: that task fails.
        first = re.search(r"^([0-9a-f]{12})  train ", dry.stdout, re.M).group(1)
        os.makedirs(os.path.join(out, "train"))
        with open(os.path.join(out, "train", first), "w") as f:
            f.write("in the way\n")
        p, secs = sweep(grid, "--local", "-j", "2", "--np", "2")
        self.assertEqual(p.returncode, 1, p.stderr)
        not_run = re.findall(r"^task ([0-9a-f]{12}) \((\w+)\) (failed|not run)", p.stderr, re.M)
        self.assertEqual(len(not_run), 3, p.stderr)  # train, its generate, its eval
        self.assertIn((first, "train", "failed"), not_run)
        print(f"first pass: 16 tasks in {secs:.1f} s, 3 failed or not run")
        with open(os.path.join(out, "sweep.json")) as f:
            manifest = json.load(f)
        self.assertEqual(len(manifest["tasks"]), 16)
        os.remove(os.path.join(out, "train", first))
        p2, secs2 = sweep(grid, "--local", "-j", "2", "--np", "2")
        self.assertEqual(p2.returncode, 0, p2.stderr)
        self.assertIn("already complete 13", p2.stderr)
        status, _ = sweep(grid, "--status")
        self.assertEqual(status.returncode, 0, status.stdout)
        self.assertIn("16 tasks: 16 completed", status.stdout)
        # Provenance: every run file names its sweep, task, stage and point.
        for t in manifest["tasks"]:
            if t["stage"] == "eval":
                continue
            with h5py.File(t["run_file"], "r") as f:
                a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            self.assertEqual(a["sweep_id"], manifest["sweep_id"])
            self.assertEqual(a["sweep_task"], t["id"])
            self.assertEqual(a["sweep_stage"], t["stage"])
            self.assertEqual(json.loads(a["sweep_point"]), t["point"])
            self.assertEqual(json.loads(a["sweep_overrides"]), t["overrides"])
        print(f"resume: 3 tasks in {secs2:.1f} s")
        # The sweep's train task equals the same command by hand.
        task = next(t for t in manifest["tasks"] if t["id"] == first)
        by_hand = os.path.join(tmp, "by_hand")
        args = [a if a != task["out_dir"] else by_hand for a in task["args"]]
        rc, _, se, _ = common.mpirun(2, args)
        self.assertEqual(rc, 0, se)
        d = subprocess.run([common.BIN, "diff", os.path.join(task["out_dir"], "run.h5"),
                            os.path.join(by_hand, "run.h5")], capture_output=True, text=True)
        self.assertEqual(d.returncode, 0, d.stdout)

    def test_stopped_sweep_resumes_to_the_same_run_files(self):
        tmp = common.tmpdir("sweep_stop")
        grids = {}
        for name in ("stopped", "straight"):
            grids[name] = os.path.join(tmp, name + ".yaml")
            with open(grids[name], "w") as f:
                f.write(GRID.format(base=common.config("quickstart.yaml"),
                                    out=os.path.join(tmp, name))
                        .replace("train.iterations: 2",
                                 "train.iterations: 30, llm.endpoints.sim.latency_ms: 5")
                        .replace("baseline, eval", "eval"))
        env = dict(os.environ)
        env.update(common.MPI_ENV)
        proc = subprocess.Popen([common.BIN, "sweep", grids["stopped"], "--local", "-j", "2"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=common.SOURCE_DIR)
        # Stop while training tasks run (their progress lines say so).
        deadline = time.monotonic() + 120
        train_dir = os.path.join(tmp, "stopped", "train")
        while time.monotonic() < deadline:
            logs = [os.path.join(train_dir, d, "task.log") for d in
                    (os.listdir(train_dir) if os.path.isdir(train_dir) else [])]
            texts = []
            for p in logs:
                if os.path.exists(p):
                    with open(p) as f:
                        texts.append(f.read())
            if any("/30 (" in t for t in texts):  # a training task is under way
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)  # the runner alone: it passes the stop on
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 75, err)
        self.assertIn("stopped by SIGTERM", err)
        status, _ = sweep(grids["stopped"], "--status")
        self.assertEqual(status.returncode, 1, status.stdout)
        print("stopped:", status.stdout.strip().splitlines()[-1])
        again, _ = sweep(grids["stopped"], "--local", "-j", "2")
        self.assertEqual(again.returncode, 0, again.stderr)
        straight, _ = sweep(grids["straight"], "--local", "-j", "2")
        self.assertEqual(straight.returncode, 0, straight.stderr)
        manifests = {}
        for name in grids:
            with open(os.path.join(tmp, name, "sweep.json")) as f:
                manifests[name] = json.load(f)
        compared = 0
        for a, b in zip(manifests["stopped"]["tasks"], manifests["straight"]["tasks"]):
            self.assertEqual(a["id"], b["id"])
            if a["stage"] == "eval":
                continue
            d = subprocess.run([common.BIN, "diff", a["run_file"], b["run_file"]],
                               capture_output=True, text=True)
            self.assertEqual(d.returncode, 0, d.stdout)
            compared += 1
        self.assertEqual(compared, 8)
        print(f"stopped and resumed sweep: {compared} run files identical to an uninterrupted one")

    def test_changed_grid_is_reported_and_changed_base_refused(self):
        tmp = common.tmpdir("sweep_change")
        base = os.path.join(tmp, "base.yaml")
        with open(common.config("quickstart.yaml")) as f:
            text = f.read()
        with open(base, "w") as f:
            f.write(text)
        grid = os.path.join(tmp, "grid.yaml")
        out = os.path.join(tmp, "sw")
        body = "base: base.yaml\nout_dir: %s\nset: {train.iterations: 2}\nseeds: %s\n"
        with open(grid, "w") as f:
            f.write(body % (out, "2"))
        p, _ = sweep(grid, "--local")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(grid, "w") as f:
            f.write(body % (out, "[2, 3]"))
        p, _ = sweep(grid, "--local")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, r"the grid changed since the last run: 1 new task\(s\) "
                                   r"\([0-9a-f]{12}\), 1 gone \([0-9a-f]{12}; their outputs stay")
        self.assertIn("already complete 1", p.stderr)
        with open(base, "w") as f:
            f.write(text.replace("name: quickstart", "name: changed"))
        p, _ = sweep(grid, "--local")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("resolves differently", p.stderr)
        self.assertIn("2 task(s) already have output from the earlier base config", p.stderr)
        self.assertIn("--allow-changed-base", p.stderr)
        p, _ = sweep(grid, "--local", "--allow-changed-base")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_check_reproducible_over_ranks_and_repeats(self):
        tmp = common.tmpdir("sweep_repro")
        grid = os.path.join(tmp, "grid.yaml")
        with open(grid, "w") as f:
            f.write("base: %s\nout_dir: %s\nset: {train.iterations: 3}\nranks: [1, 2, 3]\n"
                    "repeats: 2\n" % (common.config("quickstart.yaml"), os.path.join(tmp, "sw")))
        p, secs = sweep(grid, "--local", "-j", "2", "--check-reproducible")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("5 of 5 comparisons identical (1 groups)", p.stdout)
        self.assertEqual(p.stdout.count(" identical\n"), 5)
        with open(os.path.join(tmp, "sw", "reproducibility.txt")) as f:
            self.assertIn("5 of 5 comparisons identical", f.read())
        # Alone on the finished sweep: the same report.
        again, _ = sweep(grid, "--check-reproducible")
        self.assertEqual(again.returncode, 0, again.stdout)
        print(f"reproducibility: 6 runs (1, 2, 3 ranks x 2) identical, {secs:.1f} s")

    def test_grid_errors_name_the_line(self):
        tmp = common.tmpdir("sweep_bad")
        grid = os.path.join(tmp, "grid.yaml")
        with open(grid, "w") as f:
            f.write("base: %s\ngrid:\n  train.actorz: [1, 2]\n" % common.config("quickstart.yaml"))
        p, _ = sweep(grid, "--dry-run")
        self.assertEqual(p.returncode, 2)
        self.assertIn(grid + ":3: grid.train.actorz: unknown key", p.stderr)

    def test_shipped_studies_expand_to_the_documented_tasks(self):
        # The task counts and stages of README's table of experiments/ablations/.
        expected = {"actions": (325, {"train": 105, "generate": 105, "baseline": 5, "eval": 110}),
                    "learners": (55, {"train": 15, "generate": 15, "baseline": 5, "eval": 20}),
                    "reward": (70, {"train": 20, "generate": 20, "baseline": 5, "eval": 25}),
                    "reproducibility": (6, {"train": 6})}
        tmp = common.tmpdir("sweep_studies")
        for name, (count, stages) in expected.items():
            grid = os.path.join(common.SOURCE_DIR, "experiments", "ablations", name + ".yaml")
            p, _ = sweep(grid, "--dry-run", "--out", os.path.join(tmp, name))
            self.assertEqual(p.returncode, 0, name + ": " + p.stderr)
            self.assertIn("(%d tasks)" % count, p.stdout.splitlines()[0], name)
            table = [line.split() for line in p.stdout.splitlines()[2:2 + count]]
            seen = {}
            for row in table:
                seen[row[1]] = seen.get(row[1], 0) + 1
            self.assertEqual(seen, stages, name)


if __name__ == "__main__":
    unittest.main()
