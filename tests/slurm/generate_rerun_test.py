"""slurm/generate.sbatch and baseline.sbatch resume by rerunning the same command: a
generation whose job is cancelled part-way (scancel: SIGTERM, then SIGKILL) and then
submitted again ends with a dataset.jsonl byte-identical to an uninterrupted run under
`mpirun -np 2`; the same for the baseline."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slurm_cluster as sc  # noqa: E402

common = sc.common  # tests/integration/common.py

SEEDS = 64
CHUNK = 8  # 8 chunks of ~1.2 s at 100 ms simulated latency


def write_seeds(path):
    with open(path, "w") as f:
        for i in range(SEEDS):
            f.write(json.dumps({"instruction": "Explain topic number %d." % i,
                                "input": "" if i % 3 else "context %d" % i}) + "\n")


def progress(out):
    try:
        with open(os.path.join(out, "progress.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class GenerateRerunTest(unittest.TestCase):
    def rerun(self, command, template, args):
        cwd = common.tmpdir("teamsrl_slurm_%s_" % command)
        seeds = os.path.join(cwd, "seeds.jsonl")
        write_seeds(seeds)
        args = list(args) + ["--quiet", "--set", "env.seeds.path=" + seeds,
                             "--set", "%s.chunk_size=%d" % (command, CHUNK),
                             "--set", "llm.endpoints.sim.latency_ms=100"]
        if command == "generate":
            args += ["--policy", common.train_policy(os.path.join(cwd, "policy"))]
        ref = os.path.join(cwd, "ref")
        rc, _, err, _ = common.mpirun(2, [command] + args + ["--out", ref])
        self.assertEqual(rc, 0, err)

        out = os.path.join(cwd, "slurm")
        submit = ["-n", "2", os.path.join(sc.TEMPLATES, template)] + args + ["--out", out]
        first = sc.Submission(submit, cwd)
        log = os.path.join(cwd, "teamsrl-%s-%s.out" % (command, first.job))
        try:
            sc.wait_for(lambda: progress(out).get("chunks", 0) >= 2, 60, "two committed chunks",
                        first, log)
            sc.run(["scancel", first.job])
            first.wait()
        finally:
            first.cancel()
        done = progress(out)
        self.assertFalse(done.get("complete"), "the cancel came too late: %s" % done)
        # Cancelled, not requeued. sbatch --wait returns as soon as the job is CANCELLED, and
        # says 0 when the script then exits normally (teamsrl may exit 75 on SIGTERM).
        sc.wait_for(lambda: "teamsrl exited with" in sc.read(log), 30, "the script's end")
        self.assertIn(sc.settled_state(first.job), ("CANCELLED", ""), sc.read(log))
        self.assertNotIn("preempted: requeueing", sc.read(log))

        rc, job, secs = sc.sbatch_wait(submit, cwd)
        log2 = sc.read(os.path.join(cwd, "teamsrl-%s-%s.out" % (command, job)))
        self.assertEqual(rc, 0, log2)
        self.assertTrue(progress(out).get("complete"), log2)
        with open(os.path.join(ref, "dataset.jsonl"), "rb") as a, \
                open(os.path.join(out, "dataset.jsonl"), "rb") as b:
            self.assertEqual(a.read(), b.read(), "dataset.jsonl differs from the uninterrupted run")
        print("%s: cancelled after %d of %d chunks, the rerun finished in %.1f s, dataset identical"
              % (command, done.get("chunks", 0), SEEDS // CHUNK, secs))

    def test_generate(self):
        self.rerun("generate", "generate.sbatch", [common.config("quickstart.yaml")])

    def test_baseline(self):
        self.rerun("baseline", "baseline.sbatch", [common.config("quickstart.yaml")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
