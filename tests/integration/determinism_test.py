"""/policy/final and every non-timing column of the run file are bitwise identical
under 1, 2, 4 and 8 ranks (4 and 8 oversubscribed; with 5 actors, 3 of 8 ranks host none),
and across reruns, in both dist.aggregate modes: trajectories (root runs the learner) and
gradients (every rank runs it, its sums reduced exactly; issue 15), with blocks of one and of
two actors; and one block of every actor is the trajectory learner, bit for bit."""
import os
import sys
import unittest

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

TIMING = {"wall_s", "latency_ms", "limit_wait_ms", "limit_wait_s"}
ARGS = ["--set", "train.actors=5", "--set", "train.iterations=6",
        "--set", "train.episodes_per_actor=2", "--quiet"]


def non_timing(f, path):
    data = f[path][:]
    return {name: data[name] for name in data.dtype.names if name not in TIMING}


class DeterminismTest(unittest.TestCase):
    def run_with(self, ranks, policy_type, tag, extra=()):
        out = os.path.join(common.tmpdir("det"), tag)
        rc, so, se, _ = common.mpirun(
            ranks, ["train", common.config("quickstart.yaml"), "--out", out,
                    "--set", f"policy.type={policy_type}"] + ARGS + list(extra))
        self.assertEqual(rc, 0, se)
        return os.path.join(out, "run.h5")

    def check_policy(self, policy_type, extra=()):
        tag = policy_type + "".join(e.replace("=", "_") for e in extra[1::2])
        files = {n: self.run_with(n, policy_type, f"{tag}_{n}", extra) for n in (1, 2, 4, 8)}
        files["1b"] = self.run_with(1, policy_type, f"{tag}_1b", extra)
        ref = files.pop(1)
        self.assert_same(ref, {k: (1 if k == "1b" else k, f) for k, f in files.items()})

    def assert_same(self, ref_path, files):
        """Every file of `files` (key: (world size, path)) equals ref_path, bitwise."""
        with h5py.File(ref_path, "r") as ref:
            ref_policy = ref["/policy/final"][:]
            self.assertEqual(ref.attrs["status"], "completed")
            ref_tables = {p: non_timing(ref, p) for p in
                          ("/train/iterations", "/train/episodes", "/train/steps", "/llm/calls")}
            ref_text = list(ref["/text/strings"][:])
            self.assertGreater(len(ref_tables["/train/steps"]["action"]), 0)
            for key, (world, path) in files.items():
                with h5py.File(path, "r") as f:
                    self.assertEqual(f.attrs["world_size"], world)
                    # Bitwise: compare the bytes, not approximately.
                    self.assertEqual(f["/policy/final"][:].tobytes(), ref_policy.tobytes(),
                                     f"/policy/final differs with {key} ranks")
                    for p, cols in ref_tables.items():
                        got = non_timing(f, p)
                        for name, ref_col in cols.items():
                            self.assertEqual(got[name].tobytes(), ref_col.tobytes(),
                                             f"{p}.{name} differs with {key} ranks")
                    self.assertEqual(list(f["/text/strings"][:]), ref_text)

    def test_one_block_is_the_trajectory_learner(self):
        # dist.block_actors >= actors: one block, one term in every exact sum, which rounds
        # to the term itself: the learner root runs under trajectories, bit for bit; with
        # 2 ranks, rank 1 hosts no actors.
        grad = ["--set", "dist.aggregate=gradients", "--set", "dist.block_actors=5"]
        ref = self.run_with(1, "gaussian_argmax", "oneblock_traj")
        self.assert_same(ref, {
            "gradients 1": (1, self.run_with(1, "gaussian_argmax", "oneblock_1", grad)),
            "gradients 2": (2, self.run_with(2, "gaussian_argmax", "oneblock_2", grad))})

    def test_gaussian_argmax_trpo(self):
        self.check_policy("gaussian_argmax")

    def test_gaussian_argmax_per_step_filter(self):
        # The released code's filter schedule: each actor's own filter (issue 14 item 3).
        self.check_policy("gaussian_argmax", ["--set", "policy.obs_filter_schedule=step"])

    def test_categorical(self):
        self.check_policy("categorical")

    def test_gaussian_argmax_trpo_gradients(self):
        self.check_policy("gaussian_argmax", ["--set", "dist.aggregate=gradients"])

    def test_per_step_filter_gradients(self):
        self.check_policy("gaussian_argmax", ["--set", "dist.aggregate=gradients",
                                              "--set", "policy.obs_filter_schedule=step"])

    def test_blocks_gradients(self):
        # Blocks {0, 1}, {2, 3}, {4}: ranks host whole blocks (5 of 8 ranks none).
        self.check_policy("gaussian_argmax", ["--set", "dist.aggregate=gradients",
                                              "--set", "dist.block_actors=2"])

    def test_categorical_gradients(self):
        self.check_policy("categorical", ["--set", "dist.aggregate=gradients"])

    def test_ppo_gradients(self):
        self.check_policy("categorical", ["--set", "dist.aggregate=gradients",
                                          "--set", "algo.type=ppo"])

    def test_reinforce_gradients(self):
        self.check_policy("gaussian_argmax", ["--set", "dist.aggregate=gradients",
                                              "--set", "algo.type=reinforce"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
