"""The live progress line under mpirun on a real pseudo-terminal (issue 10 item 9).

`mpirun -np 2 teamsrl train ... --progress live` runs on the slave side of a pty of 50
columns (mpirun hands the ranks a pipe for stderr, so the line must not rely on isatty):
the line is redrawn in place ("\\r\\033[K", no newline until the end) also between
iterations (the same iteration count drawn several times, elapsed ticking), every drawn
line fits in 49 columns, and it ends with "done in". Against a server whose every call
fails, the line says so ("failed N/N") instead of a healthy-looking "return 0.000"."""
import fcntl
import os
import pty
import re
import struct
import sys
import termios
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

COLS = 50


def run_on_pty(args, cols=COLS, timeout=120):
    """Runs mpirun -np 2 teamsrl ARGS with a pty of `cols` columns as its terminal;
    returns (exit status, everything it wrote)."""
    cmd = ["mpirun", "-np", "2", common.BIN] + args
    env = dict(os.environ)
    env.update(common.MPI_ENV)
    env.pop("COLUMNS", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal and stdio
        os.chdir(common.SOURCE_DIR)
        os.execvpe(cmd[0], cmd, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    out, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child side closed
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def live_segments(text):
    """The drawn lines: what follows each "\\r\\033[K" up to the next \\r or \\n."""
    return [m.group(1) for m in re.finditer(r"\r\x1b\[K([^\r\n]*)", text)]


class LiveProgressTest(unittest.TestCase):
    def test_live_line_under_mpirun_on_a_pty(self):
        out = common.tmpdir("live")
        rc, text = run_on_pty(["train", common.config("quickstart.yaml"), "--out", out,
                               "--progress", "live", "--set", "train.iterations=4",
                               "--set", "llm.endpoints.sim.latency_ms=60"])
        self.assertEqual(rc, 0, text)
        # The result line comes on stdout, which mpirun forwards apart from stderr: it may
        # arrive before the live line's closing newline, but it starts a line of its own on
        # screen ("\r" + erase, or after a newline) and is not glued onto a drawn line.
        result = "run file: " + os.path.join(out, "run.h5") + "\r\n"
        self.assertRegex(text, r"(\r\x1b\[K|\n)" + re.escape(result), text)
        text = re.sub(r"(\r\x1b\[K)?" + re.escape(result), "", text)
        self.assertNotIn("run file:", text)
        segs = live_segments(text)
        print(f"{len(segs)} redraws; e.g. {segs[len(segs) // 2]!r}")
        self.assertGreaterEqual(len(segs), 8, text)
        for s in segs:
            self.assertLessEqual(len(s), COLS - 1, s)
            self.assertTrue(s.startswith("quickstart "), s)
        # Redrawn between iterations: some iteration count is drawn at least 3 times.
        counts = {}
        for s in segs:
            m = re.match(r"quickstart (\d+)/4", s)
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        self.assertGreaterEqual(max(counts.values()), 3, counts)
        self.assertIn("4", counts)
        # One live line: no newline between the first and the last redraw.
        first, last = text.index("\r\x1b[K"), text.rindex("\r\x1b[K")
        self.assertNotIn("\n", text[first:last], text[first:last])
        self.assertRegex(text, r"\nquickstart done in \d+s")

    def test_failing_calls_show_in_the_line(self):
        proc, port = common.start_fake_server("--fault", "status=500")
        try:
            out = common.tmpdir("live_fail")
            rc, text = run_on_pty(
                ["train", common.config("quickstart.yaml"), "--out", out, "--progress", "live",
                 "--set", "train.iterations=2", "--set", "llm.max_failed_share=1",
                 "--set", "llm.endpoints.fake={backend: openai, base_url: "
                 f"'http://127.0.0.1:{port}/v1', model: m, max_retries: 0}}",
                 "--set", "llm.roles.rewriter=fake", "--set", "llm.roles.reviewer=fake"],
                cols=100)
        finally:
            common.stop_server(proc)
        self.assertEqual(rc, 0, text)
        segs = live_segments(text)
        final = [s for s in segs if s.startswith("quickstart 2/2")]
        self.assertTrue(final, text)
        self.assertRegex(final[-1], r"failed (\d+)/\1\b", final[-1])
        print("all calls failing:", final[-1])


if __name__ == "__main__":
    unittest.main()
