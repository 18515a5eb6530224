"""A training run under mixed faults completes with every step accounted for.

A small proxy in front of the fake OpenAI server picks a fault for each request from a hash
of its body (so a retry of the same request gets the same fault plan) and passes it on as
the server's `X-Fault` header: 429 with Retry-After, 500, 503 with an HTML body, truncated
JSON and dropped connections that clear after one or two attempts, and a share of requests
answering 500 forever, which exhaust max_retries and fail their step."""
import collections
import hashlib
import http.client
import http.server
import json
import os
import sys
import threading
import unittest
import urllib.request

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

# bucket of sha256(body) % 20 -> X-Fault; `first=N`: only the first N attempts of an
# identical body (the fake server counts them).
PLAN = {0: "status=429,retry_after=1,first=1", 1: "status=429,retry_after_ms=200,first=2",
        2: "status=500,first=2", 3: "status=503,nonjson,first=1", 4: "truncate,first=1",
        5: "drop,first=1", 6: "status=500"}
ACTORS, ITERATIONS, LENGTH = 6, 4, 6


class FaultProxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_port):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream_port = upstream_port
        self.injected = collections.Counter()
        self.lock = threading.Lock()


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        bucket = int(hashlib.sha256(body).hexdigest(), 16) % 20
        fault = PLAN.get(bucket, "")
        with self.server.lock:
            self.server.injected[fault or "none"] += 1
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=30)
        try:
            conn.request("POST", self.path, body, {"Content-Type": "application/json",
                                                   "X-Fault": fault})
            resp = conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError):
            self.close_connection = True  # the server dropped it: drop ours too
            return
        finally:
            conn.close()
        self.send_response(resp.status)
        for name in ("Content-Type", "Retry-After", "retry-after-ms"):
            if resp.getheader(name) is not None:
                self.send_header(name, resp.getheader(name))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FaultsTrainingTest(unittest.TestCase):
    def test_mixed_faults(self):
        server, port = common.start_fake_server()
        proxy = FaultProxy(port)
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        out = common.tmpdir("faults")
        try:
            rc, so, se, secs = common.mpirun(
                2, ["train", common.config("quickstart.yaml"), "--out", out, "--quiet",
                    "--set", f"train.actors={ACTORS}", "--set", f"train.iterations={ITERATIONS}",
                    "--set", "llm.endpoints.flaky={backend: openai, base_url: "
                    f"'http://127.0.0.1:{proxy.server_address[1]}/v1', model: fake-1, "
                    "max_retries: 3, timeout_s: 10}",
                    "--set", "llm.roles.rewriter=flaky", "--set", "llm.roles.reviewer=flaky"],
                timeout=300)
            stats = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/stats").read())
        finally:
            proxy.shutdown()
            proxy.server_close()
            common.stop_server(server)
        self.assertEqual(rc, 0, se)
        print(f"\n{secs:.1f} s; injected {dict(proxy.injected)}; server {stats}", file=sys.stderr)
        for fault in PLAN.values():
            self.assertGreater(proxy.injected[fault], 0, f"plan never hit {fault}")
        with h5py.File(os.path.join(out, "run.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "completed")
            steps = f["/train/steps"][:]
            calls = f["/llm/calls"][:]
            its = f["/train/iterations"][:]
        # Every step of every actor, episode and iteration is there, exactly once.
        self.assertEqual(len(steps), ACTORS * 1 * LENGTH * ITERATIONS)
        keys = set(zip(steps["iteration"].tolist(), steps["actor"].tolist(),
                       steps["episode"].tolist(), steps["t"].tolist()))
        self.assertEqual(len(keys), len(steps))
        failed = steps["failed"] == 1
        self.assertGreater(int(failed.sum()), 0, "no permanent failure reached a step")
        self.assertLess(int(failed.sum()), len(steps))
        self.assertTrue(np.all(steps["reward"][failed] == 0.0))
        # One /llm/calls row per call: a good step makes 2 calls, a failed one 1 (its
        # rewrite or its review failed, and nothing follows a failure).
        bad_calls = calls["status"] != 0
        self.assertEqual(int(bad_calls.sum()), int(failed.sum()))
        self.assertTrue(np.all(calls["attempts"][bad_calls] == 4))  # 1 + max_retries
        self.assertGreater(int((calls["attempts"][~bad_calls] > 1).sum()), 0)
        rewrites_failed = int(((calls["role"] == 0) & bad_calls).sum())
        self.assertEqual(len(calls), 2 * len(steps) - rewrites_failed)
        # Per-iteration accounting matches the call rows.
        for row in its:
            mine = calls[calls["iteration"] == row["iteration"]]
            self.assertEqual(row["queries"], len(mine))
            self.assertEqual(row["failed_calls"], int((mine["status"] != 0).sum()))
            self.assertEqual(row["prompt_tokens"], int(mine["prompt_tokens"].sum()))
        self.assertEqual(int(its["queries"].sum()), len(calls))
        # The server saw exactly the attempts the client reports, libcurl's silent resends
        # on a reused keep-alive connection found dropped included.
        attempts = int(calls["attempts"].sum())
        print(f"server requests {stats['requests']}, recorded attempts {attempts}, "
              f"dropped {stats.get('dropped', 0)}")
        self.assertEqual(stats["requests"], attempts)

if __name__ == "__main__":
    unittest.main(verbosity=2)
