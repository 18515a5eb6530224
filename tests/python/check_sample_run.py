#!/usr/bin/python3
"""Checks the run files written by write_sample_run (same directory) value by value, reading
them as a notebook would: h5py + pandas through analysis/teamsrl_analysis.

    check_sample_run.py OUT_DIR      # OUT_DIR/sample.h5 and OUT_DIR/killed.h5
"""

import os
import sys

import h5py
import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "analysis"))
sys.path.insert(0, HERE)
import read_run  # noqa: E402
from teamsrl_analysis import load_run, read_commit, read_consistent  # noqa: E402

ACTIONS = ["add_constraints", "deepening", "concretizing", "increase_reasoning",
           "complicate_input", "breadth"]
ROLES = ["rewriter", "reviewer", "responder"]


def eq(actual, expected, what):
    actual = list(actual)
    assert len(actual) == len(expected), f"{what}: {actual} != {expected}"
    for a, e in zip(actual, expected):
        ok = np.isclose(a, e, rtol=1e-12, atol=0) if isinstance(e, float) else a == e
        assert ok, f"{what}: {actual} != {expected}"


def check_sample(path):
    run = load_run(path)
    a = run.attrs
    assert a["schema_version"] == 1
    assert a["status"] == "completed", a["status"]
    assert a["finished_at"].endswith("Z") and len(a["finished_at"]) == 20, a["finished_at"]
    assert a["started_at"] == "2024-06-01T12:00:00Z"
    assert a["seed"] == 18446744073709551557, a["seed"]
    assert a["world_size"] == 2 and a["actors"] == 3
    assert a["run_name"] == "sample" and a["command"] == "write_sample_run"
    assert a["config_yaml"] == "run:\n  name: sample\n  seed: 7\n"
    assert a["hostnames"] == "alpha,beta"
    assert a["slurm_job_id"] == "1234" and a["slurm_array_task_id"] == ""
    assert a["note"] == "sample run" and a["best_iteration"] == 2 and a["best_return"] == 0.5
    for key in ("teamsrl_version", "git_describe"):
        assert isinstance(a[key], str) and a[key], key

    it = run.iterations
    k = np.arange(3)
    assert list(it.columns) == [
        "iteration", "wall_s", "episodes", "steps", "mean_return", "std_return", "min_return",
        "max_return", "policy_loss", "value_loss", "kl", "entropy", "step_size", "queries",
        "prompt_tokens", "completion_tokens", "cache_hits", "failed_calls", "limit_wait_s",
        "malformed_replies"], list(it.columns)
    eq(it.iteration, [0, 1, 2], "iteration")
    eq(it.wall_s, list(1.5 * (k + 1)), "wall_s")
    eq(it.episodes, [3] * 3, "episodes")
    eq(it.steps, [6] * 3, "steps")
    eq(it.mean_return, list(0.25 * k), "mean_return")
    eq(it.std_return, [0.1] * 3, "std_return")
    eq(it.min_return, [-1.0] * 3, "min_return")
    eq(it.max_return, list(1.0 + k), "max_return")
    eq(it.policy_loss, list(-0.5 * k), "policy_loss")
    eq(it.value_loss, [0.125] * 3, "value_loss")
    eq(it.kl, list(0.001 * (k + 1)), "kl")
    eq(it.entropy, [1.75] * 3, "entropy")
    eq(it.step_size, [0.01] * 3, "step_size")
    eq(it.queries, [10, 11, 12], "queries")
    eq(it.prompt_tokens, [1000, 2000, 3000], "prompt_tokens")
    eq(it.completion_tokens, [100, 200, 300], "completion_tokens")
    eq(it.cache_hits, [0, 1, 2], "cache_hits")
    eq(it.failed_calls, [0, 0, 1], "failed_calls")
    assert it.dtypes["iteration"] == np.int64 and it.dtypes["wall_s"] == np.float64

    ep = run.episodes
    k = np.arange(4)
    assert list(ep.columns) == ["iteration", "actor", "episode", "seed_index", "length", "return",
                                "queries"]
    eq(ep.iteration, list(k // 2), "ep.iteration")
    eq(ep.actor, list(k % 3), "ep.actor")
    eq(ep.episode, list(k), "ep.episode")
    eq(ep.seed_index, list(100 + k), "ep.seed_index")
    eq(ep.length, [2] * 4, "ep.length")
    eq(ep["return"], list(0.5 * k), "ep.return")
    eq(ep.queries, [4] * 4, "ep.queries")

    st = run.steps
    k = np.arange(6)
    assert isinstance(st.action.dtype, pd.CategoricalDtype)
    assert list(st.action.cat.categories) == ACTIONS
    eq(st.action.astype(str), ACTIONS, "steps.action")
    eq(st.iteration, list(k // 2), "steps.iteration")
    eq(st.actor, list(k % 3), "steps.actor")
    eq(st.t, list(k % 2), "steps.t")
    eq(st.reward, list(0.1 * k), "steps.reward")
    eq(st.logp, list(-1.0 - k), "steps.logp")
    eq(st.text_id, list(2 * k), "steps.text_id")
    eq(st.reply_id, list(2 * k + 1), "steps.reply_id")
    eq(st.failed, [False] * 5 + [True], "steps.failed")
    assert st.failed.dtype == bool
    eq(run.text(st.text_id), [f"instruction {i}" for i in k], "step texts")
    eq(run.text(st.reply_id), ["Equal", "Not Equal"] * 3, "reply texts")
    # The action mix a notebook would compute.
    mix = st.action.value_counts(normalize=True)
    assert np.isclose(mix["breadth"], 1 / 6)

    ca = run.calls
    k = np.arange(5)
    eq(ca.role.astype(str), ["rewriter", "reviewer", "responder", "rewriter", "reviewer"],
       "calls.role")
    assert list(ca.role.cat.categories) == ROLES
    eq(ca.status.astype(str), ["OK", "OK", "OK", "UNAVAILABLE", "DEADLINE_EXCEEDED"],
       "calls.status")
    assert ca.status.cat.categories[0] == "OK"
    eq(ca.http_status, [200, 200, 200, 503, 0], "calls.http_status")
    eq(ca.attempts, [1, 1, 1, 5, 2], "calls.attempts")
    eq(ca.latency_ms, list(12.5 * k), "calls.latency_ms")
    eq(ca.prompt_tokens, list(100 + k), "calls.prompt_tokens")
    eq(ca.completion_tokens, list(10 * k), "calls.completion_tokens")
    eq(ca.cached, [False, True, False, False, False], "calls.cached")
    eq(ca.endpoint.astype(str), ["sim", "local", "sim", "local", "sim"], "calls.endpoint")
    eq(ca.error_id, [-1, -1, -1, 12, 13], "calls.error_id")
    eq(run.text(ca.error_id), [None, None, None, "HTTP 503 from local", "timeout after 120 s"],
       "error texts")
    by_role = ca.groupby("role", observed=False).size()
    eq(by_role.tolist(), [2, 2, 1], "calls by role")

    bu = run.budget
    eq(bu.role.astype(str), ROLES + ["total"], "budget.role")
    eq(bu.queries, [2, 4, 6, 99], "budget.queries")  # the second WriteBudget won
    eq(bu.prompt_tokens, [100, 200, 300, 400], "budget.prompt_tokens")
    eq(bu.completion_tokens, [10, 20, 30, 40], "budget.completion_tokens")
    eq(bu.cost_usd, [0.0, 0.25, 0.5, 0.75], "budget.cost_usd")
    eq(bu.limit_queries, [0, 0, 0, 1000], "budget.limit_queries")
    eq(bu.limit_tokens, [0, 0, 0, 0], "budget.limit_tokens")
    eq(bu.limit_cost_usd, [0.0, 0.0, 0.0, 5.0], "budget.limit_cost_usd")

    sa = run.samples
    eq(sa.sample_id, [0, 1], "samples.sample_id")
    eq(sa.seed_index, [100, 101], "samples.seed_index")
    eq(sa.round_or_step, [1, 2], "samples.round_or_step")
    eq(sa.action.astype(str), ["concretizing", "complicate_input"], "samples.action")
    eq(sa.instruction_id, [0, 2], "samples.instruction_id")
    eq(sa.response_id, [1, 3], "samples.response_id")
    eq(sa.eliminated, [False, True], "samples.eliminated")
    eq(sa.reason.astype(str), ["kept", "refusal"], "samples.reason")

    assert run.text(14) == "naïve café ✓"
    assert len(run.texts) == 15
    assert run.policies == ["final", "snapshot_000001"], run.policies
    values, attrs = run.policy("final")
    assert values.dtype == np.float64 and values.tolist() == [0.5, -1.5, 2.25]
    assert attrs == {"type": "categorical", "hidden": "64,64", "obs_dim": "8"}, attrs

    # The raw layout promised by the schema: compound tables, plain DataFrame(f[path][:]).
    with h5py.File(path, "r") as f:
        raw = pd.DataFrame(f["/train/steps"][:])
        assert raw.action.tolist() == list(range(6))
        assert [n.decode() if isinstance(n, bytes) else n
                for n in f["/train/steps"].attrs["action_names"]] == ACTIONS
        for table in ("/train/iterations", "/train/episodes", "/train/steps", "/llm/calls",
                      "/budget", "/dataset/samples"):
            d = f[table]
            assert d.compression == "gzip" and d.compression_opts == 4 and d.shuffle, table
            assert d.chunks is not None and d.maxshape == (None,), table

    # The generic expectation checker agrees.
    errors = read_run.check(path, {
        "attrs": {"status": "completed", "world_size": 2},
        "rows": {"iterations": 3, "episodes": 4, "steps": 6, "calls": 5, "budget": 4,
                 "samples": 2},
        "columns": {"steps.action": ACTIONS, "iterations.mean_return": [0.0, 0.25, 0.5]},
        "text": {"0": "instruction 0", "14": "naïve café ✓"},
        "policies": {"final": {"values": [0.5, -1.5, 2.25]}},
    })
    assert not errors, errors
    assert read_run.check(path, {"rows": {"steps": 7}}) == ["steps: expected 7 rows, got 6"]


def check_killed(path):
    run = load_run(path)
    assert run.attrs["status"] == "running" and run.attrs["finished_at"] == ""
    eq(run.iterations.iteration, [0, 1], "killed iterations")  # the third was never flushed
    eq(run.iterations.mean_return, [0.0, 0.25], "killed mean_return")
    assert list(run.texts) == ["text 0", "text 1"], list(run.texts)
    for table in ("episodes", "steps", "calls", "budget", "samples"):
        assert len(run[table]) == 0, table
    assert run.policies == []


def check_commit_record(path, out_dir):
    """read_consistent follows the commit record (src/io/run_commit.h): it waits while a
    live writer is in the middle of a change, then reads the committed rows only, and
    reads them at once when the writer is known to be gone."""
    import json
    import shutil
    import socket
    import subprocess
    import time

    copy = os.path.join(out_dir, "record.h5")
    shutil.copyfile(path, copy)
    record = read_commit(path)
    assert record is not None and record["state"] == "idle", record  # killed, not closed
    assert load_run(path).commit == record

    def iterations(f, rows):
        return len(f["/train/iterations"][:rows("/train/iterations")])

    assert read_consistent(copy, iterations) == 2  # no record: the whole table

    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        writing = dict(record, state="writing", seq=record["seq"] + 1, pid=sleeper.pid,
                       host=socket.gethostname(), rows=dict(record["rows"], iterations=1))
        with open(copy + ".commit", "w") as f:
            json.dump(writing, f)
        try:
            read_consistent(copy, iterations, timeout=0.3)
            raise AssertionError("read while the record said 'writing'")
        except TimeoutError as e:
            assert "pid %d" % sleeper.pid in str(e), e
        assert read_consistent(copy, iterations, stale_after=0.2) == 1  # committed rows
    finally:
        sleeper.kill()
        sleeper.wait()
    start = time.monotonic()
    assert read_consistent(copy, iterations) == 1  # the writer is gone: no wait
    assert time.monotonic() - start < 5
    run = load_run(copy)
    assert len(run.iterations) == 1 and len(run.texts) == 2, (len(run.iterations), run.texts)
    with open(copy + ".commit", "w") as f:  # a record of another file is ignored
        json.dump(dict(writing, state="idle", token="f" * 32), f)
    assert read_consistent(copy, iterations) == 2


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    check_sample(os.path.join(argv[1], "sample.h5"))
    check_killed(os.path.join(argv[1], "killed.h5"))
    check_commit_record(os.path.join(argv[1], "killed.h5"), argv[1])
    print("check_sample_run: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
