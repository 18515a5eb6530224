"""Preemption of real teamsrl runs through the templates: `scancel --signal=USR1 JOB` (the
job's steps: every rank) part-way makes teamsrl finish the iteration (train) or chunk
(generate), write its checkpoint and exit 75; the job requeues itself, the next start
resumes (train: --resume=auto) and the job ends COMPLETED with results bitwise identical
to an uninterrupted `mpirun -np 2` run."""
import json
import os
import re
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slurm_cluster as sc  # noqa: E402

common = sc.common  # tests/integration/common.py

TIMING = {"wall_s", "latency_ms"}
TABLES = ("/train/iterations", "/train/episodes", "/train/steps", "/llm/calls")
# 30 iterations of ~0.25 s at 20 ms simulated latency; progress logged every 0.5 s.
TRAIN = ["--set", "llm.endpoints.sim.latency_ms=20", "--set", "run.progress_interval_s=0.5"]


def non_timing(f, path):
    data = f[path][:]
    return {name: data[name] for name in data.dtype.names if name not in TIMING}


class PreemptTest(unittest.TestCase):
    def submit_and_preempt(self, cwd, template, args, started, what):
        """Submits, waits for started(log), sends USR1 to the steps; returns (job, log)."""
        sub = sc.Submission(["-n", "2", os.path.join(sc.TEMPLATES, template)] + args, cwd)
        name = "teamsrl-%s-%s.out" % (template.split(".")[0], sub.job)
        log_path = os.path.join(cwd, name)
        try:
            sc.wait_for(lambda: started(sc.read(log_path)), 60, what, sub, log_path)
            sc.run(["scancel", "--signal=USR1", sub.job])
            rc, secs = sub.wait()
        finally:
            sub.cancel()
        log = sc.read(log_path)
        self.assertEqual(rc, 0, "the preempted job should requeue and complete\n" + log)
        self.assertIn("teamsrl exited with 75", log)
        self.assertIn("preempted: requeueing job %s (restart 1)" % sub.job, log)
        self.assertIn("teamsrl-slurm: job %s (teamsrl-%s) start 2" % (sub.job, template.split(".")[0]), log)
        self.assertIn("teamsrl exited with 0", log)
        print("%s: preempted, requeued, resumed and completed in %.1f s" % (template, secs))
        return sub.job, log

    def test_train(self):
        cwd = common.tmpdir("teamsrl_slurm_preempt_")
        ref = os.path.join(cwd, "ref")
        rc, _, err, _ = common.mpirun(2, ["train", common.config("quickstart.yaml"), "--out", ref] + TRAIN)
        self.assertEqual(rc, 0, err)
        out = os.path.join(cwd, "slurm")

        def started(log):
            done = [int(m) for m in re.findall(r"quickstart (\d+)/30", log)]
            return bool(done) and max(done) >= 3

        job, log = self.submit_and_preempt(cwd, "train.sbatch",
                                           [common.config("quickstart.yaml"), "--out", out] + TRAIN,
                                           started, "3 training iterations")
        with h5py.File(os.path.join(ref, "run.h5"), "r") as a, \
                h5py.File(os.path.join(out, "run.h5"), "r") as b:
            self.assertEqual(b.attrs["status"], "completed", log)
            self.assertEqual(b.attrs["world_size"], 2)
            self.assertEqual(b.attrs["slurm_job_id"], job)
            self.assertEqual(b["/policy/final"][:].tobytes(), a["/policy/final"][:].tobytes(),
                             "/policy/final differs from the uninterrupted run")
            for p in TABLES:
                ref_cols, got = non_timing(a, p), non_timing(b, p)
                for name, col in ref_cols.items():
                    self.assertEqual(got[name].tobytes(), col.tobytes(), "%s.%s differs" % (p, name))
            self.assertEqual(list(b["/text/strings"][:]), list(a["/text/strings"][:]))

    def test_generate(self):
        cwd = common.tmpdir("teamsrl_slurm_preempt_gen_")
        seeds = os.path.join(cwd, "seeds.jsonl")
        with open(seeds, "w") as f:
            for i in range(64):
                f.write(json.dumps({"instruction": "Explain topic number %d." % i, "input": ""}) + "\n")
        args = [common.config("quickstart.yaml"), "--policy",
                common.train_policy(os.path.join(cwd, "policy")), "--quiet",
                "--set", "env.seeds.path=" + seeds, "--set", "generate.chunk_size=8",
                "--set", "llm.endpoints.sim.latency_ms=100"]
        ref = os.path.join(cwd, "ref")
        rc, _, err, _ = common.mpirun(2, ["generate"] + args + ["--out", ref])
        self.assertEqual(rc, 0, err)
        out = os.path.join(cwd, "slurm")

        def started(_log):
            try:
                with open(os.path.join(out, "progress.json")) as f:
                    return json.load(f).get("chunks", 0) >= 2
            except (OSError, ValueError):
                return False

        self.submit_and_preempt(cwd, "generate.sbatch", args + ["--out", out], started,
                                "two committed chunks")
        with open(os.path.join(ref, "dataset.jsonl"), "rb") as a, \
                open(os.path.join(out, "dataset.jsonl"), "rb") as b:
            self.assertEqual(a.read(), b.read(), "dataset.jsonl differs from the uninterrupted run")


if __name__ == "__main__":
    unittest.main(verbosity=2)
