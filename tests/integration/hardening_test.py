"""Issue 9 (hardening the LLM client), end to end: `teamsrl` against the fake server of
tests/servers answering with a 200 MiB reply, an endless chunked reply, hostile usage
numbers, the caller's Authorization header echoed in a 200, a key crossing the error
message's 300-byte cut or split by a newline, and NUL characters in content; and a key
whose environment variable holds CR/LF. Memory is the peak RSS of the mpirun tree
(os.wait4), leaks are searched in the raw bytes of every file and line the run wrote."""
import glob
import json
import os
import subprocess
import sys
import time
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

KEY = "sk-teamsrl-SECRET-0123456789abcdefXYZ"
KEY_ENV = "TEAMSRL_TEST_KEY"


def endpoint(name, port, model, extra=""):
    return ["--set", f"llm.endpoints.{name}={{backend: openai, base_url: "
            f"'http://127.0.0.1:{port}/v1', model: '{model}', api_key_env: {KEY_ENV}, "
            f"max_retries: 0, timeout_s: 20{extra}}}"]


def run_measured(args, env, timeout=300):
    """`mpirun -np 1 teamsrl ARGS`: (returncode, stdout, stderr, peak RSS MiB). The peak is
    ru_maxrss of the mpirun tree: mpirun waits for its ranks, so wait4 covers them."""
    full_env = dict(os.environ)
    full_env.update(common.MPI_ENV)
    full_env.update(env)
    out_path, err_path = common.tmpdir("hard_out") + "/out", common.tmpdir("hard_err") + "/err"
    with open(out_path, "w") as so, open(err_path, "w") as se:
        p = subprocess.Popen(["mpirun", "-np", "1", common.BIN] + args, stdout=so, stderr=se,
                             stdin=subprocess.DEVNULL, env=full_env, cwd=common.SOURCE_DIR)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.05)
        p.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path) as so, open(err_path) as se:
        return p.returncode, so.read(), se.read(), usage.ru_maxrss / 1024.0


def texts(path):
    with h5py.File(path, "r") as f:
        return [s.decode() if isinstance(s, bytes) else s for s in f["/text/strings"][:]]


