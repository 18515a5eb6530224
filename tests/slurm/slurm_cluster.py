"""The single-node SLURM of cluster/slurm-local.sh for the tests labelled `slurm`.

    python3 slurm_cluster.py start   # ctest fixture setup: starts it, waits until it takes jobs
    python3 slurm_cluster.py stop    # ctest fixture cleanup: cancels the jobs, stops the daemons

ctest runs `start` once before the slurm tests and `stop` after them, also when one
fails (FIXTURES_SETUP / FIXTURES_CLEANUP); RESOURCE_LOCK slurm keeps them from overlapping.
The scratch directory is derived from the build directory, so the fixture and every
test find the same cluster, and a developer's own `cluster/slurm-local.sh start` (another
directory, other ports) is left alone. The tests import this module for sbatch & co."""
import hashlib
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
import common  # noqa: E402

SOURCE_DIR = common.SOURCE_DIR
BUILD_DIR = os.environ.get("TEAMSRL_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
SCRIPT = os.path.join(SOURCE_DIR, "cluster", "slurm-local.sh")
# Short: munge's and slurmd's Unix sockets live in it (108-byte path limit).
SCRATCH = os.path.join(tempfile.gettempdir(), "teamsrl-slurm-test-" +
                       hashlib.sha1(os.path.abspath(BUILD_DIR).encode()).hexdigest()[:8])
SLURM_CONF = os.path.join(SCRATCH, "slurm.conf")
TEMPLATES = os.path.join(SOURCE_DIR, "slurm")


def _script(action, timeout):
    env = dict(os.environ, TEAMSRL_SLURM_DIR=SCRATCH)
    return subprocess.run([SCRIPT, action], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def env(extra=None):
    """The environment of a submission: the cluster's SLURM_CONF, OpenMPI as root, the
    binary under test and this repository for the templates (sbatch hands it to the job)."""
    e = dict(os.environ)
    e.update(common.MPI_ENV)
    e.update({"SLURM_CONF": SLURM_CONF, "TEAMSRL_ROOT": SOURCE_DIR, "TEAMSRL_BIN": common.BIN})
    for k in ("SLURM_JOB_ID", "SLURM_JOBID", "SLURM_NTASKS", "SLURM_ARRAY_JOB_ID",
              "SLURM_ARRAY_TASK_ID", "TEAMSRL_SITE", "TEAMSRL_LAUNCHER"):
        e.pop(k, None)  # a test run inside someone's allocation must not inherit it
    if extra:
        e.update(extra)
    return e


def run(cmd, cwd=None, extra_env=None, timeout=60, check=True):
    p = subprocess.run(cmd, cwd=cwd, env=env(extra_env), capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


def sbatch_wait(args, cwd, extra_env=None, timeout=110):
    """`sbatch --wait --parsable ARGS`: returns (exit code of the job, job id, seconds)."""
    start = time.monotonic()
    p = run(["sbatch", "--wait", "--parsable"] + list(args), cwd=cwd, extra_env=extra_env,
            timeout=timeout, check=False)
    secs = time.monotonic() - start
    job = p.stdout.strip().split("\n")[0].split(";")[0] if p.stdout.strip() else ""
    if not job:
        raise AssertionError("sbatch printed no job id (exit %d): %s" % (p.returncode, p.stderr))
    return p.returncode, job, secs


class Submission:
    """`sbatch --wait` in the background: the job id at once, its exit code when it ends
    (after every requeue). `cancel()` in a finally leaves nothing queued when a test fails."""

    def __init__(self, args, cwd, extra_env=None):
        self.proc = subprocess.Popen(["sbatch", "--wait", "--parsable"] + list(args), cwd=cwd,
                                     env=env(extra_env), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().strip()
        if not line:
            self.proc.wait()
            raise AssertionError("sbatch failed: " + self.proc.stderr.read())
        self.job = line.split(";")[0]
        self.start = time.monotonic()

    def ended(self):
        return self.proc.poll() is not None

    def wait(self, timeout=100):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.cancel()
            raise AssertionError("job %s did not end within %d s: %s" %
                                 (self.job, timeout, state(self.job)))
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, time.monotonic() - self.start

    def cancel(self):
        """Cancels the job unless `sbatch --wait` has already returned."""
        if self.proc.poll() is None:
            run(["scancel", self.job], check=False)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def state(job):
    """squeue's state of a job or array task (PENDING, RUNNING, COMPLETED, CANCELLED, ...),
    '' once slurmctld has forgotten it (MinJobAge after it ended)."""
    p = run(["squeue", "-h", "-t", "all", "-j", job, "-o", "%T"], check=False)
    return p.stdout.strip()


def settled_state(job, timeout=30):
    """The state once the job is no longer COMPLETING (its processes ending): CANCELLED,
    COMPLETED, ... or PENDING when it was requeued; '' once forgotten."""
    end = time.monotonic() + timeout
    st = state(job)
    while st == "COMPLETING" and time.monotonic() < end:
        time.sleep(0.2)
        st = state(job)
    return st


def wait_for(predicate, timeout, what, job=None, log=None):
    """Polls until predicate() holds; fails after `timeout` s, or at once when the
    Submission `job` has ended first (then with its exit code and `log`'s contents)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        if job is not None and job.ended():
            raise AssertionError("job %s ended (sbatch exit %d) before %s\n%s"
                                 % (job.job, job.proc.returncode, what, read(log) if log else ""))
        time.sleep(0.2)
    raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def start():
    # A cluster left by an interrupted ctest run (no cleanup) is stopped first: every
    # run starts with no daemons, jobs or state of an earlier one.
    _script("stop", timeout=120)
    p = _script("start", timeout=300)
    sys.stderr.write(p.stderr)
    if p.returncode != 0 or ("export SLURM_CONF=" + SLURM_CONF) not in p.stdout:
        print("FAIL: cluster/slurm-local.sh start: exit %d\n%s" % (p.returncode, p.stdout))
        _script("stop", timeout=120)
        return 1
    print("slurm-local up in %s" % SCRATCH)
    return 0


def stop():
    p = _script("stop", timeout=120)
    sys.stderr.write(p.stderr)
    status = _script("status", timeout=30)
    # status exits 3 when none of the daemons runs.
    if p.returncode != 0 or status.returncode != 3:
        print("FAIL: after stop (exit %d):\n%s" % (p.returncode, status.stdout))
        return 1
    print("slurm-local stopped; logs in %s/log" % SCRATCH)
    return 0


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else ""
    if action == "start":
        sys.exit(start())
    if action == "stop":
        sys.exit(stop())
    print("usage: slurm_cluster.py start|stop", file=sys.stderr)
    sys.exit(2)
