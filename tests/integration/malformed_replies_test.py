"""Reviewer replies that are neither exactly `Equal` nor `Not Equal` (issue 14 item 9): the
simulator's reviewer answers 8 % of the time in another form, as real ones do. Training
counts them per iteration (/train/iterations column malformed_replies), which must equal
a count made here from the raw replies in /train/steps; `inspect` shows the total against
the replies; the run warns once when their share passes run.malformed_reply_warn_share,
and not when the threshold is 1."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import h5py  # noqa: E402
import numpy as np  # noqa: E402


def train(out, share):
    p = subprocess.run([common.BIN, "train", common.config("quickstart.yaml"), "--out", out,
                        "--set", "train.iterations=6", "--set",
                        "run.malformed_reply_warn_share=%s" % share, "--progress", "off"],
                       capture_output=True, text=True, timeout=120)
    return p


class MalformedRepliesTest(unittest.TestCase):
    def test_counted_per_iteration_shown_and_warned(self):
        tmp = common.tmpdir("malformed")
        out = os.path.join(tmp, "run")
        p = train(out, 0.01)
        self.assertEqual(p.returncode, 0, p.stderr)
        warnings = re.findall(r"\[warning\] (\d+) of (\d+) reviewer replies \(([\d.]+) %\) were "
                              r"neither exactly `Equal` nor `Not Equal` and earned 0", p.stderr)
        self.assertEqual(len(warnings), 1, p.stderr)  # once, not every iteration
        with h5py.File(os.path.join(out, "run.h5"), "r") as f:
            it = f["/train/iterations"][:]
            steps = f["/train/steps"][:]
            texts = f["/text/strings"].asstr()[:]
        expected = np.zeros(len(it), dtype=np.int64)
        replies = 0
        for row in steps:
            if row["reply_id"] < 0:
                continue
            replies += 1
            if texts[row["reply_id"]].strip() not in ("Equal", "Not Equal"):
                expected[row["iteration"]] += 1
        self.assertTrue(np.array_equal(it["malformed_replies"], expected),
                        (it["malformed_replies"], expected))
        self.assertGreater(expected.sum(), 0)  # the simulator's 8 % showed up
        summary = subprocess.run([common.BIN, "inspect", os.path.join(out, "run.h5")],
                                 capture_output=True, text=True, timeout=60).stdout
        self.assertIn("reviewer replies  %d of %d (" % (expected.sum(), replies), summary)
        quiet = train(os.path.join(tmp, "quiet"), 1)
        self.assertEqual(quiet.returncode, 0, quiet.stderr)
        self.assertNotIn("reviewer replies", quiet.stderr)
        print("malformed replies: %d of %d (%.1f %%), per iteration %s"
              % (expected.sum(), replies, 100.0 * expected.sum() / replies, list(expected)))


if __name__ == "__main__":
    unittest.main()
