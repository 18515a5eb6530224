"""The paper preset learns on the simulator: over seeds 1, 2 and 3 the mean return of the
last 50 updates of the trained policy beats policy.type=uniform (Evol-Instruct's random
choice) by at least 10 %, with the learner on root (dist.aggregate: trajectories) and on
every rank (gradients, issue 15)."""
import os
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def last50(seed, policy_type, aggregate="trajectories"):
    out = common.tmpdir(f"learn_{policy_type}_{aggregate}_{seed}")
    rc, so, se, _ = common.mpirun(
        2, ["train", common.config("paper_train.yaml"), "--out", out, "--quiet",
            "--set", f"run.seed={seed}", "--set", f"policy.type={policy_type}",
            "--set", "train.snapshot_every=0", "--set", f"dist.aggregate={aggregate}"],
        timeout=300)
    assert rc == 0, se
    with h5py.File(os.path.join(out, "run.h5"), "r") as f:
        returns = f["/train/iterations"]["mean_return"]
        assert len(returns) == 200
        return float(np.mean(returns[-50:]))


class LearningTest(unittest.TestCase):
    def test_trained_policy_beats_uniform_by_ten_percent(self):
        uniform = [last50(s, "uniform") for s in (1, 2, 3)]
        for aggregate in ("trajectories", "gradients"):
            trained = [last50(s, "gaussian_argmax", aggregate) for s in (1, 2, 3)]
            ratio = np.mean(trained) / np.mean(uniform)
            print(f"{aggregate}: last-50 mean return: trained {trained} mean "
                  f"{np.mean(trained):.3f}; uniform {uniform} mean {np.mean(uniform):.3f}; "
                  f"ratio {ratio:.3f}")
            self.assertGreaterEqual(ratio, 1.10, aggregate)


if __name__ == "__main__":
    unittest.main(verbosity=2)
