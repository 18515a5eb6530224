"""A run file read while `teamsrl train` writes it, and after the job was killed
(docs/architecture.md s.7, "Live readers"; src/io/run_commit.h).

1. A real training run (the quickstart with a 20 ms simulated latency, so it lasts a
   while) is polled 10 times a second for its whole life, each time with
   `teamsrl_analysis.load_run` and with `teamsrl inspect`: no read fails, every table read
   agrees with the others (8 episodes and 48 steps per iteration, every call counted in
   /budget and in the iterations, every text id resolves) and no row count ever shrinks.
   Plain h5py reads that ignore the commit record are counted too, for comparison only.
2. A run killed with SIGKILL in mid-training: plain `h5py.File(path, "r")` (HDF5's
   defaults, file locking included), `load_run` and `teamsrl inspect` all read it, with
   every iteration committed before the kill.

Prints the figures: reads, errors, duration."""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "analysis"))
import common  # noqa: E402
from teamsrl_analysis import load_run, read_commit  # noqa: E402

ACTORS = 8          # quickstart: train.actors, one episode each
EPISODE_LENGTH = 6  # quickstart: env.episode_length
ROLES = 3           # /budget role of "total"


def start_train(out, iterations, latency_ms=20):
    cmd = ["mpirun", "-np", "1", common.BIN, "train", common.config("quickstart.yaml"),
           "--out", out, "--quiet", "--set", "train.iterations=%d" % iterations,
           "--set", "llm.endpoints.sim.latency_ms=%d" % latency_ms]
    env = dict(os.environ)
    env.update(common.MPI_ENV)
    return subprocess.Popen(cmd, cwd=common.SOURCE_DIR, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_consistent(run):
    """Raises AssertionError when the tables of one read disagree."""
    it, ep, st, calls, budget = run.iterations, run.episodes, run.steps, run.calls, run.budget
    n = len(it)
    assert list(it["iteration"]) == list(range(n)), list(it["iteration"])
    assert len(ep) == ACTORS * n, (len(ep), n)
    assert len(st) == EPISODE_LENGTH * len(ep) == int(ep["length"].sum()), (len(st), len(ep))
    assert set(st["iteration"]) == set(range(n)), "steps of an iteration without its row"
    assert len(calls) == int(it["queries"].sum()) == int(ep["queries"].sum()), \
        (len(calls), int(it["queries"].sum()))
    if n:
        total = budget[budget["role"] == "total"]
        assert int(total["queries"].iloc[0]) == len(calls), "budget and calls disagree"
    texts = len(run.texts)
    ids = np.concatenate([st["text_id"].to_numpy(), st["reply_id"].to_numpy(),
                          calls["error_id"].to_numpy()])
    assert ids.size == 0 or int(ids.max()) < texts, (int(ids.max()), texts)
    if n:
        last = run.text(int(st["text_id"].iloc[-1]))
        assert isinstance(last, str) and last, "the last step's instruction is empty"


def inspect(path):
    p = subprocess.run([common.BIN, "inspect", path], capture_output=True, text=True,
                       timeout=60)
    m = re.search(r"^iterations\s+(\d+)", p.stdout, re.M)
    return p.returncode, (int(m.group(1)) if m else None), p.stdout + p.stderr


def raw_h5py_read(path):
    """What a reader that ignores the commit record sees: True when consistent."""
    with h5py.File(path, "r", locking=False) as f:
        n = f["/train/iterations"].shape[0]
        steps = f["/train/steps"][:]
        return len(steps) == ACTORS * EPISODE_LENGTH * n


class LiveRunFileTest(unittest.TestCase):
    def test_live_reader_sees_consistent_growing_tables(self):
        out = common.tmpdir("teamsrl_live_")
        path = os.path.join(out, "run.h5")
        iterations = 60
        proc = start_train(out, iterations)
        reads = errors = inspect_reads = inspect_errors = 0
        raw_reads = raw_failures = 0
        last_rows, last_inspect, first_error = {}, 0, None
        epoch = None
        start = time.monotonic()
        tick = 0
        try:
            while True:
                finished = proc.poll() is not None
                if os.path.exists(path):
                    try:
                        run = load_run(path)
                        reads += 1
                        check_consistent(run)
                        rows = {name: len(table) for name, table in run.items()}
                        rows["texts"] = len(run.texts)
                        if epoch is None and run.commit is not None:
                            epoch = run.commit["epoch"]
                        self.assertEqual(run.commit["epoch"], epoch)  # no resume here
                        for name, count in rows.items():
                            if count < last_rows.get(name, 0):
                                raise AssertionError("%s shrank from %d to %d"
                                                     % (name, last_rows[name], count))
                        last_rows = rows
                    except Exception as e:  # noqa: BLE001 - counted, then asserted 0
                        errors += 1
                        first_error = first_error or repr(e)
                    rc, n, text = inspect(path)
                    inspect_reads += 1
                    if rc != 0 or n is None or n < last_inspect:
                        inspect_errors += 1
                        first_error = first_error or text
                    else:
                        last_inspect = n
                    try:
                        raw_reads += 1
                        raw_failures += 0 if raw_h5py_read(path) else 1
                    except Exception:  # noqa: BLE001 - for comparison only
                        raw_failures += 1
                if finished:
                    break
                tick += 1
                time.sleep(max(0.0, start + tick * 0.1 - time.monotonic()))  # 10 per second
            duration = time.monotonic() - start
            so, se = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        print("live reader: %.1f s, %d load_run reads (%d errors), %d inspect reads "
              "(%d errors), final rows %s; plain h5py reads ignoring the record: %d, "
              "%d failed or inconsistent" % (duration, reads, errors, inspect_reads,
                                              inspect_errors, last_rows, raw_reads,
                                              raw_failures), file=sys.stderr)
        self.assertEqual(proc.returncode, 0, se)
        self.assertEqual(errors, 0, first_error)
        self.assertEqual(inspect_errors, 0, first_error)
        self.assertGreaterEqual(reads, 5 * duration)  # about 10 per second
        self.assertEqual(last_rows["iterations"], iterations)
        self.assertEqual(last_inspect, iterations)
        self.assertEqual(read_commit(path)["state"], "closed")

    def test_killed_run_opens_with_plain_h5py_and_load_run(self):
        out = common.tmpdir("teamsrl_killed_")
        path = os.path.join(out, "run.h5")
        proc = start_train(out, 200)
        try:
            deadline = time.monotonic() + 120
            record = None
            while time.monotonic() < deadline:
                record = read_commit(path)
                if record and record["rows"]["iterations"] >= 3:
                    break
                self.assertIsNone(proc.poll(), "training ended early")
                time.sleep(0.05)
            self.assertTrue(record and record["rows"]["iterations"] >= 3, record)
            os.kill(record["pid"], signal.SIGKILL)  # the writer itself, not mpirun
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        record = read_commit(path)
        committed = record["rows"]["iterations"]
        with h5py.File(path, "r") as f:  # HDF5's defaults, as a notebook opens it
            self.assertEqual(f.attrs["status"], "running")
            self.assertEqual(f.attrs["finished_at"], "")
            plain = f["/train/iterations"].shape[0]
            self.assertGreaterEqual(plain, committed)
            steps = f["/train/steps"][:]
            self.assertGreaterEqual(len(steps), ACTORS * EPISODE_LENGTH * committed)
        start = time.monotonic()
        run = load_run(path)
        seconds = time.monotonic() - start
        check_consistent(run)
        self.assertEqual(len(run.iterations), committed)
        self.assertEqual(run.attrs["status"], "running")
        rc, n, text = inspect(path)
        self.assertEqual(rc, 0, text)
        self.assertEqual(n, committed)
        self.assertIn("running (live, or killed before finishing)", text)
        print("killed run: record state %s, %d iterations committed, plain h5py sees %d, "
              "load_run took %.2f s" % (record["state"], committed, plain, seconds),
              file=sys.stderr)
        self.assertLess(seconds, 5.0)  # a dead writer on this host is not waited for


if __name__ == "__main__":
    unittest.main(verbosity=2)
