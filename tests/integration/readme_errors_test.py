"""The README's example error messages are what the binary prints (issue 10 item 12): every
`teamsrl: error:` line in README.md is reproduced here by a real run and must appear, byte
for byte, in its stderr. A new example without a reproduction below fails the test."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

# my.yaml with `actors: -3` on line 14, as the README's example says.
MY_YAML = "".join("# line %d\n" % n for n in range(1, 13)) + "train:\n  actors: -3\n"


def reproductions(tmp):
    """README line -> (arguments of teamsrl, working directory)."""
    with open(os.path.join(tmp, "my.yaml"), "w") as f:
        f.write(MY_YAML)
    quickstart = common.config("quickstart.yaml")
    return {
        "teamsrl: error: my.yaml:14: train.actors: expected an integer >= 1, got -3":
            (["train", "my.yaml", "--out", os.path.join(tmp, "out")], tmp),
        "teamsrl: error: --set train.actorz: unknown key; did you mean actors?":
            (["train", quickstart, "--out", os.path.join(tmp, "out"), "--set", "train.actorz=4"],
             None),
    }


class ReadmeErrorsTest(unittest.TestCase):
    def test_every_documented_error_is_the_real_one(self):
        with open(os.path.join(common.SOURCE_DIR, "README.md")) as f:
            documented = [line.strip() for line in f if re.match(r"\s*teamsrl: error:", line)]
        self.assertGreater(len(documented), 0, "the README shows no example error any more")
        tmp = common.tmpdir("readme_errors")
        runs = reproductions(tmp)
        for line in documented:
            self.assertIn(line, runs, "README example without a reproduction in this test")
            args, cwd = runs[line]
            rc, _, se, _ = common.mpirun(1, args, cwd=cwd)
            self.assertEqual(rc, 2, se)
            self.assertIn(line, se.splitlines(), "README.md says:\n%s\nteamsrl printed:\n%s"
                          % (line, se))
        self.assertFalse(os.path.exists(os.path.join(tmp, "out")), "a config error wrote output")


if __name__ == "__main__":
    unittest.main(verbosity=2)
