"""The README documents every config key: its table is exactly `teamsrl keys`."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class ReadmeKeysTest(unittest.TestCase):
    def test_readme_contains_the_generated_key_table(self):
        keys = subprocess.run([common.BIN, "keys"], capture_output=True, text=True, check=True).stdout
        readme = open(os.path.join(common.SOURCE_DIR, "README.md")).read()
        self.assertIn(keys, readme, "README.md is out of date: paste the output of `teamsrl keys`")


if __name__ == "__main__":
    unittest.main(verbosity=2)
