"""`env.seeds.on_bad_record: skip` says what it skips (issue 10 item 3): each skipped record
as FILE:LINE and why (the first 10), a total, the counts in the h5 file; a file with no
usable seed (a binary file, a JSON array saved as .jsonl) is an error, not "completed: 0
seeds" with exit 0."""
import json
import os
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class BadSeedsTest(unittest.TestCase):
    def baseline(self, seeds, out):
        return common.mpirun(2, ["baseline", common.config("quickstart.yaml"), "--out", out,
                                 "--quiet", "--set", "env.seeds.path=" + seeds,
                                 "--set", "env.seeds.on_bad_record=skip",
                                 "--set", "baseline.rounds=1"])

    def test_skipped_records_are_named_counted_and_stored(self):
        tmp = common.tmpdir("badseeds")
        seeds = os.path.join(tmp, "seeds.jsonl")
        with open(seeds, "w") as f:
            f.write(json.dumps({"instruction": "Name three rivers."}) + "\n")
            f.write("{not json\n")
            f.write(json.dumps({"instruction": "Explain tides."}) + "\n")
            f.write(json.dumps({"prompt": "no instruction field"}) + "\n")
            f.write(json.dumps({"instruction": "Write a haiku."}) + "\n")
        rc, so, se, _ = self.baseline(seeds, os.path.join(tmp, "out"))
        self.assertEqual(rc, 0, se)
        self.assertIn("skipped seed record %s:2: invalid JSON" % seeds, se)
        self.assertIn("skipped seed record %s:4: field 'instruction' is missing" % seeds, se)
        self.assertIn("skipped 2 bad seed record(s) of %s" % seeds, se)
        self.assertEqual(se.count("skipped seed record"), 2, "reported once, by root")
        with h5py.File(os.path.join(tmp, "out", "baseline.h5"), "r") as f:
            self.assertEqual(f.attrs["seeds_usable"], 3)
            self.assertEqual(f.attrs["seeds_skipped"], 2)

    def test_a_file_without_a_usable_seed_is_an_error(self):
        tmp = common.tmpdir("noseeds")
        binary = os.path.join(tmp, "blob.jsonl")
        with open(binary, "wb") as f:
            f.write(bytes(range(256)) * 8 + b"\n\x00\x01\n")
        array = os.path.join(tmp, "array.jsonl")
        with open(array, "w") as f:
            json.dump([{"instruction": "a", "input": ""}, {"instruction": "b", "input": ""}], f,
                      indent=4)  # as Alpaca's alpaca_data.json is laid out
        for path in (binary, array):
            rc, so, se, _ = self.baseline(path, os.path.join(tmp, os.path.basename(path) + "_out"))
            self.assertEqual(rc, 2, se)
            self.assertIn("env.seeds.path %s: no usable seed: all" % path, se)
            self.assertNotIn("completed", so)


if __name__ == "__main__":
    unittest.main(verbosity=2)
