"""Empty outputs never reach SFT data (issue 10 item 2): a responder that answers "" makes
each sample eliminated with reason `empty` (before: kept as `eliminated: false, reason:
none` and exported), and an output field that no record has (a typo) is an error naming
the field, with no file written (before: every output exported as "" and exit 0)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class EmptyOutputsTest(unittest.TestCase):
    def test_empty_replies_are_eliminated_and_a_misspelt_field_is_an_error(self):
        tmp = common.tmpdir("empty")
        policy = os.path.join(tmp, "train")
        common.train_policy(policy)
        seeds = os.path.join(tmp, "seeds.txt")
        with open(seeds, "w") as f:
            f.write("Name three rivers.\nExplain tides.\n")
        proc, port = common.start_fake_server()
        try:
            gen = os.path.join(tmp, "gen")
            rc, _, se, _ = common.mpirun(1, [
                "generate", common.config("quickstart.yaml"), "--policy",
                os.path.join(policy, "run.h5"), "--out", gen, "--quiet",
                "--set", "env.seeds.path=" + seeds,
                "--set", "llm.endpoints.mute={backend: openai, base_url: 'http://127.0.0.1:%d/v1',"
                " model: 'fault:empty'}" % port, "--set", "llm.roles.responder=mute"])
        finally:
            common.stop_server(proc)
        self.assertEqual(rc, 0, se)
        dataset = os.path.join(gen, "dataset.jsonl")
        with open(dataset) as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual(len(lines), 12)
        self.assertEqual({(r["eliminated"], r["reason"]) for r in lines}, {(True, "empty")})
        # inspect shows what a generate run is (issue 10 item 11), not training fields.
        rc, so, se, _ = common.mpirun(1, ["inspect", os.path.join(gen, "generate.h5")])
        self.assertEqual(rc, 0, se)
        self.assertIn("samples           12 (0 kept, 12 eliminated)", so)
        self.assertIn("policy            " + os.path.join(policy, "run.h5"), so)
        self.assertIn("seeds             2 usable, 0 bad records skipped", so)
        self.assertRegex(so, r"eliminated by reason \(12 samples\)\n(.*\n)*  empty +12  100\.0%")
        self.assertNotIn("iterations", so)
        out = os.path.join(tmp, "alpaca.json")
        rc, so, se, _ = common.mpirun(1, ["export", dataset, "--out", out])
        self.assertEqual(rc, 0, se)
        with open(out) as f:
            self.assertEqual(json.load(f), [])

        typo = os.path.join(tmp, "typo.json")
        rc, _, se, _ = common.mpirun(1, ["export", dataset, "--out", typo,
                                         "--output-field", "respons"])
        self.assertEqual(rc, 2, se)
        self.assertIn("the output field 'respons' is in none of the 12 records", se)
        self.assertFalse(os.path.exists(typo))
        rc, _, se, _ = common.mpirun(1, ["eval", dataset, "--output-field", "respons"])
        self.assertEqual(rc, 2, se)
        self.assertIn("the output field 'respons' is in none of the 12 records", se)


if __name__ == "__main__":
    unittest.main(verbosity=2)
