"""A training run whose rewriter and reviewer are a base model behind the legacy
/completions API (`api: completions` with the shipped Vicuna-style prompt template), on
the fake OpenAI server over loopback: every call goes out as one rendered prompt, is
recorded in the run file like a chat call, and a second run with the cache answers from it."""
import json
import os
import sys
import unittest
import urllib.request

import h5py

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

ITERATIONS = 2


def train(port, out, cache):
    endpoint = ("{backend: openai, base_url: 'http://127.0.0.1:%d/v1', model: base-13b, "
                "api: completions, prompt_template: experiments/prompts/vicuna.txt, "
                "temperature: 0.0, max_retries: 2}" % port)
    return common.mpirun(
        1, ["train", common.config("quickstart.yaml"), "--out", out, "--quiet",
            "--set", "train.iterations=%d" % ITERATIONS,
            "--set", "llm.endpoints.base=" + endpoint,
            "--set", "llm.roles.rewriter=base", "--set", "llm.roles.reviewer=base",
            # A reviewer with a system message, so both renderings are on the wire.
            "--set", "env.reviewer_template=reviewer_adds_information.txt",
            "--set", "llm.cache.path=" + cache, "--set", "llm.cache.mode=read_write"],
        timeout=300)


def received(port):
    return json.loads(urllib.request.urlopen("http://127.0.0.1:%d/requests" % port).read())


class CompletionsApiTest(unittest.TestCase):
    def test_training_on_a_completions_endpoint(self):
        server, port = common.start_fake_server()
        out, again = common.tmpdir("completions"), common.tmpdir("completions_again")
        cache = os.path.join(common.tmpdir("completions_cache"), "cache")
        try:
            rc, _, se, _ = train(port, out, cache)
            self.assertEqual(rc, 0, se)
            first = received(port)
            rc, _, se, _ = train(port, again, cache)
            self.assertEqual(rc, 0, se)
            second = received(port)
        finally:
            common.stop_server(server)

        # On the wire: one prompt per call, rendered by vicuna.txt, never chat messages.
        self.assertTrue(first)
        for r in first:
            self.assertEqual(r["path"], "/v1/completions")
            body = r["body"]
            self.assertNotIn("messages", body)
            self.assertEqual(body["model"], "base-13b")
            self.assertEqual(body["max_tokens"], 2048)
            self.assertEqual(body["temperature"], 0.0)
            self.assertNotIn("top_p", body)  # not set: not sent
            self.assertTrue(body["prompt"].endswith("\nASSISTANT:"), body["prompt"][-80:])
        # The reviewer's request has a system message (its line opens the prompt); the
        # rewriter's has none (the shipped templates, as the released code), so its prompt
        # opens with USER: and no blank line.
        starts = {r["body"]["prompt"].startswith("USER: ") for r in first}
        self.assertEqual(starts, {True, False})
        with_system = [r["body"]["prompt"] for r in first
                       if not r["body"]["prompt"].startswith("USER: ")]
        self.assertTrue(all(p.startswith("You are a strict judge") for p in with_system),
                        with_system[:1])

        with h5py.File(os.path.join(out, "run.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "completed")
            calls = f["/llm/calls"][:]
            its = f["/train/iterations"][:]
            self.assertIn("api: completions", f.attrs["config_yaml"])
        # Every call the server answered is a row, counted once per iteration.
        self.assertEqual(len(calls), len(first))
        self.assertTrue((calls["status"] == 0).all())
        self.assertEqual(int(its["queries"].sum()), len(calls))
        self.assertEqual(int(its["prompt_tokens"].sum()), int(calls["prompt_tokens"].sum()))
        # The server's usage (len(prompt) // 4 + 1) is what was accounted.
        self.assertEqual(int(calls["prompt_tokens"].sum()),
                         sum(len(r["body"]["prompt"]) // 4 + 1 for r in first))

        # The second run asked the same questions: all answered from the cache.
        self.assertEqual(len(second), len(first))
        with h5py.File(os.path.join(again, "run.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "completed")
            cached = f["/llm/calls"][:]
        self.assertEqual(len(cached), len(calls))
        self.assertTrue((cached["cached"] == 1).all())
        print("%d completions calls, %d prompt tokens; second run all cached"
              % (len(calls), int(calls["prompt_tokens"].sum())))


if __name__ == "__main__":
    unittest.main(verbosity=2)
