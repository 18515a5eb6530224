"""The API key (issue 3 item 6) never leaks: `teamsrl train` against a server that answers
401 and even echoes the full bearer token back in its error message; the key must appear
in no stdout/stderr line, nowhere in the run file's raw bytes and in no cache file."""
import glob
import os
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

SECRET = "sk-teamsrl-SECRET-0123456789abcdefXYZ"


def endpoint(name, port, model):
    return ["--set", f"llm.endpoints.{name}={{backend: openai, base_url: "
            f"'http://127.0.0.1:{port}/v1', model: '{model}', api_key_env: TEAMSRL_TEST_KEY, "
            "max_retries: 1, timeout_s: 5}"]


class SecretsTest(unittest.TestCase):
    def assert_no_secret(self, where, data):
        if isinstance(data, str):
            data = data.encode()
        self.assertNotIn(SECRET.encode(), data, f"the API key leaked into {where}")
        # Not even most of it (a partial redaction would still leak).
        self.assertNotIn(SECRET[3:-4].encode(), data, f"part of the API key leaked into {where}")

    def run_train(self, tmp, args):
        out = os.path.join(tmp, "run")
        cache = os.path.join(tmp, "cache")
        rc, so, se, _ = common.mpirun(
            2, ["train", common.config("quickstart.yaml"), "--out", out, "--verbose",
                "--set", "train.actors=4", "--set", "train.iterations=2",
                "--set", "llm.cache.mode=read_write", "--set", f"llm.cache.path={cache}"]
            + args, env={"TEAMSRL_TEST_KEY": SECRET}, timeout=120)
        for line in (so + se).splitlines():
            self.assert_no_secret("a log line: " + line[:80], line)
        run = os.path.join(out, "run.h5")
        if os.path.exists(run):
            with open(run, "rb") as f:
                self.assert_no_secret("run.h5", f.read())
        files = glob.glob(os.path.join(cache, "*"))
        for path in files:
            with open(path, "rb") as f:
                self.assert_no_secret(path, f.read())
        return rc, se, run, files

    def test_every_call_401(self):
        tmp = common.tmpdir("secrets401")
        proc, port = common.start_fake_server("--fault", "status=401,echo_key")
        try:
            rc, se, run, _ = self.run_train(
                tmp, endpoint("paid", port, "fake-1")
                + ["--set", "llm.roles.rewriter=paid", "--set", "llm.roles.reviewer=paid"])
        finally:
            common.stop_server(proc)
        # A 401 no retry can fix stops the run at once with a message saying why; the
        # failed calls are recorded, and the secret stays out of all of it.
        self.assertEqual(rc, 1, se)
        self.assertIn("401", se)
        with h5py.File(run, "r") as f:
            self.assertEqual(f.attrs["status"], "failed")
            calls = f["/llm/calls"][:]
            self.assertGreater(len(calls), 0)
            self.assertTrue(np.all(calls["http_status"] == 401))
            errors = [s.decode() if isinstance(s, bytes) else s for s in f["/text/strings"][:]]
            self.assertTrue(any("401" in e for e in errors), errors[:3])

    def test_401_next_to_a_working_endpoint_with_cache(self):
        # The rewriter succeeds (its replies fill the cache), the reviewer gets 401s whose
        # message echoes the key: the cache holds real entries, none with the key.
        tmp = common.tmpdir("secrets_mixed")
        proc, port = common.start_fake_server()
        try:
            rc, se, run, files = self.run_train(
                tmp, endpoint("good", port, "fake-1") + endpoint("bad", port, "fault:status=401,echo_key")
                + ["--set", "llm.roles.rewriter=good", "--set", "llm.roles.reviewer=bad"])
        finally:
            common.stop_server(proc)
        self.assertEqual(rc, 1, se)  # the reviewer's 401 stops the run at once
        self.assertTrue(any(os.path.getsize(p) > 0 for p in files), files)
        with h5py.File(run, "r") as f:
            calls = f["/llm/calls"][:]
            self.assertIn(401, set(calls["http_status"].tolist()))
            self.assertIn(200, set(calls["http_status"].tolist()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
