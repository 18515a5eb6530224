"""A process holding an API key writes no core file (issue 9 item 8): while `teamsrl train`
talks to a keyed endpoint, its rank's soft core limit is 0, read from /proc/PID/limits of
the running rank; TEAMSRL_CORE_DUMPS=1 keeps the limit, and a keyless run keeps it too."""
import os
import resource
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def rank_core_limit(popen):
    """The soft core limit of the teamsrl rank under `popen` (mpirun), last read while it
    ran (the backend lowers it once it has read the key, early in the run)."""
    last = None
    while popen.poll() is None:
        todo = [popen.pid]
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv0 = f.read().split(b"\0")[0]
                if argv0.endswith(b"/teamsrl"):
                    with open(f"/proc/{pid}/limits") as f:
                        for line in f:
                            if line.startswith("Max core file size"):
                                last = line.split()[4]
            except OSError:
                pass
            todo += children(pid)
        time.sleep(0.05)
    if last is None:
        raise AssertionError("no teamsrl rank seen")
    return last


class CoreDumpsTest(unittest.TestCase):
    def run_and_read(self, port, keyed, env):
        out = common.tmpdir("cores")
        args = ["mpirun", "-np", "1", common.BIN, "train", common.config("quickstart.yaml"),
                "--out", out, "--quiet", "--set", "train.iterations=3", "--set", "train.actors=1"]
        if port is not None:
            ep = ("{backend: openai, base_url: 'http://127.0.0.1:%d/v1', model: fake-1%s}"
                  % (port, ", api_key_env: TEAMSRL_TEST_KEY" if keyed else ""))
            args += ["--set", "llm.endpoints.slow=" + ep, "--set", "llm.roles.reviewer=slow"]
        full = dict(os.environ)
        full.update(common.MPI_ENV)
        full.update(env)
        full["TEAMSRL_TEST_KEY"] = "sk-core-dump-test-0123456789"
        soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
        p = subprocess.Popen(args, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, cwd=common.SOURCE_DIR,
                             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE,
                                                                   (hard, hard)))
        try:
            limit = rank_core_limit(p)
        finally:
            _, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err)
        return limit

    def test_the_rank_holding_a_key_has_no_core_limit_left(self):
        proc, port = common.start_fake_server("--latency-ms", "150")
        try:
            self.assertEqual(self.run_and_read(port, True, {}), "0")
            self.assertNotEqual(self.run_and_read(port, True, {"TEAMSRL_CORE_DUMPS": "1"}), "0")
            self.assertNotEqual(self.run_and_read(port, False, {}), "0")
        finally:
            common.stop_server(proc)


if __name__ == "__main__":
    unittest.main(verbosity=2)
