"""`teamsrl sweep GRID --local` (issue 12 items 1-3, first part): a grid of 2 policies x 2
seeds through train -> generate -> eval plus a baseline per seed (16 tasks). One train
task is made to fail (its output directory is a file); the others still run, its
generate and eval are reported as not run. Re-running the same command runs exactly
those three and leaves the completed ones alone. A task's run file equals the same
command typed by hand (`teamsrl diff`)."""
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

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
        not_run = re.findall(r"^task ([0-9a-f]{12}) \((\w+)\) (.*) \(exit", p.stderr, re.M)
        self.assertEqual(len(not_run), 3, p.stderr)  # train, its generate, its eval
        self.assertIn((first, "train", "failed"), not_run)
        print(f"first pass: 16 tasks in {secs:.1f} s, 3 failed or not run")
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(len(manifest["tasks"]), 16)
        os.remove(os.path.join(out, "train", first))
        p2, secs2 = sweep(grid, "--local", "-j", "2", "--np", "2")
        self.assertEqual(p2.returncode, 0, p2.stderr)
        self.assertIn("already complete 13", p2.stderr)
        status, _ = sweep(grid, "--status")
        self.assertEqual(status.returncode, 0, status.stdout)
        self.assertIn("16 tasks: 16 completed, 0 to run", status.stdout)
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

    def test_grid_errors_name_the_line(self):
        tmp = common.tmpdir("sweep_bad")
        grid = os.path.join(tmp, "grid.yaml")
        with open(grid, "w") as f:
            f.write("base: %s\ngrid:\n  train.actorz: [1, 2]\n" % common.config("quickstart.yaml"))
        p, _ = sweep(grid, "--dry-run")
        self.assertEqual(p.returncode, 2)
        self.assertIn(grid + ":3: grid.train.actorz: unknown key", p.stderr)


if __name__ == "__main__":
    unittest.main()
