"""Reviewer replies that are neither exactly `Equal` nor `Not Equal` (issue 14 item 9): the
simulator's reviewer answers 8 % of the time in another form, as real ones do. Training
counts them per iteration (/train/iterations column malformed_replies), which must equal
a count made here from the raw replies in /train/steps; `inspect` shows the total against
the replies; the run warns once when their share passes run.malformed_reply_warn_share,
and not when the threshold is 1. The baseline (and generate with the `equal` rule) marks such
samples `malformed_reply` in dataset.jsonl (checked against the raw replies in
tests/pipeline/baseline_test.cc), counts them in the h5 file's root attributes, shows them in
`inspect` and warns likewise: under `exact` each one eliminated its sample as Equal."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import h5py  # noqa: E402
import json  # noqa: E402
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

    def test_baseline_marks_counts_and_warns(self):
        out = os.path.join(common.tmpdir("malformed_base"), "base")
        rc, _, se, _ = common.mpirun(2, ["baseline", common.config("baseline.yaml"), "--out", out,
                                         "--quiet", "--set", "baseline.rounds=1",
                                         "--set", "run.malformed_reply_warn_share=0.01"])
        self.assertEqual(rc, 0, se)
        with open(os.path.join(out, "dataset.jsonl")) as f:
            lines = [json.loads(line) for line in f]
        reviewed = [x for x in lines if x["not_equal"] is not None]
        marked = [x for x in reviewed if x.get("malformed_reply")]
        self.assertGreaterEqual(len(reviewed), 100)
        self.assertGreater(len(marked), 0)
        # Under `exact` a malformed reply reads as Equal: the `equal` rule dropped the sample.
        for x in marked:
            self.assertFalse(x["not_equal"])
            self.assertTrue(x["eliminated"])
        with h5py.File(os.path.join(out, "baseline.h5"), "r") as f:
            self.assertEqual(f.attrs["reviewer_replies"], len(reviewed))
            self.assertEqual(f.attrs["malformed_replies"], len(marked))
        self.assertRegex(se, r"\[warning\] %d of %d reviewer replies \([\d.]+ %%\) were neither "
                         r"exactly `Equal` nor `Not Equal` and counted as Equal" %
                         (len(marked), len(reviewed)))
        summary = subprocess.run([common.BIN, "inspect", os.path.join(out, "baseline.h5")],
                                 capture_output=True, text=True, timeout=60).stdout
        self.assertIn("reviewer replies  %d of %d (" % (len(marked), len(reviewed)), summary)
        print("baseline: %d of %d reviewer replies malformed" % (len(marked), len(reviewed)))


if __name__ == "__main__":
    unittest.main()
