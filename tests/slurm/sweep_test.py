"""`teamsrl sweep --slurm` on the local cluster: 8 tasks in two stages (4 train, 4 generate)
as job arrays of slurm/sweep.sbatch. The test cluster's MaxArraySize is 3, so each stage is
split into two arrays (3 + 1 tasks), each generate array waiting per task (aftercorr) for
its train array. One training task is preempted part-way (`scancel --signal=USR1
JOB_INDEX`): it checkpoints, exits 75, requeues alone and resumes. `--wait` returns when
nothing is queued and prints the status: every task completed. The run files equal those
of the same sweep run with `--local` (`teamsrl diff`), and record their SLURM job and
array task."""
import glob
import json
import os
import re
import subprocess
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slurm_cluster as sc  # noqa: E402

common = sc.common  # tests/integration/common.py

ITERATIONS = 16
GRID = """base: {base}
out_dir: {out}
set: {{train.iterations: %d, run.progress_interval_s: 0.5}}
zip:
  policy.type: [gaussian_argmax, categorical]
  llm.endpoints.sim.latency_ms: [0, 25]
seeds: 2
stages: [train, generate]
""" % ITERATIONS


class SlurmSweepTest(unittest.TestCase):
    def teamsrl(self, args, timeout=120):
        return sc.run([common.BIN] + args, timeout=timeout, check=False)

    def test_arrays_chunks_preemption_and_resume(self):
        tmp = common.tmpdir("teamsrl_slurm_sweep_")
        grid = os.path.join(tmp, "grid.yaml")
        out = os.path.join(tmp, "sw")
        with open(grid, "w") as f:
            f.write(GRID.format(base=common.config("quickstart.yaml"), out=out))
        template = os.path.join(sc.TEMPLATES, "sweep.sbatch")
        sweep = subprocess.Popen([common.BIN, "sweep", grid, "--slurm", "--wait", "--template",
                                  template], env=sc.env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
        jobs_path = os.path.join(out, "slurm", "jobs.json")
        try:
            sc.wait_for(lambda: os.path.exists(jobs_path) or sweep.poll() is not None, 60,
                        "the sweep to submit")
            if not os.path.exists(jobs_path):
                self.fail("the sweep submitted nothing: " + sweep.communicate()[0])
            with open(jobs_path) as f:
                jobs = json.load(f)
            with open(os.path.join(out, "sweep.json")) as f:
                manifest = json.load(f)
            # Two stages of 4 tasks, MaxArraySize 3: 4 arrays of 3 and 1 tasks.
            self.assertEqual(sorted(len(j["indices"]) for j in jobs), [1, 1, 3, 3], jobs)
            self.assertTrue(all(max(j["indices"]) < 3 for j in jobs), jobs)
            stages = {t["id"]: t["stage"] for t in manifest["tasks"]}
            self.assertEqual(sorted(stages[t] for j in jobs for t in j["tasks"]),
                             ["generate"] * 4 + ["train"] * 4)

            # Preempt the slow training task of seed 1 once it is a few iterations in.
            slow = next(t for t in manifest["tasks"] if t["stage"] == "train" and
                        t["point"]["policy.type"] == "categorical" and
                        t["point"]["run.seed"] == "1")  # point values: YAML text
            job = next(j for j in jobs if slow["id"] in j["tasks"])
            index = job["indices"][job["tasks"].index(slow["id"])]
            array_task = "%s_%d" % (job["job_id"], index)
            pattern = os.path.join(out, "slurm", "logs", "*-%s.out" % array_task)

            def log():
                paths = glob.glob(pattern)
                return sc.read(paths[0]) if paths else ""

            def started():
                done = [int(m) for m in re.findall(r"(\d+)/%d \(" % ITERATIONS, log())]
                return bool(done) and max(done) >= 3
            sc.wait_for(lambda: started() or sweep.poll() is not None, 90,
                        "task %s to train a few iterations" % array_task)
            self.assertTrue(started(), "the sweep ended before the preemption\n" + log())
            cancel = sc.run(["scancel", "--signal=USR1", array_task], check=False)
            self.assertEqual(cancel.returncode, 0, cancel.stderr + sc.run(
                ["squeue", "-h", "-t", "all", "-o", "%i %A %T"], check=False).stdout)
            output, _ = sweep.communicate(timeout=240)
        finally:
            if sweep.poll() is None:
                sweep.kill()
                sweep.wait()
            if os.path.exists(jobs_path):
                with open(jobs_path) as f:
                    for j in json.load(f):
                        sc.run(["scancel", j["job_id"]], check=False)
        self.assertEqual(sweep.returncode, 0, output + log())
        self.assertEqual(output.count(" completed "), 8, output)
        preempted = log()
        self.assertIn("teamsrl exited with 75", preempted)
        self.assertIn("preempted: requeueing job %s (restart 1)" % array_task, preempted)
        self.assertIn("teamsrl exited with 0", preempted)
        others = [p for p in glob.glob(os.path.join(out, "slurm", "logs", "*.out"))
                  if not p.endswith("-%s.out" % array_task)]
        self.assertEqual(len(others), 7, others)
        for p in others:
            self.assertNotIn("exited with 75", sc.read(p), p)

        status = self.teamsrl(["sweep", grid, "--status"])
        self.assertEqual(status.returncode, 0, status.stdout + status.stderr)

        # The same sweep on this machine gives the same run files, the preempted one too.
        local = os.path.join(tmp, "local")
        p = self.teamsrl(["sweep", grid, "--local", "-j", "2", "--out", local], timeout=180)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for t in manifest["tasks"]:
            a = t["run_file"]
            b = os.path.join(local, os.path.relpath(a, out))
            d = self.teamsrl(["diff", a, b])
            self.assertEqual(d.returncode, 0, "%s %s\n%s%s" % (t["stage"], t["id"], d.stdout,
                                                               d.stderr))
            with h5py.File(a, "r") as f:
                self.assertEqual(f.attrs["sweep_task"], t["id"])
                self.assertTrue(str(f.attrs["slurm_job_id"]), a)
        print("sweep --slurm: 4 arrays (3+1 tasks per stage), one task preempted and "
              "requeued, 8 of 8 completed, run files identical to --local")


if __name__ == "__main__":
    unittest.main()
