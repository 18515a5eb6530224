"""Checkpoint and resume of training (issue 11 items 3 and 4).

A run killed at random moments (SIGKILL of every process of the job, as a node failure or
an expired time limit does) and resumed with `--resume=auto`, on 1 or 2 ranks and also on
a different rank count than before the kill, ends bitwise identical to a run that was
never interrupted: every non-timing column of every table, every text and every
/policy/* dataset. A stop signal (SIGUSR1 to mpirun, which forwards it to the ranks;
SIGTERM to a single process) ends the run at the next iteration with a checkpoint,
status `preempted`, exit code 75, and resumes identically. Bad resumes are clear errors
that change nothing: no checkpoint, a different configuration (the keys are named), a
damaged checkpoint."""
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

TIMING = {"wall_s", "latency_ms", "limit_wait_ms", "limit_wait_s"}
SETS = ["--set", "train.iterations=24", "--set", "train.checkpoint_every=2",
        "--set", "llm.endpoints.sim.latency_ms=4"]


def cmd(np_, out, extra=()):
    c = ["mpirun", "-np", str(np_), common.BIN, "train", common.config("quickstart.yaml"),
         "--out", out, "--quiet"] + SETS + list(extra)
    return c


def env():
    e = dict(os.environ)
    e.update(common.MPI_ENV)
    return e


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == p:
                out.append(int(entry))
                todo.append(int(entry))
    return out


