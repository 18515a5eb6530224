"""Fresh run files made with the teamsrl binary, for the tests that need real outputs
(notebooks_test.py, report_browser_test.py). Not a unit test: `unittest discover` (pattern
test_*.py) leaves it alone.

Everything runs on the simulator in a few seconds on 2 cores:

* a short training run, a `generate` from it and the Evol-Instruct `baseline` over the same
  8 shipped seeds, both evaluated into their run files (`eval --run`);
* a sweep of 2 policy types x 2 seeds through train, generate, baseline and eval;
* a reproducibility sweep over `ranks: [1, 2]` x `repeats: 2` with `--check-reproducible`;
* on request, a training run with simulated latency left running in the background.

Reads TEAMSRL_BIN (the binary) and TEAMSRL_SOURCE_DIR (the repository; default: two levels
above this file's directory).
"""
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

ANALYSIS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIR = os.environ.get("TEAMSRL_SOURCE_DIR", os.path.dirname(ANALYSIS_DIR))
BIN = os.environ.get("TEAMSRL_BIN", "")

# mpirun as root on a closed machine: the integration tests' environment, one definition.
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
from common import MPI_ENV  # noqa: E402

SEEDS = 8  # seeds of the shipped file for generate and baseline


def skip_reason():
    """Why the binary-dependent tests cannot run here, or None."""
    if not BIN:
        return "TEAMSRL_BIN is not set (ctest sets it to the built teamsrl)"
    if not os.access(BIN, os.X_OK):
        return f"TEAMSRL_BIN={BIN} is not an executable file"
    return None


def env():
    e = dict(os.environ)
    for k in [k for k in e if k.startswith("SLURM_")]:  # not a SLURM job (launcher check)
        del e[k]
    e.update(MPI_ENV)
    return e


def experiment(name):
    return os.path.join(SOURCE_DIR, "experiments", name)


def teamsrl(*args, timeout=300):
    """Runs the binary (niced: the machine is shared); raises with its output on failure."""
    cmd = ["nice", BIN] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env(), cwd=SOURCE_DIR,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


def tmpdir(name):
    return tempfile.mkdtemp(prefix=f"teamsrl_{name}_")


def write_seeds(path, n=SEEDS):
    with open(experiment("seeds/teamsrl_seeds.jsonl")) as src, open(path, "w") as dst:
        for _, line in zip(range(n), src):
            dst.write(line)
    return path


def make_runs(root, iterations=8):
    """train -> generate, baseline, eval of both, under `root`. Returns a dict of paths:
    train (run.h5), generate (generate.h5), baseline (baseline.h5), and their dirs."""
    seeds = write_seeds(os.path.join(root, "seeds.jsonl"))
    out = {"train_dir": os.path.join(root, "train"), "generate_dir": os.path.join(root, "generate"),
           "baseline_dir": os.path.join(root, "baseline")}
    teamsrl("train", experiment("quickstart.yaml"), "--out", out["train_dir"], "--quiet",
            "--set", f"train.iterations={iterations}")
    out["train"] = os.path.join(out["train_dir"], "run.h5")
    teamsrl("generate", experiment("generate.yaml"), "--policy", out["train"],
            "--out", out["generate_dir"], "--quiet", "--set", f"env.seeds.path={seeds}")
    out["generate"] = os.path.join(out["generate_dir"], "generate.h5")
    teamsrl("baseline", experiment("baseline.yaml"), "--out", out["baseline_dir"], "--quiet",
            "--set", f"env.seeds.path={seeds}")
    out["baseline"] = os.path.join(out["baseline_dir"], "baseline.h5")
    for kind in ("generate", "baseline"):
        d = out[kind + "_dir"]
        teamsrl("eval", os.path.join(d, "dataset.jsonl"), "--run", out[kind],
                "--json", os.path.join(d, "metrics.json"))
    return out


SWEEP_GRID = """# 2 policy types x 2 seeds, every stage (made by analysis/tests/fixtures.py)
base: {base}
out_dir: {out}
set: {{train.iterations: 6, env.seeds.path: {seeds}, baseline.rounds: 3}}
grid:
  policy.type: [gaussian_argmax, uniform]
seeds: 2
stages: [train, generate, baseline, eval]
"""

