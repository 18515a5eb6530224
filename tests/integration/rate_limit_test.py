"""Rate limiting you can see (issue 10 item 13).

The same one-iteration training (4 actors, 48 calls) against a fast fake server with
`tpm` limited, charged two ways:
- `tpm_charge: max_tokens` (what every request cost before): prompt estimate + 2048
  tokens per request, so the run must wait at least (charged - bucket) / rate seconds,
  computed here from the limiter's documented rates;
- `tpm_charge: estimate` (the default): the prompt estimate + the role's completion
  estimate, settled with the reply's usage: far less waiting.
Both record the waits per call (/llm/calls.limit_wait_ms) and per iteration
(/train/iterations.limit_wait_s, the calls' sum), `inspect` reports them, and the
progress log lines say the run is rate-limited."""
import os
import subprocess
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

TPM = 600000.0
SAFETY = 0.98  # RateLimiter::kSafety
MAX_TOKENS = 2048


def train(port, charge):
    out = common.tmpdir("rate_" + charge)
    endpoint = ("{backend: openai, base_url: 'http://127.0.0.1:%d/v1', model: m, "
                "max_tokens: %d, tpm: %d, tpm_charge: %s, max_concurrency: 8}"
                % (port, MAX_TOKENS, TPM, charge))
    rc, so, se, secs = common.mpirun(1, [
        "train", common.config("quickstart.yaml"), "--out", out, "--progress", "log",
        "--set", "train.actors=4", "--set", "train.iterations=1",
        "--set", "run.progress_interval_s=1",
        "--set", "llm.endpoints.fake=" + endpoint,
        "--set", "llm.roles.rewriter=fake", "--set", "llm.roles.reviewer=fake"], timeout=300)
    if rc != 0:
        raise AssertionError(se)
    return os.path.join(out, "run.h5"), se, secs


class RateLimitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server, cls.port = common.start_fake_server("--latency-ms", "2")

    @classmethod
    def tearDownClass(cls):
        common.stop_server(cls.server)

    def check_file(self, path):
        with h5py.File(path, "r") as f:
            calls = f["/llm/calls"][:]
            it = f["/train/iterations"][:]
        self.assertEqual(len(calls), 48)
        self.assertAlmostEqual(it["limit_wait_s"][0], calls["limit_wait_ms"].sum() / 1000.0,
                               places=6)
        return calls, it["limit_wait_s"][0]

    def test_estimate_waits_far_less_than_max_tokens_charging(self):
        path_max, log_max, secs_max = train(self.port, "max_tokens")
        calls, wait_max = self.check_file(path_max)
        rate = TPM * SAFETY / 60.0
        # What the limiter charged: each request's prompt estimate (>= its real prompt
        # tokens minus a little; use the server's count) + max_tokens. The bucket starts
        # full with one second's worth.
        charged = float((calls["prompt_tokens"] + MAX_TOKENS).sum())
        lower_bound = (charged - rate) / rate * 0.9
        path_est, log_est, secs_est = train(self.port, "estimate")
        _, wait_est = self.check_file(path_est)
        print(f"max_tokens: wall {secs_max:.1f} s, held back {wait_max:.1f} s "
              f"(bound {lower_bound:.1f} s); estimate: wall {secs_est:.1f} s, held back "
              f"{wait_est:.1f} s")
        self.assertGreater(wait_max, lower_bound)
        self.assertLess(wait_est, wait_max / 3)
        self.assertLess(secs_est, secs_max / 2)
        self.assertRegex(log_max, r"(waiting on rate limit|rate-limited) ")
        summary = subprocess.run([common.BIN, "inspect", path_max], capture_output=True,
                                 text=True, check=True).stdout
        self.assertRegex(summary, r"rate-limited +\d+\.\d s held back by rpm/tpm")


if __name__ == "__main__":
    unittest.main()