def kill_job_after(np_, out, seconds, extra=()):
    """Starts the job, SIGKILLs every process of it after `seconds`; True if it was killed
    before finishing."""
    p = subprocess.Popen(cmd(np_, out, list(extra) + ["--resume=auto"]), env=env(),
                         cwd=common.SOURCE_DIR,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    try:
        p.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        pass
    for pid in descendants(p.pid) + [p.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    p.wait()
    return True


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def tables(path):
    """Every dataset's contents (structured: per non-timing column), and the status."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if not isinstance(obj, h5py.Dataset):
                return
            data = obj[()]
            if data.dtype.names:
                for c in data.dtype.names:
                    if c not in TIMING:
                        out[f"{name}.{c}"] = data[c]
            else:
                out[name] = data
        f.visititems(visit)
        status = f.attrs["status"]
    return out, status.decode() if isinstance(status, bytes) else status


def assert_same_run(test, ref, got, what):
    a, sa = tables(ref)
    b, sb = tables(got)
    test.assertEqual(sb, "completed", what)
    test.assertEqual(sorted(a), sorted(b), what)
    for k in a:
        test.assertTrue(np.array_equal(a[k], b[k]), f"{what}: {k} differs")


class KillResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ref_dir = common.tmpdir("ref")
        t0 = time.monotonic()
        p = subprocess.run(cmd(1, cls.ref_dir), env=env(), cwd=common.SOURCE_DIR,
                           capture_output=True, text=True)
        cls.duration = time.monotonic() - t0
        assert p.returncode == 0, p.stderr
        cls.ref = os.path.join(cls.ref_dir, "run.h5")

    def test_killed_at_random_points_and_resumed(self):
        seed = int(os.environ.get("TEAMSRL_KILL_SEED", time.time_ns() % 1000000))
        rng = random.Random(seed)
        # (ranks before each kill..., ranks of the final resume)
        plans = [(1, 1), (2, 2), (1, 2), (2, 1), (2, 2, 1), (1, 1, 2), (2, 1, 2, 2)]
        kills = 0
        for plan in plans:
            out = common.tmpdir("kill")
            for np_ in plan[:-1]:
                at = rng.uniform(0.1, 0.7) * self.duration + 0.3  # + mpirun's start-up
                kills += kill_job_after(np_, out, at)
            p = subprocess.run(cmd(plan[-1], out, ["--resume=auto"]), env=env(),
                               cwd=common.SOURCE_DIR, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            assert_same_run(self, self.ref, os.path.join(out, "run.h5"),
                            f"plan {plan} (seed {seed})")
            shutil.rmtree(out)
        print(f"{kills} kills at random points (seed {seed}), {len(plans)} resumed runs "
              f"identical to the uninterrupted one ({self.duration:.1f} s)")
        self.assertGreaterEqual(kills, 6)  # of 9: a kill may come after the end

    def killed_and_resumed_on_the_other_rank_count(self, extra, tag):
        """A run with `extra`, killed at a random point on 1 (2) ranks and resumed on 2 (1),
        is the uninterrupted run on 1 rank."""
        ref_dir = common.tmpdir("ref_" + tag)
        t0 = time.monotonic()
        p = subprocess.run(cmd(1, ref_dir, extra), env=env(), cwd=common.SOURCE_DIR,
                           capture_output=True, text=True)
        # This config's own run time: `extra` may make it much faster or slower than the
        # default's (blocks of 4 under asan finished before a kill timed by the default).
        duration = time.monotonic() - t0
        self.assertEqual(p.returncode, 0, p.stderr)
        rng = random.Random(int(os.environ.get("TEAMSRL_KILL_SEED", time.time_ns() % 1000000)))
        kills = 0
        for plan in ((1, 2), (2, 1)):
            out = common.tmpdir("kill_" + tag)
            kills += kill_job_after(plan[0], out, rng.uniform(0.3, 0.6) * duration + 0.3,
                                    extra)
            p = subprocess.run(cmd(plan[1], out, list(extra) + ["--resume=auto"]), env=env(),
                               cwd=common.SOURCE_DIR, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            assert_same_run(self, os.path.join(ref_dir, "run.h5"), os.path.join(out, "run.h5"),
                            f"{tag}, plan {plan}")
        self.assertGreaterEqual(kills, 1)

    def test_per_actor_filters_survive_a_kill(self):
        # policy.obs_filter_schedule: step keeps a filter per actor (issue 14 item 3): the
        # checkpoint carries them, so a resume on another rank count is still the same run.
        self.killed_and_resumed_on_the_other_rank_count(
            ["--set", "policy.obs_filter_schedule=step"], "step")

    def test_distributed_learner_survives_a_kill(self):
        # dist.aggregate: gradients (issue 15): every rank's learner, PPO's Adam moments
        # included, resumes from the checkpoint, on another rank count too; the quickstart's
        # 8 actors in two blocks of 4, one per rank on 2 ranks.
        self.killed_and_resumed_on_the_other_rank_count(
            ["--set", "dist.aggregate=gradients", "--set", "dist.block_actors=4",
             "--set", "algo.type=ppo",
             "--set", "policy.type=categorical"], "gradients")

    def test_stop_signal_checkpoints_and_resumes(self):
        for np_, sig in ((2, signal.SIGUSR1), (1, signal.SIGTERM)):
            out = common.tmpdir("sig")
            p = subprocess.Popen(cmd(np_, out), env=env(), cwd=common.SOURCE_DIR,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(0.3 + 0.4 * self.duration)
            if np_ == 1:  # the rank itself, as srun's task gets it
                for pid in descendants(p.pid):
                    os.kill(pid, sig)
            else:
                p.send_signal(sig)
            _, se = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 75, se)
            with h5py.File(os.path.join(out, "run.h5"), "r") as f:
                self.assertEqual(f.attrs["status"], "preempted")
                self.assertEqual(f.attrs["stop_signal"], signal.Signals(sig).name)
                kind = "time_limit" if sig == signal.SIGUSR1 else "preempted"
                self.assertEqual(f.attrs["stop_kind"], kind)
                self.assertEqual(f.attrs[kind + "_stops"], 1)
                done = len(f["/train/iterations"])
            self.assertLess(done, 24)
            self.assertIn("checkpoint written", se)
            p2 = subprocess.run(cmd(3 - np_, out, ["--resume"]), env=env(),
                                cwd=common.SOURCE_DIR, capture_output=True, text=True)
            self.assertEqual(p2.returncode, 0, p2.stderr)
            assert_same_run(self, self.ref, os.path.join(out, "run.h5"), f"signal {sig}")
            with h5py.File(os.path.join(out, "run.h5"), "r") as f:
                self.assertEqual(f.attrs["restarts"], 1)
            # Resuming a finished run changes nothing.
            before = os.path.getmtime(os.path.join(out, "run.h5"))
            p3 = subprocess.run(cmd(1, out, ["--resume"]), env=env(), cwd=common.SOURCE_DIR,
                                capture_output=True, text=True)
            self.assertEqual(p3.returncode, 0, p3.stderr)
            self.assertIn("already complete", p3.stdout)
            self.assertEqual(os.path.getmtime(os.path.join(out, "run.h5")), before)

    def test_generate_stops_on_a_signal_and_a_rerun_continues(self):
        tmp = common.tmpdir("gensig")
        policy = common.train_policy(os.path.join(tmp, "train"), iterations=2)
        seeds = os.path.join(tmp, "seeds.jsonl")
        with open(seeds, "w") as f:
            for i in range(40):
                f.write('{"instruction": "Explain topic %d."}\n' % i)
        base = ["mpirun", "-np", "2", common.BIN, "generate", common.config("quickstart.yaml"),
                "--policy", policy, "--quiet", "--set", "env.seeds.path=" + seeds,
                "--set", "generate.chunk_size=4", "--set", "llm.endpoints.sim.latency_ms=20"]
        ref = os.path.join(tmp, "ref")
        subprocess.run(base + ["--out", ref], env=env(), check=True, capture_output=True)
        out = os.path.join(tmp, "sig")
        p = subprocess.Popen(base + ["--out", out], env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(2.0)
        p.send_signal(signal.SIGUSR1)
        _, se = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 75, se)
        with h5py.File(os.path.join(out, "generate.h5"), "r") as f:
            self.assertEqual(f.attrs["status"], "preempted")
            self.assertEqual(f.attrs["stop_signal"], "SIGUSR1")
        self.assertLess(len(read(os.path.join(out, "dataset.jsonl"))),
                        len(read(os.path.join(ref, "dataset.jsonl"))))
        subprocess.run(base + ["--out", out], env=env(), check=True, capture_output=True)
        self.assertEqual(read(os.path.join(out, "dataset.jsonl")),
                         read(os.path.join(ref, "dataset.jsonl")))

    def test_bad_resumes_are_clear_errors_and_change_nothing(self):
        empty = common.tmpdir("noresume")
        p = subprocess.run(cmd(1, empty, ["--resume"]), env=env(), cwd=common.SOURCE_DIR,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--resume: no checkpoint in " + empty, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(empty, "run.h5")))
        # A finished run resumed under another configuration.
        out = common.tmpdir("differs")
        shutil.copytree(self.ref_dir, out, dirs_exist_ok=True)
        run = os.path.join(out, "run.h5")
        before = read(run)
        p = subprocess.run(cmd(1, out, ["--resume", "--set", "algo.max_kl=0.02", "--set",
                                        "env.episode_length=5"]),
                           env=env(), cwd=common.SOURCE_DIR, capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("the configuration differs from the checkpoint's in algo.max_kl, "
                      "env.episode_length", p.stderr)
        # A damaged checkpoint.
        ckpt = os.path.join(out, "checkpoint.bin")
        data = bytearray(read(ckpt))
        data[len(data) // 2] ^= 0xFF
        write(ckpt, bytes(data))
        p = subprocess.run(cmd(1, out, ["--resume", "--set", "train.iterations=30"]),
                           env=env(), cwd=common.SOURCE_DIR, capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"checkpoint .*checkpoint.bin is damaged")
        write(ckpt, bytes(data[:100]))  # truncated
        p = subprocess.run(cmd(1, out, ["--resume"]), env=env(), cwd=common.SOURCE_DIR,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("damaged", p.stderr)
        self.assertEqual(read(run), before)


if __name__ == "__main__":
    unittest.main()
