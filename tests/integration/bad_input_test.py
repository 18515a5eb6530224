"""Bad input ends `mpirun -np 2 teamsrl train` with a non-zero exit within seconds and
one message naming the problem (key, file, line); no crash, no hang."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

GOOD = open(common.config("quickstart.yaml")).read()


class BadInputTest(unittest.TestCase):
    def write(self, name, data, mode="w"):
        path = os.path.join(common.tmpdir("bad"), name)
        with open(path, mode) as f:
            f.write(data)
        return path

    def expect_error(self, config_path, expected, extra=()):
        out = common.tmpdir("badout")
        rc, so, se, secs = common.mpirun(2, ["train", config_path, "--out", out, "--quiet"] + list(extra),
                                         timeout=60)
        self.assertEqual(rc, 2, se)
        self.assertLess(secs, 15.0)
        lines = [l for l in se.splitlines() if l.startswith("teamsrl: error:")]
        self.assertEqual(len(lines), 1, se)
        for piece in expected:
            self.assertIn(piece, lines[0])
        self.assertNotIn("Segmentation", se)
        self.assertNotIn("core dumped", se)
        self.assertFalse(os.path.exists(os.path.join(out, "run.h5")))
        return lines[0]

    def test_no_command_lists_the_commands(self):
        import subprocess
        p = subprocess.run([common.BIN], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        listed = [line.split()[0] for line in p.stderr.splitlines() if line.startswith("  ")]
        for command in ["train", "generate", "baseline", "inspect", "keys", "eval", "export"]:
            self.assertIn(command, listed, p.stderr)
        self.assertIn("usage: teamsrl <command>", p.stderr)

    def test_negative_snapshot_names_a_short_range(self):
        import subprocess
        p = subprocess.run([common.BIN, "generate", common.config("generate.yaml"), "--policy",
                            "x.h5", "--snapshot", "-1"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--snapshot: Value -1 not in range 0 to 999999", p.stderr)
        self.assertLess(len(p.stderr), 200, p.stderr)  # was a 300-digit bound

    def test_an_output_that_cannot_be_created_is_exit_2_in_every_command(self):
        import json
        import tempfile
        tmp = tempfile.mkdtemp(prefix="unwritable")
        dataset = os.path.join(tmp, "d.jsonl")
        with open(dataset, "w") as f:
            f.write(json.dumps({"instruction": "a", "input": "", "output": "b"}) + "\n")
        missing = "/proc/teamsrl-no-such-dir"  # not creatable, even by root
        for args in (["train", common.config("quickstart.yaml"), "--out", missing, "--quiet"],
                     ["baseline", common.config("quickstart.yaml"), "--out", missing, "--quiet"],
                     ["eval", dataset, "--json", missing + "/m.json"],
                     ["export", dataset, "--out", missing + "/a.json"]):
            rc, _, se, _ = common.mpirun(1, args)
            self.assertEqual(rc, 2, (args[0], se))
            self.assertIn("No such file or directory", se, args[0])

    def test_malformed_yaml(self):
        p = self.write("malformed.yaml", "run:\n  name: x\n  seed: [1, 2\ntrain:\n  actors: 2\n")
        self.expect_error(p, ["malformed.yaml", ":4"])

    def test_empty_file(self):
        p = self.write("empty.yaml", "")
        self.expect_error(p, ["empty.yaml", "empty"])

    def test_binary_file(self):
        p = self.write("binary.yaml", bytes(range(256)) * 4, mode="wb")
        self.expect_error(p, ["binary.yaml", "not a text"])

    def test_missing_file(self):
        self.expect_error("/nonexistent/dir/missing.yaml", ["/nonexistent/dir/missing.yaml"])

    def test_unknown_key_in_file(self):
        p = self.write("unknown.yaml", GOOD.replace("train:", "train:\n  actorz: 3", 1))
        line = GOOD.splitlines().index("train:") + 2
        self.expect_error(p, ["unknown.yaml", f":{line}", "train.actorz", "unknown key"])

    def test_unknown_key_in_set(self):
        self.expect_error(common.config("quickstart.yaml"), ["--set", "train.actorz", "unknown key"],
                          ["--set", "train.actorz=3"])

    def test_wrong_type(self):
        p = self.write("type.yaml", GOOD.replace("train:", "train:\n  snapshot_every: lots", 1))
        line = GOOD.splitlines().index("train:") + 2
        self.expect_error(p, ["type.yaml", f":{line}", "train.snapshot_every", "integer"])

    def test_negative_count(self):
        self.expect_error(common.config("quickstart.yaml"), ["train.actors"],
                          ["--set", "train.actors=-4"])

    def test_missing_seeds_file(self):
        self.expect_error(common.config("quickstart.yaml"), ["env.seeds.path", "/no/such/seeds.jsonl"],
                          ["--set", "env.seeds.path=/no/such/seeds.jsonl"])

    def test_existing_run_file_needs_overwrite(self):
        out = common.tmpdir("exists")
        args = ["train", common.config("quickstart.yaml"), "--out", out, "--quiet",
                "--set", "train.iterations=2"]
        rc, so, se, _ = common.mpirun(2, args, timeout=60)
        self.assertEqual(rc, 0, se)
        before = os.path.getmtime(os.path.join(out, "run.h5"))
        # Root alone sees the file; the other rank must not wait for it forever.
        rc, so, se, secs = common.mpirun(2, args, timeout=60)
        self.assertEqual(rc, 2, se)
        self.assertLess(secs, 15.0)
        lines = [l for l in se.splitlines() if l.startswith("teamsrl: error:")]
        self.assertEqual(len(lines), 1, se)
        self.assertIn("run.h5 exists; pass --overwrite", lines[0])
        self.assertEqual(os.path.getmtime(os.path.join(out, "run.h5")), before)
        rc, so, se, _ = common.mpirun(2, args + ["--overwrite"], timeout=60)
        self.assertEqual(rc, 0, se)


if __name__ == "__main__":
    unittest.main(verbosity=2)
