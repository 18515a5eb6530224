"""Outputs on shared file systems (issue 9 item 6): a symbolic link planted at any output or
temporary file of train, generate, baseline, eval and export, dangling or pointing at a file
someone else owns, is never written through. Without --overwrite an occupied output is
refused (exit 2, nothing touched); with it the link itself is replaced. Temporary files have
unique names, so a link at the old fixed name (`X.tmp`) changes nothing."""
import json
import os
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

PRECIOUS = b"someone else's file\n"


class PlantedLinksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = common.tmpdir("links")
        cls.train_dir = os.path.join(cls.tmp, "train")
        common.train_policy(cls.train_dir, iterations=2)
        cls.seeds = os.path.join(cls.tmp, "seeds.txt")
        with open(cls.seeds, "w") as f:
            f.write("".join(f"Name {i} rivers.\n" for i in range(1, 5)))

    def setUp(self):
        self.victim = os.path.join(self.tmp, "victim_%s" % self._testMethodName)
        with open(self.victim, "wb") as f:
            f.write(PRECIOUS)
        self.nowhere = os.path.join(self.tmp, "nowhere_%s" % self._testMethodName)

    def assert_untouched(self):
        with open(self.victim, "rb") as f:
            self.assertEqual(f.read(), PRECIOUS, "a planted link was written through")
        self.assertFalse(os.path.lexists(self.nowhere), "a dangling link's target was created")

    def plant(self, path, dangling=False):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(self.nowhere if dangling else self.victim, path)

    def train(self, out, *extra):
        return common.mpirun(1, ["train", common.config("quickstart.yaml"), "--out", out,
                                 "--quiet", "--set", "train.iterations=1"] + list(extra))

    def test_train_run_file(self):
        for dangling in (False, True):
            out = os.path.join(self.tmp, "t_%s" % dangling)
            self.plant(os.path.join(out, "run.h5"), dangling)
            rc, _, se, _ = self.train(out)
            self.assertEqual(rc, 2, se)
            self.assertIn("run.h5 exists; pass --overwrite", se)
            self.assert_untouched()
            rc, _, se, _ = self.train(out, "--overwrite")
            self.assertEqual(rc, 0, se)
            self.assertFalse(os.path.islink(os.path.join(out, "run.h5")))
            with h5py.File(os.path.join(out, "run.h5"), "r") as f:
                self.assertEqual(f.attrs["status"], "completed")
            self.assert_untouched()

    def dataset_command(self, command, out, *extra):
        args = [command, common.config("quickstart.yaml"), "--out", out, "--quiet",
                "--set", "env.seeds.path=" + self.seeds, "--set", "baseline.rounds=1"]
        if command == "generate":
            args += ["--policy", os.path.join(self.train_dir, "run.h5")]
        return common.mpirun(1, args + list(extra))

    def test_generate_and_baseline_outputs(self):
        for command in ("generate", "baseline"):
            for name in ("dataset.jsonl", "calls.bin", ".lock"):
                for dangling in (False, True):
                    out = os.path.join(self.tmp, "%s_%s_%s" % (command, name, dangling))
                    self.plant(os.path.join(out, name), dangling)
                    rc, _, se, _ = self.dataset_command(command, out)
                    self.assertEqual(rc, 2, "%s wrote through %s" % (command, name))
                    self.assertTrue("is a symbolic link" in se or "pass --overwrite" in se, se)
                    self.assert_untouched()
                    rc, _, se, _ = self.dataset_command(command, out, "--overwrite")
                    if name == ".lock":  # never replaced: it may be another run's lock
                        self.assertEqual(rc, 2, se)
                        self.assertIn("is a symbolic link", se)
                    else:
                        self.assertEqual(rc, 0, se)
                        self.assertFalse(os.path.islink(os.path.join(out, name)))
                    self.assert_untouched()
            # The run file is rebuilt on every run: a link there is replaced, not followed;
            # a link at the old fixed temporary name of progress.json is never used.
            out = os.path.join(self.tmp, command + "_h5")
            self.plant(os.path.join(out, command + ".h5"))
            self.plant(os.path.join(out, "progress.json.tmp"), dangling=False)
            rc, _, se, _ = self.dataset_command(command, out)
            self.assertEqual(rc, 0, se)
            self.assertFalse(os.path.islink(os.path.join(out, command + ".h5")))
            with open(os.path.join(out, "progress.json")) as f:
                self.assertTrue(json.load(f)["complete"])
            self.assert_untouched()

    def test_eval_json_and_export_out(self):
        dataset = os.path.join(self.tmp, "ds.jsonl")
        with open(dataset, "w") as f:
            f.write(json.dumps({"instruction": "Sum 1 and 2.", "input": "", "output": "3"}) + "\n")
        for dangling in (False, True):
            outs = {"eval": os.path.join(self.tmp, "m_%s.json" % dangling),
                    "export": os.path.join(self.tmp, "a_%s.json" % dangling)}
            cmds = {"eval": ["eval", dataset, "--json", outs["eval"]],
                    "export": ["export", dataset, "--out", outs["export"]]}
            for name, cmd in cmds.items():
                self.plant(outs[name], dangling)
                self.plant(outs[name] + ".tmp", dangling=False)  # the old fixed temporary name
                rc, _, se, _ = common.mpirun(1, cmd)
                self.assertEqual(rc, 2, se)
                self.assertIn("exists; pass --overwrite", se)
                self.assert_untouched()
                rc, _, se, _ = common.mpirun(1, cmd + ["--overwrite"])
                self.assertEqual(rc, 0, se)
                self.assertFalse(os.path.islink(outs[name]))
                with open(outs[name]) as f:
                    json.load(f)
                self.assert_untouched()
                os.unlink(outs[name] + ".tmp")
        # A regular file is someone's output too: kept without --overwrite.
        out = os.path.join(self.tmp, "kept.json")
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        rc, _, se, _ = common.mpirun(1, ["export", dataset, "--out", out])
        self.assertEqual(rc, 2, se)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), PRECIOUS)


if __name__ == "__main__":
    unittest.main(verbosity=2)
