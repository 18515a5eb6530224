"""OpenAI's reasoning models refuse `max_tokens` (HTTP 400, "Use 'max_completion_tokens'
instead") and any temperature but their default. Against the fake server's `--reasoning`
mode: a training run on an endpoint with the default request shape stops at once with the
server's message, and the same endpoint with `max_tokens_field: max_completion_tokens`
and no sampling keys trains to the end."""
import json
import os
import sys
import unittest
import urllib.request

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def train(port, out, shape):
    endpoint = ("{backend: openai, base_url: 'http://127.0.0.1:%d/v1', model: o-fake, "
                "max_retries: 1, %s}" % (port, shape))
    return common.mpirun(
        1, ["train", common.config("quickstart.yaml"), "--out", out, "--quiet",
            "--set", "train.iterations=1", "--set", "llm.endpoints.o=" + endpoint,
            "--set", "llm.roles.rewriter=o", "--set", "llm.roles.reviewer=o"], timeout=120)


class ReasoningEndpointTest(unittest.TestCase):
    def test_max_completion_tokens_is_what_the_model_takes(self):
        server, port = common.start_fake_server("--reasoning")
        refused, accepted = common.tmpdir("reasoning_refused"), common.tmpdir("reasoning_ok")
        try:
            rc_bad, _, se_bad, _ = train(port, refused, "temperature: null")
            rc_ok, _, se_ok, _ = train(port, accepted, "max_tokens_field: max_completion_tokens")
            bodies = [r["body"] for r in json.loads(
                urllib.request.urlopen("http://127.0.0.1:%d/requests" % port).read())]
        finally:
            common.stop_server(server)
        self.assertEqual(rc_bad, 1, se_bad)
        errors = [line for line in se_bad.splitlines() if line.startswith("teamsrl: error:")]
        self.assertEqual(len(errors), 1, se_bad)
        self.assertIn("HTTP 400: Unsupported parameter: 'max_tokens' is not supported with this "
                      "model. Use 'max_completion_tokens' instead.", errors[0])
        self.assertEqual(rc_ok, 0, se_ok)
        with h5py.File(os.path.join(accepted, "run.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "completed")
            calls = f["/llm/calls"][:]
        self.assertTrue((calls["status"] == 0).all())
        sent = [b for b in bodies if "max_completion_tokens" in b]
        self.assertEqual(len(sent), len(calls))
        for b in sent:
            self.assertEqual(b["max_completion_tokens"], 2048)
            for absent in ("max_tokens", "temperature", "top_p"):
                self.assertNotIn(absent, b)


if __name__ == "__main__":
    unittest.main(verbosity=2)
