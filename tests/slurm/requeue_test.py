"""slurm/train.sbatch's preemption handling on a real SLURM, with tests/slurm/fake_teamsrl.sh
in place of teamsrl (it follows the contract: a signal -> checkpoint -> exit 75): the
signal reaches every rank by `scancel --signal=USR1` (the job's steps) under srun and by
`scancel --batch --signal=USR1` (the batch shell, which forwards it) under mpirun; exit 75
requeues the job, whose next start (SLURM_RESTART_COUNT=1) finishes, so `sbatch --wait`
reports 0; a plain `scancel` (SIGTERM) ends the job without a requeue; any other exit
code is the job's, with no requeue."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slurm_cluster as sc  # noqa: E402

common = sc.common  # tests/integration/common.py

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_teamsrl.sh")
TRAIN = os.path.join(sc.TEMPLATES, "train.sbatch")


class RequeueTest(unittest.TestCase):
    def setUp(self):
        self.cwd = common.tmpdir("teamsrl_slurm_requeue_")
        self.record = os.path.join(self.cwd, "record.txt")
        self.env = {"TEAMSRL_BIN": FAKE, "FAKE_RECORD": self.record}

    def events(self):
        return sc.read(self.record).splitlines()

    def count(self, event, restart):
        return sum(1 for e in self.events() if e.startswith("%s restart=%d " % (event, restart)))

    def preempt(self, launcher, scancel_flags):
        env = dict(self.env, TEAMSRL_LAUNCHER=launcher)
        sub = sc.Submission(["-n", "2", TRAIN, "cfg.yaml", "--out", "d", "--set", "a=b"],
                            self.cwd, env)
        try:
            sc.wait_for(lambda: self.count("ready", 0) == 2, 60, "both ranks of the first start",
                        sub, os.path.join(self.cwd, "teamsrl-train-%s.out" % sub.job))
            sc.run(["scancel", "--signal=USR1"] + scancel_flags + [sub.job])
            rc, secs = sub.wait()
        finally:
            sub.cancel()
        log = sc.read(os.path.join(self.cwd, "teamsrl-train-%s.out" % sub.job))
        self.assertEqual(rc, 0, "the requeued job should end COMPLETED\n" + log)
        self.assertEqual(self.count("signal-USR1", 0), 2, "\n".join(self.events()))
        self.assertEqual(self.count("preempted", 0), 2, "\n".join(self.events()))
        self.assertEqual(self.count("resumed", 1), 2, "one start after the requeue\n" + log)
        self.assertEqual(self.count("resumed", 2), 0)
        for e in self.events():
            self.assertIn("ntasks=2 task= argc=7 args=train cfg.yaml --out d --set a=b --resume=auto", e)
        self.assertIn("preempted: requeueing job %s (restart 1)" % sub.job, log)
        # --open-mode=append: both starts in the one log, in order.
        self.assertEqual(log.count("teamsrl-slurm: job %s " % sub.job), 2, log)
        self.assertLess(log.index("start 1 at"), log.index("start 2 at"))
        self.assertIn("%s " % launcher, log)
        print("%s, scancel --signal=USR1 %s: preempted, requeued and finished in %.1f s"
              % (launcher, " ".join(scancel_flags), secs))

    def test_srun_steps_signalled(self):
        self.preempt("srun", [])

    def test_mpirun_batch_shell_signalled(self):
        self.preempt("mpirun", ["--batch"])

    def test_plain_scancel_is_not_requeued(self):
        # SIGTERM to everything: the ranks still "checkpoint" and exit 75, but SLURM would
        # requeue even a job being cancelled, so the template must not ask it to.
        sub = sc.Submission(["-n", "2", TRAIN, "cfg.yaml"], self.cwd, self.env)
        log_path = os.path.join(self.cwd, "teamsrl-train-%s.out" % sub.job)
        try:
            sc.wait_for(lambda: self.count("ready", 0) == 2, 60, "both ranks", sub, log_path)
            sc.run(["scancel", sub.job])
            sub.wait()
        finally:
            sub.cancel()
        # sbatch --wait returns as soon as the job is CANCELLED (its script still ending),
        # with 0 when the script exits normally (75 here): the log and the state tell.
        sc.wait_for(lambda: "teamsrl exited with" in sc.read(log_path), 30, "the script's end")
        self.assertIn(sc.settled_state(sub.job), ("CANCELLED", ""), sc.read(log_path))
        log = sc.read(log_path)
        self.assertEqual(self.count("preempted", 0), 2, "\n".join(self.events()))
        self.assertIn("stopped by SIGTERM (job ", log)  # COMPLETING or CANCELLED, no TimeLimit
        self.assertIn("the job ends here, not requeueing", log)
        self.assertNotIn("preempted: requeueing", log)
        self.assertEqual(self.count("resumed", 1), 0, "\n".join(self.events()))

    def test_other_exit_codes_pass_through(self):
        rc, job, _ = sc.sbatch_wait(["-n", "2", TRAIN, "cfg.yaml", "--set", "mode=fail"],
                                    self.cwd, self.env)
        log = sc.read(os.path.join(self.cwd, "teamsrl-train-%s.out" % job))
        self.assertEqual(rc, 3, log)
        self.assertEqual(self.count("failed", 0), 2)
        self.assertNotIn("requeue", log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
