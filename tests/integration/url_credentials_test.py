"""Credentials in `base_url` and a key given as `api_key_env` (issue 9 item 4): refused at
load with exit 2, on every command that loads a config, and the secret is in no output line
and no file (nothing is written)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

SECRET = "hunter2-Zq81xPw0"


class UrlCredentialsTest(unittest.TestCase):
    def check(self, override, message):
        out = common.tmpdir("urlcreds")
        for command in ("train", "baseline"):
            run_dir = os.path.join(out, command)
            rc, so, se, _ = common.mpirun(1, [command, common.config("quickstart.yaml"), "--out",
                                              run_dir, "--set", override,
                                              "--set", "llm.roles.reviewer=paid"])
            self.assertEqual(rc, 2, se)
            self.assertIn(message, se)
            self.assertNotIn(SECRET, so + se)
            self.assertFalse(os.path.exists(run_dir), "something was written")

    def test_user_info_in_base_url(self):
        self.check("llm.endpoints.paid={backend: openai, base_url: 'http://alice:%s@127.0.0.1:9/v1'}"
                   % SECRET, "llm.endpoints.paid.base_url: credentials in the URL")

    def test_key_in_api_key_env(self):
        self.check("llm.endpoints.paid={backend: openai, base_url: 'http://127.0.0.1:9/v1', "
                   "api_key_env: 'sk-%s'}" % SECRET,
                   "llm.endpoints.paid.api_key_env: expected the name of an environment variable")


if __name__ == "__main__":
    unittest.main(verbosity=2)
