"""Run files and sweeps written with h5py after the schema (src/io/run_schema.h, README
"The run file"), for tests that must not need the teamsrl binary and for the bench.

The tables have the dtypes, enum attributes, chunking and compression of the files the
binary writes (checked against real ones); their numbers are random but consistent the
way the real ones are: an episode's return is the sum of its steps' rewards, an
iteration's mean_return the mean of its episodes' returns, its queries the number of its
calls, /budget the totals of /llm/calls.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import uuid
from typing import Dict, Optional

import h5py
import numpy as np

ACTIONS = ["breadth", "add_constraints", "deepening", "concretizing", "increase_reasoning",
           "complicate_input"]
ROLES = ["rewriter", "reviewer", "responder"]
STATUSES = ["OK", "INVALID_ARGUMENT", "NOT_FOUND", "UNAVAILABLE", "RESOURCE_EXHAUSTED",
            "DATA_LOSS", "DEADLINE_EXCEEDED", "PERMISSION_DENIED"]
REASONS = ["none", "equal", "sorry", "stopwords", "prompt_leak", "failed_call", "empty"]

I8, F8, I4, B1 = "<i8", "<f8", "<i4", "i1"
DTYPES = {
    "/train/iterations": [("iteration", I8), ("wall_s", F8), ("episodes", I8), ("steps", I8),
                          ("mean_return", F8), ("std_return", F8), ("min_return", F8),
                          ("max_return", F8), ("policy_loss", F8), ("value_loss", F8),
                          ("kl", F8), ("entropy", F8), ("step_size", F8), ("queries", I8),
                          ("prompt_tokens", I8), ("completion_tokens", I8), ("cache_hits", I8),
                          ("failed_calls", I8), ("limit_wait_s", F8)],
    "/train/episodes": [("iteration", I8), ("actor", I8), ("episode", I8), ("seed_index", I8),
                        ("length", I8), ("return", F8), ("queries", I8)],
    "/train/steps": [("iteration", I8), ("actor", I8), ("episode", I8), ("t", I8),
                     ("action", I4), ("reward", F8), ("logp", F8), ("text_id", I8),
                     ("reply_id", I8), ("failed", B1)],
    "/llm/calls": [("iteration", I8), ("actor", I8), ("role", I4), ("status", I4),
                   ("http_status", I4), ("attempts", I4), ("latency_ms", F8),
                   ("prompt_tokens", I8), ("completion_tokens", I8), ("cached", B1),
                   ("endpoint", I4), ("error_id", I8), ("usage_estimated", B1),
                   ("limit_wait_ms", F8)],
    "/budget": [("role", I4), ("queries", I8), ("prompt_tokens", I8), ("completion_tokens", I8),
                ("cost_usd", F8), ("limit_queries", I8), ("limit_tokens", I8),
                ("limit_cost_usd", F8)],
    "/dataset/samples": [("sample_id", I8), ("seed_index", I8), ("round_or_step", I8),
                         ("action", I4), ("instruction_id", I8), ("response_id", I8),
                         ("eliminated", B1), ("reason", I4)],
}
ENUMS = {
    "/train/steps": {"action": ACTIONS},
    "/llm/calls": {"role": ROLES, "status": STATUSES, "endpoint": ["sim"]},
    "/budget": {"role": ROLES + ["total"]},
    "/dataset/samples": {"action": ACTIONS, "reason": REASONS},
}
# Commit-record keys of the tables (src/io/run_commit.cc).
ROW_KEYS = {"/train/iterations": "iterations", "/train/episodes": "episodes",
            "/train/steps": "steps", "/llm/calls": "calls", "/budget": "budget",
            "/dataset/samples": "samples", "/text/strings": "texts"}


def empty(path: str, rows: int = 0) -> np.ndarray:
    return np.zeros(rows, dtype=DTYPES[path])


def train_tables(iterations: int = 5, actors: int = 4, length: int = 6,
                 seed: int = 0) -> Dict[str, np.ndarray]:
    """Consistent training tables: every step makes a rewriter and a reviewer call, the
    reward is 1 when the reviewer said Not Equal."""
    rng = np.random.default_rng(seed)
    n_ep = iterations * actors
    n = n_ep * length
    steps = empty("/train/steps", n)
    ep_index = np.arange(n) // length
    steps["iteration"] = ep_index // actors
    steps["actor"] = ep_index % actors
    steps["episode"] = ep_index // actors
    steps["t"] = np.arange(n) % length
    steps["action"] = rng.integers(0, len(ACTIONS), n)
    steps["reward"] = (rng.random(n) < 0.5).astype(np.float64)
    steps["logp"] = -rng.random(n) * 2
    steps["text_id"] = 2 * np.arange(n)
    steps["reply_id"] = 2 * np.arange(n) + 1
    steps["failed"] = (rng.random(n) < 0.01).astype(np.int8)

    episodes = empty("/train/episodes", n_ep)
    episodes["iteration"] = np.arange(n_ep) // actors
    episodes["actor"] = np.arange(n_ep) % actors
    episodes["episode"] = np.arange(n_ep) // actors
    episodes["length"] = length
    episodes["return"] = np.bincount(ep_index, weights=steps["reward"], minlength=n_ep)
    episodes["queries"] = 2 * length

    calls = empty("/llm/calls", 2 * n)
    calls["iteration"] = np.repeat(steps["iteration"], 2)
    calls["actor"] = np.repeat(steps["actor"], 2)
    calls["role"] = np.tile([0, 1], n)
    calls["http_status"] = 200
    calls["attempts"] = 1
    calls["latency_ms"] = rng.random(2 * n) * 10
    calls["prompt_tokens"] = rng.integers(50, 300, 2 * n)
    calls["completion_tokens"] = rng.integers(5, 200, 2 * n)
    calls["error_id"] = -1
    calls["limit_wait_ms"] = 0.0

    its = empty("/train/iterations", iterations)
    returns = episodes["return"].reshape(iterations, actors)
    its["iteration"] = np.arange(iterations)
    its["wall_s"] = np.cumsum(rng.random(iterations))
    its["episodes"] = actors
    its["steps"] = actors * length
    its["mean_return"] = returns.mean(axis=1)
    its["std_return"] = returns.std(axis=1)
    its["min_return"] = returns.min(axis=1)
    its["max_return"] = returns.max(axis=1)
    its["entropy"] = 1.7 - 0.01 * np.arange(iterations)
    for column in ("queries", "prompt_tokens", "completion_tokens"):
        weights = None if column == "queries" else calls[column]
        its[column] = np.bincount(calls["iteration"], weights=weights, minlength=iterations)
    return {"iterations": its, "episodes": episodes, "steps": steps, "calls": calls,
            "budget": budget_of(calls), "texts": 2 * n}


def budget_of(calls: np.ndarray) -> np.ndarray:
    budget = empty("/budget", len(ROLES) + 1)
    budget["role"] = np.arange(len(ROLES) + 1)
    for r in range(len(ROLES)):
        mine = calls[calls["role"] == r]
        budget["queries"][r] = len(mine)
        budget["prompt_tokens"][r] = mine["prompt_tokens"].sum()
        budget["completion_tokens"][r] = mine["completion_tokens"].sum()
    for column in ("queries", "prompt_tokens", "completion_tokens"):
        budget[column][-1] = budget[column][:-1].sum()
    return budget


def dataset_tables(seeds: int = 10, steps: int = 6, roles=(0, 2),
                   seed: int = 0) -> Dict[str, np.ndarray]:
    """Generate/baseline tables: one sample per seed and step (or round), its calls
    (one call per role code in ``roles``: 0 rewriter, 1 reviewer, 2 responder)."""
    rng = np.random.default_rng(seed)
    n = seeds * steps
    samples = empty("/dataset/samples", n)
    samples["sample_id"] = np.arange(n)
    samples["seed_index"] = np.arange(n) // steps
    samples["round_or_step"] = np.arange(n) % steps
    samples["action"] = rng.integers(0, len(ACTIONS), n)
    samples["instruction_id"] = 2 * np.arange(n)
    samples["response_id"] = 2 * np.arange(n) + 1
    roles = list(roles)
    calls = empty("/llm/calls", n * len(roles))
    calls["iteration"] = np.repeat(samples["round_or_step"], len(roles))
    calls["actor"] = np.repeat(samples["seed_index"], len(roles))
    calls["role"] = np.tile(roles, n)
    calls["http_status"] = 200
    calls["attempts"] = 1
    calls["prompt_tokens"] = rng.integers(50, 300, len(calls))
    calls["completion_tokens"] = rng.integers(5, 200, len(calls))
    calls["error_id"] = -1
    return {"samples": samples, "calls": calls, "budget": budget_of(calls), "texts": 2 * n}


COMMANDS = {"train": "teamsrl train cfg.yaml --out {dir}",
            "generate": "teamsrl generate cfg.yaml --policy run.h5 --out {dir}",
            "baseline": "teamsrl baseline cfg.yaml --out {dir}"}


def write_run(path: str, kind: str = "train", tables: Optional[Dict[str, np.ndarray]] = None,
              status: str = "completed", attrs: Optional[dict] = None,
              evals: Optional[Dict[str, dict]] = None, commit: Optional[str] = "closed",
              pid: Optional[int] = None, texts=None, eval_json: bool = True) -> str:
    """Writes a run file at ``path`` like the binary does: every table (empty unless in
    ``tables``, keys as ``runfile.TABLES``; ``texts``: a count or a list of strings), the
    root attributes, /eval groups (flattened attributes plus ``json``, left out when
    ``eval_json`` is False) and a commit record in state ``commit`` (None: no record)
    naming writer ``pid`` on this host."""
    tables = dict(tables or {})
    names = {"iterations": "/train/iterations", "episodes": "/train/episodes",
             "steps": "/train/steps", "calls": "/llm/calls", "budget": "/budget",
             "samples": "/dataset/samples"}
    token = uuid.uuid4().hex
    if texts is None:
        texts = tables.pop("texts", 0)
    else:
        tables.pop("texts", None)
    strings = [f"text {i}" for i in range(texts)] if isinstance(texts, int) else list(texts)
    rows = {}
    with h5py.File(path, "w", libver="earliest") as f:
        root = {"schema_version": 1, "teamsrl_version": "0.1.0", "git_describe": "synthetic",
                "command": COMMANDS.get(kind, kind).format(dir=os.path.dirname(path)),
                "config_yaml": "run:\n  name: synthetic\n", "run_name": f"synthetic_{kind}",
                "seed": np.uint64(1), "world_size": 1, "actors": 4, "hostnames": "h",
                "launcher": "single process", "started_at": "2026-01-01T00:00:00Z",
                "finished_at": "" if status == "running" else "2026-01-01T00:00:01Z",
                "status": status, "commit_token": token}
        root.update(attrs or {})
        for key, value in root.items():
            f.attrs[key] = value
        for name, hdf in names.items():
            data = tables.get(name, empty(hdf))
            d = f.create_dataset(hdf, data=data, maxshape=(None,), chunks=(1024,),
                                 compression="gzip")
            for column, enum in ENUMS.get(hdf, {}).items():
                d.attrs[f"{column}_names"] = np.array(enum, dtype=h5py.string_dtype())
            rows[ROW_KEYS[hdf]] = len(data)
        f.create_dataset("/text/strings", data=np.array(strings, dtype=object),
                         dtype=h5py.string_dtype(), maxshape=(None,), chunks=(1024,))
        rows["texts"] = len(strings)
        f.create_group("/policy")
        if kind == "train":
            f["/policy/final"] = np.linspace(-1, 1, 10)
            f["/policy/final"].attrs["type"] = "categorical"
        for name, metrics in (evals or {}).items():
            g = f.create_group(f"/eval/{name}")
            for key, value in _flat(metrics).items():
                g.attrs[key] = value
            if eval_json:
                g.attrs["json"] = json.dumps(metrics)
    if commit is not None:
        write_commit(path, commit, rows, token, pid)
    return path


def _flat(metrics: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        elif value is not None:
            out[f"{prefix}{key}"] = value
    return out


def write_commit(path: str, state: str, rows: dict, token: str, pid: Optional[int] = None):
    record = {"epoch": 0, "format": "teamsrl_commit", "host": socket.gethostname(),
              "pid": pid if pid is not None else os.getpid(), "rows": rows, "seq": 3,
              "state": state, "token": token, "version": 1}
    with open(path + ".commit", "w") as f:
        json.dump(record, f)


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped): a killed writer."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def metrics(distinct_2: float = 0.5, eliminated: int = 0) -> dict:
    """A metrics dict shaped like `teamsrl eval`'s (src/eval/eval.cc MetricsToJson)."""
    return {"dataset": "dataset.jsonl", "records": 60, "kept": 60 - eliminated,
            "eliminated": eliminated, "instruction_words": {"count": 60, "mean": 24.4,
                                                            "median": 23.5, "p90": 37.1,
                                                            "max": 82.0},
            "input_share": 0.1, "distinct_1": distinct_2 / 2, "distinct_2": distinct_2,
            "rouge_l_nn": {"mode": "exact", "mean": 0.7, "threshold": 0.7,
                           "share_ge_threshold": 0.53},
            "elimination_rate": eliminated / 60, "elimination_reasons": {},
            "not_equal_rate": None, "action_mix": {"breadth": {"count": 20, "share": 1 / 3}},
            "queries_total": 120, "queries_per_kept_sample": 2.0}


