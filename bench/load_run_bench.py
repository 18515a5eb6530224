#!/usr/bin/python3
"""How long ``load_run`` takes and how much memory it needs on a big run file, and how
long ``load_sweep`` takes on a sweep.

Writes, with h5py after the schema (analysis/tests/synthetic.py: the dtypes, enum
attributes, chunking and compression of the binary's files), a run file with 1,000,000
rows in /train/steps (2,000 iterations x 100 actors x 5-step episodes), 200,000 episodes,
2,000,000 LLM calls and 2,000,000 texts, then loads it in a fresh process (so the figures
are not those of the writer) and prints the load time and the process's peak RSS
(``VmHWM``; ``ru_maxrss`` where there is no /proc) before and after. Then a synthetic sweep (policies x seeds through train,
generate, baseline and eval) and the time of ``load_sweep`` and of its tidy tables.

    /usr/bin/python3 bench/load_run_bench.py [--steps N] [--repeat K] [--policies P] [--seeds S] [--keep DIR]

Target (analysis issue): 1M steps in under 3 s and under 1 GB.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "analysis"))
sys.path.insert(0, str(ROOT / "analysis" / "tests"))

# Runs in the child: import first (its memory is not the load's), then load and measure.
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from teamsrl_analysis import load_run

def peak_kib():
    # VmHWM: this process's peak RSS. ru_maxrss would do, but Linux carries the parent's
    # peak at fork into it across exec, and the parent wrote the big file.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

before = peak_kib()
t0 = time.perf_counter()
run = load_run(sys.argv[1])
seconds = time.perf_counter() - t0
after = peak_kib()
t1 = time.perf_counter()
texts = len(run.texts)
text_seconds = time.perf_counter() - t1
with_texts = peak_kib()
frames = sum(int(f.memory_usage(deep=True).sum()) for f in run.values())
print(json.dumps({"seconds": seconds, "rss_before_kib": before, "rss_after_kib": after,
                  "rows": {k: len(v) for k, v in run.items()}, "frames_bytes": frames,
                  "texts": texts, "text_seconds": text_seconds,
                  "rss_with_texts_kib": with_texts}))
"""


def write_big_run(path: str, steps: int) -> float:
    import numpy as np
    import synthetic
    actors, length = 100, 5
    iterations = max(1, steps // (actors * length))
    t0 = time.perf_counter()
    tables = synthetic.train_tables(iterations, actors, length, seed=1)
    texts = tables.pop("texts")
    # Short distinct strings stand in for instructions and replies: the loader reads only
    # their count; their size matters only to run.texts.
    strings = np.char.add("instruction or reply number ", np.arange(texts).astype(str))
    synthetic.write_run(path, "train", tables, texts=strings.astype(object))
    return time.perf_counter() - t0


def load_in_child(path: str) -> dict:
    p = subprocess.run([sys.executable, "-c", CHILD, path, str(ROOT / "analysis")],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def sweep_bench(directory: str, policies: int, seeds: int) -> None:
    import synthetic
    from teamsrl_analysis import load_sweep
    names = [f"policy_{i}" for i in range(policies)]
    t0 = time.perf_counter()
    manifest = synthetic.write_sweep(directory, policies=names, seeds=range(1, seeds + 1),
                                     iterations=30)
    written = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in Path(directory).rglob("*") if f.is_file())
    t0 = time.perf_counter()
    sw = load_sweep(directory)
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = {name: len(sw.table(name)) for name in ("iterations", "episodes", "steps", "calls",
                                                    "samples")}
    evals = len(sw.eval)
    tables = time.perf_counter() - t0
    print(f"sweep: {len(manifest['tasks'])} tasks ({policies} policies x {seeds} seeds: train, "
          f"generate, baseline, eval), {len(sw.runs)} run files, {size / 1e6:.1f} MB "
          f"(written in {written:.1f} s)")
    print(f"  load_sweep        {loaded:.3f} s  (manifest, statuses, every run file)")
    print(f"  tidy tables       {tables:.3f} s  ({', '.join(f'{k} {v:,}' for k, v in rows.items())}"
          f", eval {evals})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="loads to time (best is shown)")
    parser.add_argument("--policies", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--keep", help="write into this directory and keep the files")
    args = parser.parse_args()
    tmp = args.keep or tempfile.mkdtemp(prefix="load_run_bench_")
    os.makedirs(tmp, exist_ok=True)
    try:
        path = os.path.join(tmp, "big.h5")
        written = write_big_run(path, args.steps)
        size = os.path.getsize(path)
        results = [load_in_child(path) for _ in range(args.repeat)]
        best = min(results, key=lambda r: r["seconds"])
        rows = best["rows"]
        print(f"run file: {rows['steps']:,} steps, {rows['iterations']:,} iterations, "
              f"{rows['episodes']:,} episodes, {rows['calls']:,} calls, {best['texts']:,} "
              f"texts; {size / 1e6:.0f} MB (written in {written:.1f} s)")
        times = ", ".join(f"{r['seconds']:.2f}" for r in results)
        print(f"  load_run          {best['seconds']:.2f} s best of {args.repeat} ({times})")
        print(f"  peak RSS          {best['rss_after_kib'] / 1024:.0f} MiB after load_run "
              f"({(best['rss_after_kib'] - best['rss_before_kib']) / 1024:.0f} MiB more than "
              f"after the imports, {best['rss_before_kib'] / 1024:.0f} MiB)")
        print(f"  DataFrames        {best['frames_bytes'] / 2**20:.0f} MiB "
              "(memory_usage(deep=True), all tables)")
        print(f"  run.texts         {best['text_seconds']:.2f} s on first use; peak RSS then "
              f"{best['rss_with_texts_kib'] / 1024:.0f} MiB")
        ok = best["seconds"] < 3 and best["rss_after_kib"] < 1024 * 1024
        print(f"  target (< 3 s, < 1 GB): {'met' if ok else 'NOT met'}")
        sweep_dir = os.path.join(tmp, "sweep")
        shutil.rmtree(sweep_dir, ignore_errors=True)
        os.makedirs(sweep_dir)
        sweep_bench(sweep_dir, args.policies, args.seeds)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
