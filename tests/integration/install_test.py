"""`cmake --install` gives a self-contained program: PREFIX/bin/teamsrl, run from a directory
with no source tree and a config that leaves `env.prompts_dir` at its default, finds the
templates installed in PREFIX/share/teamsrl/prompts (docs/architecture.md s.5: the lookup
of src/core/install_paths.h). Without them it fails with exit code 2, naming where it looked."""
import os
import shutil
import subprocess
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

BUILD_DIR = os.environ.get("TEAMSRL_BUILD_DIR", "")

# A config of our own outside any `experiments/` directory: relative paths resolve against
# its own directory, where there are no prompts, so only the installed ones can be found.
CONFIG = """run: {name: installed}
env: {episode_length: 2}
train: {iterations: 1, actors: 2}
"""


def run_installed(binary, args, cwd):
    cmd = ["mpirun", "-np", "1", binary] + list(args)
    env = dict(os.environ)
    env.update(common.MPI_ENV)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=cwd,
                          stdin=subprocess.DEVNULL)


class InstallTest(unittest.TestCase):
    def setUp(self):
        if not BUILD_DIR:
            self.fail("TEAMSRL_BUILD_DIR is not set (tests/integration/CMakeLists.txt sets it)")
        self.root = common.tmpdir("install")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.work = os.path.join(self.root, "work")
        os.makedirs(self.work)
        with open(os.path.join(self.work, "c.yaml"), "w") as f:
            f.write(CONFIG)

    def test_installed_binary_finds_installed_prompts(self):
        prefix = os.path.join(self.root, "prefix")
        p = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        binary = os.path.join(prefix, "bin", "teamsrl")
        prompts = os.path.join(prefix, "share", "teamsrl", "prompts")
        self.assertTrue(os.access(binary, os.X_OK))
        shipped = sorted(n for n in os.listdir(os.path.join(common.SOURCE_DIR, "experiments",
                                                            "prompts")))
        self.assertEqual(sorted(os.listdir(prompts)), shipped)

        p = run_installed(binary, ["train", "c.yaml", "--out", "out", "--quiet"], self.work)
        self.assertEqual(p.returncode, 0, p.stderr)
        with h5py.File(os.path.join(self.work, "out", "run.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "completed")
            self.assertIn(prompts, f.attrs["config_yaml"])

    def test_binary_without_prompts_names_the_places_tried(self):
        # PREFIX/a/bin/teamsrl alone: none of the three places exists.
        lone = os.path.join(self.root, "lone", "a", "bin")
        os.makedirs(lone)
        binary = os.path.join(lone, "teamsrl")
        shutil.copy2(common.BIN, binary)
        p = run_installed(binary, ["train", "c.yaml", "--out", "out", "--quiet"], self.work)
        self.assertEqual(p.returncode, 2, p.stderr)
        tried = [os.path.join(self.work, "experiments", "prompts"),
                 os.path.join(self.root, "lone", "a", "share", "teamsrl", "prompts"),
                 os.path.join(self.root, "lone", "experiments", "prompts")]
        self.assertIn("env.prompts_dir: prompt templates not found; tried " + ", ".join(tried),
                      p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.work, "out")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
