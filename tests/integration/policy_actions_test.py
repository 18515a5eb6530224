"""A policy drives only the actions it was trained on (issue 10 item 5): a 4-action policy
with a 6-action generate config, or any other order, is refused naming both lists and the
fix (before: it ran without a word and the run file recorded the config's 6 actions)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

FOUR = "[breadth,deepening,concretizing,increase_reasoning]"


class PolicyActionsTest(unittest.TestCase):
    def test_mismatched_actions_are_refused(self):
        tmp = common.tmpdir("polact")
        train = os.path.join(tmp, "train")
        common.train_policy(train, overrides=["env.actions=" + FOUR])
        base = ["generate", common.config("generate.yaml"), "--policy",
                os.path.join(train, "run.h5"), "--quiet", "--set", "generate.max_samples=6"]
        rc, so, se, _ = common.mpirun(1, base + ["--out", os.path.join(tmp, "g6")])
        self.assertEqual(rc, 2, se)
        self.assertIn("env.actions [breadth, add_constraints, deepening, concretizing, "
                      "increase_reasoning, complicate_input] differs from the actions the policy",
                      se)
        self.assertIn("--set env.actions=" + FOUR, se)
        self.assertFalse(os.path.exists(os.path.join(tmp, "g6", "generate.h5")))
        rc, so, se, _ = common.mpirun(1, base + ["--out", os.path.join(tmp, "g4"),
                                                 "--set", "env.actions=" + FOUR,
                                                 "--set", "generate.replace_breadth_with="])
        self.assertEqual(rc, 0, se)
        # A missing snapshot names the policies the file has (issue 10 item 12).
        rc, so, se, _ = common.mpirun(1, base + ["--out", os.path.join(tmp, "g7"),
                                                 "--snapshot", "7"])
        self.assertEqual(rc, 2, se)
        self.assertIn("no policy 'snapshot_000007' in run file %s; it holds: final"
                      % os.path.join(train, "run.h5"), se)
        self.assertNotIn("obs_filter", se)


if __name__ == "__main__":
    unittest.main(verbosity=2)
