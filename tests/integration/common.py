"""Helpers for the tests that run the real `teamsrl` binary (under mpirun) as a user would.

Run with Debian's /usr/bin/python3 (h5py, pandas from apt)."""
import os
import signal
import subprocess
import sys
import tempfile
import time

# Run inside someone's SLURM allocation, the launcher check (dist/launcher.h) would see
# SLURM's task count beside our own mpirun worlds: these tests are not SLURM jobs.
for _k in [k for k in os.environ if k.startswith("SLURM_")]:
    del os.environ[_k]

BIN = os.environ.get("TEAMSRL_BIN", "")
SOURCE_DIR = os.environ.get("TEAMSRL_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    # Loopback-only, no network probing on a closed machine.
    "OMPI_MCA_btl": "self,vader",
    "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
}


def mpirun(np_, args, timeout=120, env=None, cwd=None):
    """Runs `mpirun -np N teamsrl ARGS`; returns (returncode, stdout, stderr, seconds)."""
    cmd = ["mpirun", "-np", str(np_)]
    if np_ > 2:
        cmd.append("--oversubscribe")
    cmd += [BIN] + list(args)
    full_env = dict(os.environ)
    full_env.update(MPI_ENV)
    if env:
        full_env.update(env)
    start = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env,
                       cwd=cwd or SOURCE_DIR, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


def config(name):
    return os.path.join(SOURCE_DIR, "experiments", name)


def train_policy(out, ranks=1, iterations=1, overrides=()):
    """Trains the quickstart into `out` (a policy for generate); returns its run.h5.
    `overrides` are `--set` values. Raises with stderr when the run fails."""
    args = ["train", config("quickstart.yaml"), "--out", out, "--quiet",
            "--set", "train.iterations=%d" % iterations]
    for o in overrides:
        args += ["--set", o]
    rc, _, se, _ = mpirun(ranks, args)
    if rc != 0:
        raise AssertionError("training the policy failed (rc %d): %s" % (rc, se))
    return os.path.join(out, "run.h5")


def tmpdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


# The OpenAI-compatible fake server of tests/servers: started on an ephemeral loopback port,
# stopped by PID (SIGTERM, then SIGKILL) even when a test fails.
def start_fake_server(*args):
    script = os.path.join(SOURCE_DIR, "tests", "servers", "fake_openai_server.py")
    proc = subprocess.Popen(["/usr/bin/python3", script] + list(args), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError("fake server did not start: " + line)
    return proc, int(line.split()[1])


def stop_server(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc.stdin.close()
    proc.stdout.close()