class HardeningTest(unittest.TestCase):
    def setUp(self):
        self.proc, self.port = common.start_fake_server()

    def tearDown(self):
        common.stop_server(self.proc)

    def train(self, model, extra=(), env=None, iterations=1, actors=2):
        self.out = common.tmpdir("hardening")
        self.cache = os.path.join(self.out, "cache")
        args = ["train", common.config("quickstart.yaml"), "--out", self.out, "--verbose",
                "--set", f"train.actors={actors}", "--set", f"train.iterations={iterations}",
                "--set", "llm.roles.rewriter=bad", "--set", "llm.cache.mode=read_write",
                "--set", f"llm.cache.path={self.cache}"] + endpoint("bad", self.port, model)
        return run_measured(args + list(extra), dict({KEY_ENV: KEY}, **(env or {})))

    def assert_no_key(self, where, data):
        if isinstance(data, str):
            data = data.encode()
        for i in range(len(KEY) - 7):  # any 8 bytes of the key are a leak
            self.assertNotIn(KEY[i:i + 8].encode(), data, f"part of the key leaked into {where}")

    def assert_nothing_leaked(self, stdout, stderr, extra_files=()):
        self.assert_no_key("stdout", stdout)
        self.assert_no_key("stderr", stderr)
        files = [p for p in glob.glob(os.path.join(self.out, "**", "*"), recursive=True)
                 if os.path.isfile(p)] + list(extra_files)
        self.assertTrue(files)
        for path in files:
            with open(path, "rb") as f:
                self.assert_no_key(path, f.read())

    # --- item 1: reply size ---------------------------------------------------------
    def check_oversized(self, model):
        rc, _, se, peak = self.train(model, actors=1)
        print(f"{model}: peak RSS {peak:.1f} MiB, exit {rc}", file=sys.stderr)
        self.assertLess(peak, 300.0, "peak RSS of the run, MiB")
        self.assertEqual(rc, 1, se)  # every rewrite failed: above llm.max_failed_share
        errors = [t for t in texts(os.path.join(self.out, "run.h5")) if "max_reply_bytes" in t]
        self.assertTrue(errors, se[-2000:])
        self.assertIn("reply larger than llm.endpoints.bad.max_reply_bytes (1048576 bytes",
                      errors[0])

    def test_200_mib_reply_fails_the_call_in_bounded_memory(self):
        self.check_oversized("fault:huge=200")

    def test_endless_chunked_reply_fails_the_call_in_bounded_memory(self):
        self.check_oversized("fault:endless")

    # --- item 2: untrusted usage ----------------------------------------------------
    def test_hostile_usage_cannot_defeat_the_token_budget(self):
        for usage in ("-5000000:-5000000", "9223372036854775807:9223372036854775807",
                      "0:18446744073709551615"):
            rc, _, se, _ = self.train(f"fault:usage={usage}", iterations=5,
                                      extra=["--set", "budget.max_tokens=500"])
            self.assertEqual(rc, 0, se)
            self.assertIn("budget.max_tokens (500) reached", se, usage)
            with h5py.File(os.path.join(self.out, "run.h5"), "r") as f:
                self.assertEqual(f.attrs["status"], "budget_exhausted", usage)
                self.assertLess(len(f["/train/iterations"]), 5, usage)
                calls = f["/llm/calls"][:]
                openai = calls[calls["role"] == 0]
                self.assertTrue((openai["usage_estimated"] == 1).all(), usage)
                self.assertTrue((calls["prompt_tokens"] >= 0).all(), usage)
                self.assertTrue((calls["completion_tokens"] >= 0).all(), usage)
                self.assertTrue((calls["prompt_tokens"] < 100000).all(), usage)

    # --- item 3: secrets in every stored text ---------------------------------------
    def test_key_echoed_in_a_200_reaches_no_file_and_no_line(self):
        rc, so, se, _ = self.train("fault:echo_headers", iterations=2)
        self.assertEqual(rc, 0, se)
        steps = texts(os.path.join(self.out, "run.h5"))
        self.assertTrue(any("authorization: Bearer [redacted]" in t for t in steps), steps[:3])
        self.assert_nothing_leaked(so, se, glob.glob(os.path.join(self.cache, "*")))
        # generate with the responder on the same endpoint: generate.h5 and dataset.jsonl,
        # what `export` turns into a fine-tuning set.
        gen = os.path.join(self.out, "gen")
        rc, so, se, _ = run_measured(
            ["generate", common.config("generate.yaml"), "--policy",
             os.path.join(self.out, "run.h5"), "--out", gen, "--verbose",
             "--set", "generate.max_samples=12", "--set", "llm.roles.responder=bad",
             "--set", "llm.cache.mode=read_write", "--set", f"llm.cache.path={self.cache}"]
            + endpoint("bad", self.port, "fault:echo_headers"), {KEY_ENV: KEY})
        self.assertEqual(rc, 0, se)
        with open(os.path.join(gen, "dataset.jsonl")) as f:
            outputs = [json.loads(line)["output"] for line in f]
        self.assertTrue(any("Bearer [redacted]" in o for o in outputs), outputs[:2])
        self.assert_nothing_leaked(so, se, glob.glob(os.path.join(self.cache, "*")))

    def check_401_message(self, model):
        rc, so, se, _ = self.train(model)
        self.assertEqual(rc, 1, se)
        self.assertIn("[redacted]", se)
        self.assert_nothing_leaked(so, se)

    def test_key_crossing_the_300_byte_cut_is_redacted(self):
        # filler + "Incorrect API key provided: " + key: all but the key's last byte
        # before the cut.
        filler = 300 - len("Incorrect API key provided: ") - len(KEY) + 1
        self.check_401_message(f"fault:status=401,echo_key_at={filler}")

    def test_key_split_by_a_newline_is_redacted(self):
        self.check_401_message("fault:status=401,echo_key_split")

    # --- item 5: header injection ---------------------------------------------------
    def test_key_with_cr_lf_is_refused(self):
        bad_key = KEY + "\r\nX-Injected: yes"
        rc, so, se, _ = self.train("fault:echo_headers", env={KEY_ENV: bad_key})
        self.assertNotEqual(rc, 0, se)
        self.assertIn(f"{KEY_ENV} holds control characters", se)
        self.assert_no_key("stderr", se)
        run = os.path.join(self.out, "run.h5")
        if os.path.exists(run):
            with open(run, "rb") as f:
                self.assertNotIn(b"x-injected", f.read())

    # --- item 7: NUL bytes ----------------------------------------------------------
    def test_nul_in_content_is_stored_alike_in_run_file_and_data_set(self):
        rc, _, se, _ = self.train("fault:nul", iterations=1)
        self.assertEqual(rc, 0, se)
        gen = os.path.join(self.out, "gen")
        rc, _, se, _ = run_measured(
            ["generate", common.config("generate.yaml"), "--policy",
             os.path.join(self.out, "run.h5"), "--out", gen, "--quiet",
             "--set", "generate.max_samples=6", "--set", "llm.roles.responder=bad"]
            + endpoint("bad", self.port, "fault:nul"), {KEY_ENV: KEY})
        self.assertEqual(rc, 0, se)
        with open(os.path.join(gen, "dataset.jsonl")) as f:
            outputs = [json.loads(line)["output"] for line in f]
        with h5py.File(os.path.join(gen, "generate.h5"), "r") as f:
            strings = [s.decode() if isinstance(s, bytes) else s for s in f["/text/strings"][:]]
            ids = f["/dataset/samples"]["response_id"]
            stored = [strings[i] for i in ids]
        self.assertEqual(stored, outputs)
        self.assertTrue(all("before\ufffdafter" in o for o in outputs), outputs[:2])


if __name__ == "__main__":
    unittest.main(verbosity=2)
