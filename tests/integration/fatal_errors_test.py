"""Errors no retry can fix stop the run at once (redesign issue, "Also"): a wrong API key
(401), a wrong model (404) or a rejected parameter (400) ends train, generate and baseline
with exit 1, one message naming the endpoint, the HTTP status and the server's message
(also with --quiet), status `failed`, and no call sent after the failing step. Retryable
failures above `llm.max_failed_share` stop the run the same way; below it they are
survived (faults_training_test)."""
import json
import os
import sys
import unittest
import urllib.request

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

ACTORS = 4


def endpoint(port, model, retries=1):
    return ["--set", f"llm.endpoints.paid={{backend: openai, base_url: "
            f"'http://127.0.0.1:{port}/v1', model: '{model}', max_retries: {retries}, "
            "timeout_s: 5}"]


def server_requests(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
        return json.loads(r.read())["requests"]


class FatalErrorsTest(unittest.TestCase):
    def train(self, model, extra=(), retries=1):
        out = common.tmpdir("fatal")
        proc, port = common.start_fake_server()
        try:
            rc, _, se, secs = common.mpirun(
                2, ["train", common.config("quickstart.yaml"), "--out", out, "--quiet",
                    "--set", f"train.actors={ACTORS}", "--set", "train.iterations=3",
                    "--set", "llm.roles.rewriter=paid", "--set", "llm.roles.reviewer=paid"]
                + endpoint(port, model, retries) + list(extra), timeout=120)
            requests = server_requests(port)
        finally:
            common.stop_server(proc)
        return rc, se, secs, os.path.join(out, "run.h5"), requests

    def check_unrecoverable(self, status, server_text):
        rc, se, secs, run, requests = self.train(f"fault:status={status}")
        self.assertEqual(rc, 1, se)
        self.assertLess(secs, 30.0)
        errors = [line for line in se.splitlines() if line.startswith("teamsrl: error:")]
        self.assertEqual(len(errors), 1, se)
        self.assertIn("openai endpoint 'paid'", errors[0])
        self.assertIn(f"HTTP {status}", errors[0])
        self.assertIn(server_text, errors[0])
        with h5py.File(run, "r") as f:
            self.assertEqual(f.attrs["status"], "failed")
            self.assertIn(f"HTTP {status}", f.attrs["error"])
            calls = f["/llm/calls"][:]
            self.assertEqual(len(f["/train/iterations"]), 0)
        # Only the first step's rewrites went out (one per actor, not retried), and the
        # run file records each of them.
        self.assertEqual(len(calls), ACTORS)
        self.assertTrue((calls["http_status"] == status).all())
        self.assertEqual(requests, ACTORS)

    def test_wrong_key_401(self):
        self.check_unrecoverable(401, "Incorrect API key")

    def test_wrong_model_404(self):
        self.check_unrecoverable(404, "injected HTTP 404")

    def test_rejected_parameter_400(self):
        self.check_unrecoverable(400, "injected HTTP 400")

    def test_retryable_failures_above_the_share_stop_the_run(self):
        rc, se, _, run, _ = self.train("fault:status=500", retries=0)
        self.assertEqual(rc, 1, se)
        self.assertIn("more than llm.max_failed_share (0.5)", se)
        with h5py.File(run, "r") as f:
            self.assertEqual(f.attrs["status"], "failed")
            self.assertEqual(len(f["/train/iterations"]), 1)  # recorded, then stopped

    def test_share_of_one_never_stops(self):
        rc, se, _, run, _ = self.train("fault:status=500", ["--set", "llm.max_failed_share=1"],
                                       retries=0)
        self.assertEqual(rc, 0, se)
        with h5py.File(run, "r") as f:
            self.assertEqual(f.attrs["status"], "completed")
            self.assertEqual(len(f["/train/iterations"]), 3)

    def test_baseline_and_generate_stop_too(self):
        seeds = os.path.join(common.tmpdir("fatal_seeds"), "seeds.jsonl")
        with open(seeds, "w") as f:
            for i in range(6):
                f.write(json.dumps({"instruction": f"Explain topic number {i}."}) + "\n")
        policy_dir = common.tmpdir("fatal_policy")
        rc, _, se, _ = common.mpirun(1, ["train", common.config("quickstart.yaml"), "--out",
                                         policy_dir, "--quiet", "--set", "train.iterations=1"])
        self.assertEqual(rc, 0, se)
        proc, port = common.start_fake_server()
        try:
            for command in (["baseline", common.config("baseline.yaml")],
                            ["generate", common.config("generate.yaml"), "--policy",
                             os.path.join(policy_dir, "run.h5")]):
                out = common.tmpdir("fatal_ds")
                rc, _, se, _ = common.mpirun(
                    2, command + ["--out", out, "--quiet", "--set", f"env.seeds.path={seeds}",
                                  "--set", "llm.roles.responder=paid",
                                  "--set", "llm.roles.rewriter=paid"]
                    + endpoint(port, "fault:status=401"))
                self.assertEqual(rc, 1, command[0] + ": " + se)
                self.assertEqual(se.count("teamsrl: error:"), 1, se)
                self.assertIn("HTTP 401", se)
                with h5py.File(os.path.join(out, command[0] + ".h5"), "r") as f:
                    self.assertEqual(f.attrs["status"], "failed")
        finally:
            common.stop_server(proc)


if __name__ == "__main__":
    unittest.main(verbosity=2)
