"""The released code's observation-filter schedules (issue 14 items 2 and 3), checked against
a reference computed here, independently of teamsrl.

Training, `policy.obs_filter_schedule: step`: one actor's filter takes the reset state (zeros)
and the one-hot of every action, 7 observations per 6-step episode, and the policy acts on
each observation normalised right after it was pushed (ZFilter(update=True)). The reference
replays that filter from the recorded actions; an independent forward pass of the Gaussian
policy (parameters from the previous iteration's snapshot) must then give the recorded
log-probability of every step, and every snapshot's filter must be the reference's.

Generation, `generate.obs_filter: fresh`: one new filter over every seed's observations in
seed order; its saved state after the run is the reference's over the dataset's actions, and
the dataset is the same for 1 and 2 ranks and two chunk sizes."""
import hashlib
import json
import math
import os
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

ACTIONS = 6
STEPS = 6


class ZFilter:
    """pytorch-trpo's ZFilter: Welford updates, var = M2/(n-1), mean^2 at n == 1, clip."""

    def __init__(self, clip=5.0):
        self.n, self.mean, self.m2, self.clip = 0, np.zeros(ACTIONS), np.zeros(ACTIONS), clip

    def push(self, x):
        self.n += 1
        if self.n == 1:
            self.mean = x.copy()
            return
        old = self.mean.copy()
        self.mean = old + (x - old) / self.n
        self.m2 = self.m2 + (x - old) * (x - self.mean)

    def __call__(self, x):
        self.push(x)
        var = self.m2 / (self.n - 1) if self.n > 1 else self.mean ** 2
        return np.clip((x - self.mean) / (np.sqrt(var) + 1e-8), -self.clip, self.clip)

    def state(self):
        return np.concatenate([[self.n], self.mean, self.m2])


def one_hot(a):
    v = np.zeros(ACTIONS)
    if a >= 0:
        v[a] = 1.0
    return v


def policy_logp(params, obs, action, hidden=(64, 64)):
    """The Gaussian policy's log-density of the one-hot of `action`: per layer W (out x in,
    row-major) then b, ReLU between layers, then log_std (the run file's architecture)."""
    sizes, x, k = [ACTIONS, *hidden, ACTIONS], obs, 0
    for i in range(len(sizes) - 1):
        n_in, n_out = sizes[i], sizes[i + 1]
        w = params[k:k + n_in * n_out].reshape(n_out, n_in)
        k += n_in * n_out
        b = params[k:k + n_out]
        k += n_out
        x = w @ x + b
        if i < len(sizes) - 2:
            x = np.maximum(x, 0.0)
    log_std = params[k:k + ACTIONS]
    assert k + ACTIONS == len(params)
    r = one_hot(action) - x
    return float(np.sum(-0.5 * r * r * np.exp(-2 * log_std) - 0.5 * math.log(2 * math.pi) - log_std))


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


class TrainingStepScheduleTest(unittest.TestCase):
    def test_per_step_filter_matches_the_reference(self):
        out = common.tmpdir("filter_step")
        iterations = 5
        rc, _, se, _ = common.mpirun(1, ["train", common.config("paper_train.yaml"), "--out", out,
                                         "--quiet", "--set", f"train.iterations={iterations}",
                                         "--set", "train.snapshot_every=1",
                                         "--set", "policy.obs_filter_schedule=step"])
        self.assertEqual(rc, 0, se)
        with h5py.File(os.path.join(out, "run.h5"), "r") as f:
            steps = f["/train/steps"][:]
            self.assertEqual(f.attrs["config_yaml"].count("obs_filter_schedule: step"), 1)
            snapshots = {k: f[f"/policy/snapshot_{k:06d}"][:] for k in range(1, iterations + 1)}
            filters = {k: f[f"/policy/snapshot_{k:06d}_obs_filter"][:]
                       for k in range(1, iterations + 1)}
        self.assertEqual(len(steps), iterations * STEPS)
        ref = ZFilter()
        checked = 0
        for k in range(iterations):
            rows = steps[k * STEPS:(k + 1) * STEPS]
            obs = ref(one_hot(-1))  # the reset state
            for t, row in enumerate(rows):
                self.assertEqual(int(row["t"]), t)
                if k == 0 and t == 0:
                    np.testing.assert_array_equal(obs, np.zeros(ACTIONS))  # not the clip
                if k > 0:  # the parameters it acted with are the previous snapshot's
                    logp = policy_logp(snapshots[k], obs, int(row["action"]))
                    self.assertAlmostEqual(logp, float(row["logp"]), delta=1e-9,
                                           msg=f"iteration {k + 1} step {t}")
                    checked += 1
                obs = ref(one_hot(int(row["action"])))  # the next state, the last one too
            np.testing.assert_allclose(filters[k + 1], ref.state(), rtol=0, atol=1e-12)
            self.assertEqual(filters[k + 1][0], 7 * (k + 1))
        print(f"{checked} steps' log-probabilities match the reference filter; "
              f"filter after {iterations} episodes: count {int(ref.n)}")

    def test_step_schedule_is_the_same_for_any_rank_count(self):
        digests = set()
        for ranks in (1, 2):
            out = common.tmpdir(f"filter_step_r{ranks}")
            rc, _, se, _ = common.mpirun(ranks, [
                "train", common.config("quickstart.yaml"), "--out", out, "--quiet",
                "--set", "train.iterations=3", "--set", "train.actors=3",
                "--set", "policy.obs_filter_schedule=step"])
            self.assertEqual(rc, 0, se)
            with h5py.File(os.path.join(out, "run.h5"), "r") as f:
                digests.add((f["/policy/final"][:].tobytes(),
                             f["/policy/final_obs_filter"][:].tobytes(),
                             f["/train/steps"]["logp"].tobytes()))
                # The merged filter: 3 actors x 7 observations per episode, 3 iterations.
                self.assertEqual(f["/policy/final_obs_filter"][0], 3 * 3 * 7)
        self.assertEqual(len(digests), 1)


class GenerateFreshFilterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = common.tmpdir("filter_fresh")
        cls.policy = common.train_policy(os.path.join(cls.out, "train"), iterations=2)

    def generate(self, name, ranks, chunk, mode="fresh", seeds=17, extra=()):
        gen = os.path.join(self.out, name)
        rc, _, se, _ = common.mpirun(ranks, [
            "generate", common.config("generate.yaml"), "--policy", self.policy, "--out", gen,
            "--quiet", "--set", f"generate.obs_filter={mode}",
            "--set", f"generate.chunk_size={chunk}",
            "--set", f"generate.max_samples={seeds * STEPS}"] + list(extra))
        self.assertEqual(rc, 0, se)
        return gen

    def test_fresh_filter_after_all_seeds_matches_the_reference(self):
        runs = [self.generate("r1c5", 1, 5), self.generate("r2c5", 2, 5),
                self.generate("r2c7", 2, 7)]
        self.assertEqual(len({md5(os.path.join(g, "dataset.jsonl")) for g in runs}), 1)
        with open(os.path.join(runs[0], "dataset.jsonl")) as f:
            samples = [json.loads(line) for line in f]
        names = ["breadth", "add_constraints", "deepening", "concretizing",
                 "increase_reasoning", "complicate_input"]
        ref = ZFilter()
        for seed in sorted({s["seed_index"] for s in samples}):
            ref.push(one_hot(-1))
            for s in sorted((s for s in samples if s["seed_index"] == seed),
                            key=lambda s: s["step"]):
                ref.push(one_hot(names.index(s["action"])))
        self.assertEqual(ref.n, 17 * 7)
        for g in runs:
            with h5py.File(os.path.join(g, "generate.h5"), "r") as f:
                self.assertEqual(f.attrs["obs_filter"], "fresh")
                np.testing.assert_allclose(f["/policy/generate_obs_filter"][:], ref.state(),
                                           rtol=0, atol=1e-12)
        snap = self.generate("snap", 2, 5, mode="snapshot")
        with h5py.File(os.path.join(snap, "generate.h5"), "r") as f:
            self.assertEqual(f.attrs["obs_filter"], "snapshot")
            self.assertNotIn("/policy/generate_obs_filter", f)

    def test_obs_clip_is_generations_setting(self):
        # generate.obs_clip: 0 takes the training run's policy.obs_clip (5), any other value
        # replaces it (issue 14 item 1: every policy setting generation uses is overridable).
        data = {}
        for name, clip in (("clip_default", 0), ("clip_5", 5), ("clip_small", 0.01)):
            g = self.generate(name, 1, 50, mode="snapshot", seeds=60,
                              extra=["--set", f"generate.obs_clip={clip}"])
            data[name] = md5(os.path.join(g, "dataset.jsonl"))
        self.assertEqual(data["clip_default"], data["clip_5"])
        self.assertNotEqual(data["clip_default"], data["clip_small"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
