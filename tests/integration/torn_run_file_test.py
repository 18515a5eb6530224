"""A training run killed in the middle of a write to its run file (docs/architecture.md
s.7, "Killed writers"; src/io/undo_journal.h).

`teamsrl train` is made to SIGKILL itself half-way through its N-th write to the run file
(TEAMSRL_CRASH_AT_WRITE=N, the journal driver's fault injection), for N spread over a
whole run, so the file is left torn: some of HDF5's metadata and chunks of the
interrupted change are on disk, some are not. For each:
- `teamsrl_analysis.load_run` and `teamsrl inspect` read the run as of its last commit
  (the committed iterations of the commit record), without changing a byte of the file;
- `teamsrl train --resume=auto` rolls the file back, continues from the checkpoint and
  ends bitwise identical to a run that was never interrupted, with no journal left.
Plain h5py (which knows nothing of the journal) is tried too and its failures counted, for
comparison only: they are what the journal is for."""
import hashlib
import os
import shutil
import subprocess
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "analysis"))
import common  # noqa: E402
from kill_resume_test import assert_same_run  # noqa: E402
from teamsrl_analysis import committed_image, load_run, read_commit  # noqa: E402

SETS = ["--set", "train.iterations=12", "--set", "train.checkpoint_every=2",
        "--set", "llm.endpoints.sim.latency_ms=0"]
# Every other write of the run's ~185 (the first 20 create the file: nothing to read yet);
# CRASH_AT=n,m,... picks others.
CRASH_AT = [int(x) for x in os.environ.get("CRASH_AT", "").split(",") if x] or \
    list(range(20, 185, 2))


def train(out, extra=(), env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([common.BIN, "train", common.config("quickstart.yaml"), "--out", out,
                           "--quiet"] + SETS + list(extra), env=env, cwd=common.SOURCE_DIR,
                          capture_output=True, text=True, timeout=300)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def plain_h5py_reads(path):
    try:
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj: obj[()] if isinstance(obj, h5py.Dataset) else None)
        return True
    except Exception:  # noqa: BLE001 - counted, not judged
        return False


class TornRunFileTest(unittest.TestCase):
    def test_killed_in_a_write_reads_committed_and_resumes_identically(self):
        ref_dir = common.tmpdir("torn_ref")
        p = train(ref_dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        ref = os.path.join(ref_dir, "run.h5")
        torn, plain_failures = 0, 0
        for n in CRASH_AT:
            with self.subTest(crash_at=n):
                out = common.tmpdir("torn")
                path = os.path.join(out, "run.h5")
                p = train(out, env_extra={"TEAMSRL_CRASH_AT_WRITE": str(n)})
                if p.returncode == 0:
                    continue  # the run had fewer writes
                self.assertEqual(p.returncode, -9, p.stderr)
                record = read_commit(path)
                self.assertIsNotNone(record)
                self.assertIsNotNone(committed_image(path), "no hot journal after the kill")
                torn += 1
                before = digest(path)
                plain_failures += not plain_h5py_reads(path)
                run = load_run(path)
                committed = record["rows"]["iterations"]
                self.assertEqual(len(run.iterations), committed)
                self.assertEqual(list(run.iterations["iteration"]), list(range(committed)))
                self.assertEqual(len(run.steps), record["rows"]["steps"])
                q = subprocess.run([common.BIN, "inspect", path], capture_output=True,
                                   text=True, timeout=60)
                self.assertEqual(q.returncode, 0, q.stdout + q.stderr)
                self.assertRegex(q.stdout, r"(?m)^iterations\s+%d\b" % committed)
                self.assertEqual(digest(path), before, "a reader changed the file")
                p = train(out, ["--resume=auto"])
                self.assertEqual(p.returncode, 0, p.stderr)
                assert_same_run(self, ref, path, f"killed at write {n}")
                self.assertFalse(os.path.exists(path + ".undo"))
                shutil.rmtree(out)
        print(f"{torn} runs killed in the middle of a write (of {len(CRASH_AT)}); plain h5py "
              f"failed on {plain_failures} of them; load_run, inspect and resume on none",
              file=sys.stderr)
        self.assertGreaterEqual(torn, 0.8 * len(CRASH_AT))


if __name__ == "__main__":
    unittest.main(verbosity=2)
