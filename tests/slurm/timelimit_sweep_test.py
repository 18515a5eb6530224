"""The other two ways a template job is preempted and requeued, with tests/slurm/fake_teamsrl.sh
in place of teamsrl: (1) a time limit: SLURM itself sends SIGUSR1 to the batch shell
before it (--signal=B:USR1@...), the shell forwards it to the ranks, and the job requeues
and finishes; (2) slurm/sweep.sbatch: one array task per line of a task file (split with
quotes, nothing expanded), and a preempted task requeues alone (ARRAYJOB_TASK) while the
others run once; logs %x-%A_%a.out."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slurm_cluster as sc  # noqa: E402

common = sc.common  # tests/integration/common.py

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_teamsrl.sh")


class TimeLimitSweepTest(unittest.TestCase):
    def setUp(self):
        self.cwd = common.tmpdir("teamsrl_slurm_limit_")
        self.record = os.path.join(self.cwd, "record.txt")
        self.env = {"TEAMSRL_BIN": FAKE, "FAKE_RECORD": self.record}

    def events(self, prefix):
        return [e for e in sc.read(self.record).splitlines() if e.startswith(prefix)]

    def test_time_limit_requeues(self):
        # A 1-minute limit with the warning 58 s before it: SLURM checks limits about every
        # 30 s, so the signal comes 2 to ~35 s after the start.
        rc, job, secs = sc.sbatch_wait(
            ["-n", "2", "--time=1", "--signal=B:USR1@58",
             os.path.join(sc.TEMPLATES, "train.sbatch"), "cfg.yaml"], self.cwd, self.env)
        log = sc.read(os.path.join(self.cwd, "teamsrl-train-%s.out" % job))
        self.assertEqual(rc, 0, log)
        self.assertIn("SIGUSR1 received: sending SIGUSR1 to srun", log)
        self.assertEqual(len(self.events("signal-USR1 restart=0 ")), 2, log)
        self.assertEqual(len(self.events("resumed restart=1 ")), 2, log)
        self.assertEqual(len(self.events("unsignalled")), 0, log)
        print("time limit: warned, requeued and finished in %.1f s" % secs)

    def test_sweep_requeues_one_task(self):
        tasks = os.path.join(self.cwd, "tasks.txt")
        with open(tasks, "w") as f:
            f.write("train cfg.yaml --out runs/s0 --set mode=quick\n")
            f.write("train cfg.yaml --out 'runs/s 1' --set run.name=x\n")
            f.write("baseline cfg.yaml --set \"mode=quick\" --set 'a=$HOME *'\n")
        sub = sc.Submission(["--array=0-2", "-n", "1", os.path.join(sc.TEMPLATES, "sweep.sbatch"),
                             tasks], self.cwd, self.env)
        try:
            sc.wait_for(lambda: self.events("ready restart=0 rank=0 ntasks=1 task=1 "), 60,
                        "task 1 to start", sub,
                        os.path.join(self.cwd, "teamsrl-sweep-%s_1.out" % sub.job))
            sc.run(["scancel", "--signal=USR1", sub.job + "_1"])
            rc, secs = sub.wait()
        finally:
            sub.cancel()
        logs = {t: sc.read(os.path.join(self.cwd, "teamsrl-sweep-%s_%d.out" % (sub.job, t)))
                for t in range(3)}
        self.assertEqual(rc, 0, "\n".join(logs.values()))
        self.assertEqual(self.events("done restart=0 rank=0 ntasks=1 task=0 argc=7 "
                                     "args=train cfg.yaml --out runs/s0 --set mode=quick --resume=auto"),
                         ["done restart=0 rank=0 ntasks=1 task=0 argc=7 "
                          "args=train cfg.yaml --out runs/s0 --set mode=quick --resume=auto"])
        task1 = "ntasks=1 task=1 argc=7 args=train cfg.yaml --out runs/s 1 --set run.name=x --resume=auto"
        self.assertEqual(len(self.events("preempted restart=0 rank=0 " + task1)), 1, logs[1])
        self.assertEqual(len(self.events("resumed restart=1 rank=0 " + task1)), 1, logs[1])
        self.assertEqual(self.events("done restart=0 rank=0 ntasks=1 task=2 argc=6 "),
                         ["done restart=0 rank=0 ntasks=1 task=2 argc=6 "
                          "args=baseline cfg.yaml --set mode=quick --set a=$HOME *"])
        self.assertIn("preempted: requeueing job %s_1 (restart 1)" % sub.job, logs[1])
        for t in (0, 2):
            self.assertNotIn("requeue", logs[t])
            self.assertEqual(logs[t].count("start 1 at"), 1, logs[t])
        print("sweep: 3 tasks, task 1 preempted and requeued alone, all done in %.1f s" % secs)


if __name__ == "__main__":
    unittest.main(verbosity=2)