REPRO_GRID = """# the same run on 1 and 2 ranks, twice each (made by analysis/tests/fixtures.py)
base: {base}
out_dir: {out}
set: {{train.iterations: 3}}
ranks: [1, 2]
repeats: 2
"""


def make_sweep(root):
    """The ablation sweep (16 tasks); returns its directory."""
    seeds = write_seeds(os.path.join(root, "sweep_seeds.jsonl"))
    out = os.path.join(root, "sweep")
    grid = os.path.join(root, "sweep.yaml")
    with open(grid, "w") as f:
        f.write(SWEEP_GRID.format(base=experiment("quickstart.yaml"), out=out, seeds=seeds))
    teamsrl("sweep", grid, "--local", "-j", "2", "--np", "1")
    return out


def make_repro_sweep(root):
    """The reproducibility sweep (4 train tasks) with DIR/reproducibility.txt."""
    out = os.path.join(root, "repro")
    grid = os.path.join(root, "repro.yaml")
    with open(grid, "w") as f:
        f.write(REPRO_GRID.format(base=experiment("quickstart.yaml"), out=out))
    teamsrl("sweep", grid, "--local", "-j", "2", "--check-reproducible")
    return out


class LiveRun:
    """A training run with simulated latency (about 1 s per iteration), started in the
    background so a reader sees it grow. Stop it with stop() (SIGINT: it checkpoints and
    exits 75)."""

    def __init__(self, root, iterations=300, latency_ms=80):
        self.dir = os.path.join(root, "live")
        self.path = os.path.join(self.dir, "run.h5")
        self.log = open(os.path.join(root, "live.log"), "w")
        self.proc = subprocess.Popen(
            [BIN, "train", experiment("quickstart.yaml"), "--out", self.dir, "--progress", "log",
             "--set", f"train.iterations={iterations}",
             "--set", f"llm.endpoints.sim.latency_ms={latency_ms}",
             "--set", "run.progress_interval_s=5"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env(), cwd=SOURCE_DIR,
            stdin=subprocess.DEVNULL)

    def wait_for_iterations(self, n=2, timeout=60):
        """Waits until the run file has committed `n` iterations."""
        sys.path.insert(0, ANALYSIS_DIR)
        from teamsrl_analysis import load_run
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the live run exited {self.proc.returncode} early; see "
                                   f"{self.log.name}")
            if os.path.exists(self.path + ".commit"):
                try:
                    if len(load_run(self.path).iterations) >= n:
                        return
                except (OSError, ValueError, KeyError, TimeoutError):
                    pass
            time.sleep(0.2)
        raise TimeoutError(f"the live run wrote fewer than {n} iterations in {timeout} s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def cleanup(root):
    if os.environ.get("TEAMSRL_KEEP_TMP"):
        print(f"kept {root} (TEAMSRL_KEEP_TMP)")
        return
    shutil.rmtree(root, ignore_errors=True)


def png_stats(data_or_path):
    """(distinct colours, share of the most common colour, shape) of a PNG (bytes or a
    path): a blank picture has few colours, or one covering nearly all of it."""
    import matplotlib.image as mpimg
    src = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    img = mpimg.imread(src, format="png")
    if img.ndim == 2:
        img = img[..., None]
    channels = img[..., :3] if img.shape[-1] >= 3 else img
    if channels.dtype != np.uint8:
        channels = (channels * 255).round().astype(np.uint8)
    pixels = channels.reshape(-1, channels.shape[-1]).astype(np.uint32)
    packed = pixels[:, 0]
    for c in range(1, pixels.shape[1]):
        packed = (packed << 8) | pixels[:, c]
    colours, counts = np.unique(packed, return_counts=True)
    return len(colours), counts.max() / counts.sum(), img.shape


SKIP_EXIT = 77  # ctest's SKIP_RETURN_CODE for these tests: skipped, not passed


def main():
    """unittest.main, but exit SKIP_EXIT when everything was skipped (no binary, no
    chromium), so ctest reports the test as skipped rather than passed."""
    result = unittest.main(exit=False, verbosity=2).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped and len(result.skipped) >= max(result.testsRun, 1):
        print("skipped: " + "; ".join(reason for _, reason in result.skipped))
        sys.exit(SKIP_EXIT)
    sys.exit(0)