def write_sweep(directory: str, policies=("categorical", "uniform"), seeds=(1, 2, 3),
                iterations: int = 5, stages=("train", "generate", "baseline", "eval")) -> dict:
    """A sweep directory like `teamsrl sweep --local` leaves it: sweep.json and every
    task's run file (train: ``train_tables`` with a seed per task; generate/baseline
    with /eval/dataset). Returns the manifest."""
    tasks = []
    n = 0

    def task(stage, point, deps=(), run_file=None):
        nonlocal n
        n += 1
        tid = f"{stage[:2]}{n:010d}"
        out_dir = os.path.join(directory, stage, tid)
        name = {"train": "run.h5", "generate": "generate.h5", "baseline": "baseline.h5"}
        t = {"id": tid, "stage": stage, "point": point,
             "overrides": [f"{k}={v}" for k, v in sorted(point.items())], "ranks": 0,
             "repeat": 0, "deps": list(deps), "out_dir": out_dir,
             "run_file": run_file or os.path.join(out_dir, name[stage]),
             "args": [stage, "cfg.yaml"]}
        tasks.append(t)
        return t

    for p_i, policy in enumerate(policies):
        for seed in seeds:
            point = {"policy.type": policy, "run.seed": str(seed)}
            tr = task("train", point)
            os.makedirs(tr["out_dir"])
            write_run(tr["run_file"], "train",
                      train_tables(iterations, seed=100 * p_i + seed),
                      attrs={"sweep_task": tr["id"], "sweep_stage": "train"})
            if "generate" in stages:
                gen = task("generate", point, [tr["id"]])
                os.makedirs(gen["out_dir"])
                write_run(gen["run_file"], "generate", dataset_tables(seed=seed),
                          evals={"dataset": metrics(0.4 + 0.01 * seed + 0.1 * p_i)})
    if "baseline" in stages:
        for seed in seeds:
            b = task("baseline", {"run.seed": str(seed)})
            os.makedirs(b["out_dir"])
            write_run(b["run_file"], "baseline", dataset_tables(steps=4, seed=seed,
                                                                 roles=(0, 2, 1)),
                      evals={"dataset": metrics(0.6, eliminated=10)})
    if "eval" in stages:
        for t in [t for t in tasks if t["stage"] in ("generate", "baseline")]:
            task("eval", t["point"], [t["id"]], run_file=t["run_file"])
    manifest = {"base": "cfg.yaml", "base_hash": "0", "dir": directory, "grid": "grid.yaml",
                "sweep_id": "synthetic", "tasks": tasks}
    with open(os.path.join(directory, "sweep.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest
