"""Sweeps (``teamsrl sweep GRID.yaml --local``) as tidy pandas DataFrames.

A sweep directory holds ``sweep.json`` (the manifest: every task's id, stage, point,
overrides, ranks, repeat, deps, out_dir, run_file and args) and one directory per task
with its run file. ``load_sweep`` reads the manifest and every run file that exists, and
joins the point of each task (its grid axes and seed) onto the rows of its tables, so a
notebook groups by an axis instead of walking directories::

    from teamsrl_analysis import load_sweep, scores, aggregate_table
    sw = load_sweep("runs/sweeps/policies")
    sw.tasks                                   # one row per task, with its status
    sw.iterations.groupby(["policy.type", "iteration"]).mean_return.mean()
    aggregate_table(scores(sw, "mean_return", by=["policy.type"]))   # seeds as runs

Public API (signatures are stable):

``load_sweep(path, timeout=30.0) -> Sweep``
    ``path``: the sweep directory (or its ``sweep.json``).

``Sweep``
    ``dir`` (str), ``manifest`` (dict, the parsed sweep.json), ``axes`` (list of the grid
    axis columns, e.g. ``["policy.type"]``; the seed is the column ``seed``),
    ``tasks`` (DataFrame, one row per task: ``task, stage, status, <axes>, seed, ranks,
    repeat, run_file, error, deps``), ``runs`` (dict task id -> Run, the train, generate and
    baseline tasks whose file could be read), ``run(task) -> Run``,
    ``table(name) -> DataFrame`` and the properties ``iterations``, ``episodes``,
    ``steps``, ``calls``, ``budget``, ``samples`` (that table of every run, concatenated,
    with the task columns ``task, stage, task_status, <axes>, seed, ranks, repeat`` in
    front: ``task_status``, since /llm/calls has a ``status`` column of its own),
    ``task_info(ids=None)`` (those columns per task), ``eval`` (one row per
    (generate/baseline task, eval group): task columns,
    ``eval_name``, ``eval_task`` and the metrics flattened with dots, e.g.
    ``rouge_l_nn.mean``).

``final_values(sweep, metric="mean_return", table="iterations", last=1, stage=None,
eval_name="dataset") -> DataFrame``
    One row per task: its task columns and ``metric``, the mean over its last ``last``
    iterations (tables with an ``iteration`` column) or the value of its eval group
    (``table="eval"``).

``scores(data, metric="mean_return", by=None, tasks=None, table="iterations", last=1,
stage=None, statuses=("completed",), eval_name="dataset") -> dict[str, np.ndarray]``
    Variant label -> array (runs, tasks), what ``stats.aggregate_table`` and
    ``plots.ablation_grid`` take. ``data``: a Sweep or a frame with one row per task.

``variant_labels(frame, by) -> pd.Series``
    The label of each row's variant: the value itself for one ``by`` column,
    ``"a=1, b=x"`` for several.

Statuses (``Sweep.tasks.status``) are those of ``teamsrl sweep --status``: the run file's
``status`` attribute, ``killed`` for a ``running`` file whose writer is gone, ``missing``
without a file, ``unreadable`` for a file that cannot be read (its ``error`` says why);
an eval task is ``completed`` when its run file has the group /eval/dataset, else
``missing``. A task that is missing or unreadable never stops the loading.
"""

from __future__ import annotations

import json
import os
from typing import Dict, Iterable, List, Optional, Sequence, Union

import numpy as np
import pandas as pd

from .runfile import TABLES, Run, flatten_metrics, load_run

MANIFEST = "sweep.json"
# Point keys that are columns of their own: the seed under a short name, and the launch
# axes, which the manifest also gives as the task's `ranks` and `repeat` fields.
SEED_KEY = "run.seed"
LAUNCH_KEYS = ("ranks", "repeat")
EVAL_STAGE = "eval"
# The group `teamsrl sweep`'s eval tasks write (src/sweep/runner.cc checks the same one).
SWEEP_EVAL_GROUP = "dataset"
# In joined tables the task status is `task_status`: /llm/calls has a `status` of its own.
TASK_COLUMNS = ("task", "stage", "task_status")
RUN_COLUMNS = ("seed", "ranks", "repeat")


def _value(text):
    """A point value (the manifest keeps them as the strings of the grid) as the number
    or boolean it spells, so axes sort and plot numerically."""
    if not isinstance(text, str):
        return text
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _local_path(path: str, recorded_dir: str, actual_dir: str) -> str:
    """``path`` of the manifest, under ``actual_dir`` when the sweep directory was copied
    or moved since the sweep ran: the manifest records absolute paths under the directory
    it was written in (``recorded_dir``), and the directory being read is the sweep, even
    when the original still exists."""
    if not path or not recorded_dir:
        return path
    recorded = os.path.normpath(os.path.abspath(recorded_dir))
    actual = os.path.normpath(os.path.abspath(actual_dir))
    normal = os.path.normpath(os.path.abspath(path))
    if recorded == actual or not (normal == recorded or normal.startswith(recorded + os.sep)):
        return path
    return os.path.join(actual, os.path.relpath(normal, recorded))


class Sweep:
    """A loaded sweep: manifest, task table, runs and tidy tables (see the module doc)."""

    def __init__(self, path: str, manifest: dict, tasks: pd.DataFrame, axes: List[str],
                 runs: Dict[str, Run]):
        self.dir = path
        self.manifest = manifest
        self.tasks = tasks
        self.axes = axes
        self.runs = runs
        self._tables: Dict[str, pd.DataFrame] = {}

    def __repr__(self):
        counts = self.tasks.status.value_counts().to_dict()
        return f"Sweep({self.dir!r}, {len(self.tasks)} tasks, {counts})"

    def run(self, task: str) -> Run:
        """The Run of train/generate/baseline task ``task`` (KeyError with its status when
        its file could not be read)."""
        if task not in self.runs:
            row = self.tasks[self.tasks.task == task]
            state = row.status.iloc[0] if len(row) else "not in the manifest"
            raise KeyError(f"task {task}: no run ({state})")
        return self.runs[task]

    @property
    def task_columns(self) -> List[str]:
        """The columns joined onto every tidy table: task id, stage, task_status, the axes,
        seed, ranks, repeat."""
        return list(TASK_COLUMNS) + self.axes + list(RUN_COLUMNS)

    def task_info(self, ids: Optional[Sequence[str]] = None) -> pd.DataFrame:
        """The task columns (``task_columns``) of tasks ``ids`` (default all), in that
        order: what the tidy tables join on."""
        info = self.tasks.rename(columns={"status": "task_status"})
        if ids is not None:
            info = info.set_index("task").loc[list(ids)].reset_index()
        return info[self.task_columns].reset_index(drop=True)

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` (a key of ``runfile.TABLES``) of every run, concatenated in task
        order, the task columns in front. Computed once."""
        if name not in TABLES:
            raise ValueError(f"unknown table {name!r}; one of {sorted(TABLES)}")
        if name not in self._tables:
            self._tables[name] = self._concat(name)
        return self._tables[name]

    def _concat(self, name: str) -> pd.DataFrame:
        ids, frames = [], []
        for task in self.tasks.task:
            run = self.runs.get(task)
            if run is not None and name in run:
                ids.append(task)
                frames.append(run[name])
        if not frames:
            return pd.DataFrame(columns=self.task_columns)
        body = pd.concat(frames, ignore_index=True)
        # The task columns by position, once per row, instead of a merge on strings.
        keys = np.repeat(np.arange(len(ids)), [len(f) for f in frames])
        head = self.task_info(ids).iloc[keys].reset_index(drop=True)
        return pd.concat([head, body], axis=1)

    iterations = property(lambda self: self.table("iterations"),
                          doc="/train/iterations of every train task, task columns in front")
    episodes = property(lambda self: self.table("episodes"), doc="/train/episodes, joined")
    steps = property(lambda self: self.table("steps"), doc="/train/steps, joined")
    calls = property(lambda self: self.table("calls"), doc="/llm/calls, joined")
    budget = property(lambda self: self.table("budget"), doc="/budget, joined")
    samples = property(lambda self: self.table("samples"), doc="/dataset/samples, joined")

    @property
    def eval(self) -> pd.DataFrame:  # noqa: A003 - named after the run files' /eval
        """One row per (generate/baseline task, eval group): the task columns,
        ``eval_name``, ``eval_task`` (the sweep's eval task that wrote it, if any) and
        every metric flattened with dots."""
        if "eval" not in self._tables:
            self._tables["eval"] = self._eval_frame()
        return self._tables["eval"]

    def _eval_frame(self) -> pd.DataFrame:
        evaluator = {}
        for _, t in self.tasks[self.tasks.stage == EVAL_STAGE].iterrows():
            for dep in t.deps:
                evaluator[dep] = t.task
        info = self.task_info().set_index("task", drop=False)
        rows = []
        for task in self.tasks.task:
            run = self.runs.get(task)
            for name, metrics in (run.eval.items() if run is not None else ()):
                row = info.loc[task].to_dict()
                row["eval_name"] = name
                row["eval_task"] = evaluator.get(task) if name == SWEEP_EVAL_GROUP else None
                row.update(flatten_metrics(metrics))
                rows.append(row)
        if not rows:
            return pd.DataFrame(columns=self.task_columns + ["eval_name", "eval_task"])
        return pd.DataFrame(rows)


def _read_manifest(path: str):
    if os.path.isdir(path):
        directory, file = path, os.path.join(path, MANIFEST)
    else:
        directory, file = os.path.dirname(os.path.abspath(path)), path
    try:
        with open(file, "rb") as f:
            manifest = json.load(f)
    except OSError as e:
        raise FileNotFoundError(f"{file}: cannot read the sweep manifest ({e.strerror}); "
                                "it is written by `teamsrl sweep GRID --local` or --slurm") \
            from e
    except ValueError as e:
        raise ValueError(f"{file}: not JSON ({e})") from e
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tasks"), list):
        raise ValueError(f"{file}: not a teamsrl sweep manifest (no task list)")
    return directory, manifest


def _axes(tasks: Sequence[dict]) -> List[str]:
    """The grid axes in order of first appearance, without the seed and launch axes."""
    axes: List[str] = []
    for t in tasks:
        for key in (t.get("point") or {}):
            if key not in axes and key != SEED_KEY and key not in LAUNCH_KEYS:
                axes.append(key)
    return axes


def _load_task(t: dict, run_file: str, timeout: float):
    """(status, run or None, error or None) of a train/generate/baseline task."""
    if not run_file or not os.path.exists(run_file):
        return "missing", None, None
    try:
        run = load_run(run_file, timeout=timeout)
    except Exception as e:  # noqa: BLE001 - one bad file must not stop the sweep
        return "unreadable", None, f"{type(e).__name__}: {e}"
    return run.status, run, None


def load_sweep(path: str, timeout: float = 30.0) -> Sweep:
    """Reads the sweep at ``path`` (its directory or its sweep.json): the manifest, the
    status of every task and every readable run file (``load_run``; ``timeout`` per
    file, for live ones). Eval tasks have no file of their own: their status comes from
    the /eval/dataset group of the file they evaluate, their metrics are in
    ``Sweep.eval``."""
    directory, manifest = _read_manifest(path)
    recorded_dir = manifest.get("dir", "")
    axes = _axes(manifest["tasks"])
    runs: Dict[str, Run] = {}
    rows = []
    for t in manifest["tasks"]:
        run_file = _local_path(t.get("run_file", ""), recorded_dir, directory)
        status, error = "missing", None
        if t.get("stage") != EVAL_STAGE:
            status, run, error = _load_task(t, run_file, timeout)
            if run is not None:
                runs[t["id"]] = run
        point = t.get("point") or {}
        row = {"task": t["id"], "stage": t.get("stage"), "status": status}
        row.update({axis: _value(point[axis]) if axis in point else None for axis in axes})
        row["seed"] = _value(point[SEED_KEY]) if SEED_KEY in point else None
        row["ranks"] = int(t.get("ranks", 0))
        row["repeat"] = int(t.get("repeat", 0))
        row["run_file"] = run_file
        row["error"] = error
        row["deps"] = tuple(t.get("deps", ()))
        rows.append(row)
    tasks = pd.DataFrame(rows)
    _eval_status(tasks, runs)
    return Sweep(directory, manifest, tasks, axes, runs)


def _eval_status(tasks: pd.DataFrame, runs: Dict[str, Run]) -> None:
    """Sets each eval task's status from the run of the task it evaluates (by its
    dependency; the run file is the same)."""
    by_file = {run.path: run for run in runs.values()}
    for i in tasks.index[tasks.stage == EVAL_STAGE]:
        run = None
        for dep in tasks.at[i, "deps"]:
            run = runs.get(dep, run)
        run = run or by_file.get(tasks.at[i, "run_file"])
        done = run is not None and SWEEP_EVAL_GROUP in run.eval
        tasks.at[i, "status"] = "completed" if done else "missing"


# --------------------------------------------------------------------------- scores


def variant_labels(frame: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Each row's variant label: ``str(value)`` for one ``by`` column, ``"a=1, b=x"`` for
    several (the order of ``by``; a column the row has no value in is left out, ``-``
    when none has one)."""
    by = list(by)
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise ValueError(f"no column(s) {missing} to group by; columns: {list(frame.columns)}")
    if len(by) == 1:
        return frame[by[0]].map(lambda v: "-" if _absent(v) else str(v))
    # An axis a task does not have (a baseline's policy.type) is left out of its label.
    return frame[by].apply(lambda r: ", ".join(f"{c}={r[c]}" for c in by if not _absent(r[c]))
                           or "-", axis=1)


def _absent(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def final_values(sweep: Sweep, metric: str = "mean_return", table: str = "iterations",
                 last: int = 1, stage: Optional[str] = None,
                 eval_name: str = SWEEP_EVAL_GROUP) -> pd.DataFrame:
    """One row per task: its task columns and ``metric``.

    For a table with an ``iteration`` column (iterations, episodes, steps, calls) the
    value is the mean of ``metric`` over the rows of the task's last ``last`` iterations
    (``last=1``: the final iteration; a larger ``last`` smooths a noisy curve). For
    ``table="eval"`` it is the metric of the task's eval group ``eval_name``. ``stage``
    keeps only tasks of that stage. Tasks without rows are left out."""
    if not isinstance(last, (int, np.integer)) or last < 1:
        raise ValueError(f"last must be a positive integer, got {last!r}")
    frame = sweep.eval if table == "eval" else sweep.table(table)
    if table == "eval":
        frame = frame[frame.eval_name == eval_name]
    elif "iteration" not in frame.columns and len(frame):
        raise ValueError(f"table {table!r} has no iteration column; use one of iterations, "
                         "episodes, steps, calls or eval")
    if stage is not None:
        frame = frame[frame.stage == stage]
    if metric not in frame.columns:
        raise ValueError(f"no column {metric!r} in {table}; columns: {list(frame.columns)}")
    if table != "eval" and len(frame):
        top = frame.groupby("task", sort=False).iteration.transform("max")
        frame = frame[frame.iteration > top - last]
    values = frame.groupby("task", sort=False)[metric].mean()
    info = sweep.task_info(values.index)
    info[metric] = values.to_numpy()
    return info


def scores(data: Union[Sweep, pd.DataFrame], metric: str = "mean_return",
           by: Optional[Sequence[str]] = None, tasks: Optional[str] = None,
           table: str = "iterations", last: int = 1, stage: Optional[str] = None,
           statuses: Optional[Iterable[str]] = ("completed",),
           eval_name: str = SWEEP_EVAL_GROUP) -> Dict[str, np.ndarray]:
    """Variant label -> scores of shape (runs, tasks): the input of
    ``stats.aggregate_table`` and ``plots.ablation_grid``.

    ``data``: a Sweep (its ``final_values(metric, table, last, stage, eval_name)`` are
    used) or a DataFrame with one row per run and task (e.g. ``final_values`` output or
    ``sweep.eval``). ``by``: the columns whose values make a variant (default: the
    sweep's axes). ``tasks``: a column whose values become the task dimension (e.g.
    ``"env.episode_length"``); default one task. Rows of a variant are its runs, ordered
    by seed, repeat, ranks, task id; with ``tasks`` they are matched across tasks by
    every other column that is neither in ``by`` nor the task id, and a run that lacks a
    task is an error. ``statuses``: keep only tasks with these statuses (default
    completed ones, so a killed run's partial curve does not count; None keeps all).
    Variants come in order of first appearance."""
    if isinstance(data, Sweep):
        by = list(data.axes if by is None else by)
        frame = final_values(data, metric, table, last, stage, eval_name)
    else:
        if by is None:
            raise ValueError("by is required for a DataFrame (the columns naming a variant)")
        by = list(by)
        frame = data if stage is None or "stage" not in data else data[data.stage == stage]
    if metric not in frame.columns:
        raise ValueError(f"no column {metric!r}; columns: {list(frame.columns)}")
    status = "task_status" if "task_status" in frame.columns else "status"
    if statuses is not None and status in frame.columns:
        frame = frame[frame[status].isin(list(statuses))]
    if not len(frame):
        raise ValueError(f"no {metric!r} values to score (statuses {statuses}, stage {stage})")
    frame = frame.assign(_variant=variant_labels(frame, by).to_numpy())
    order = [c for c in ("seed", "repeat", "ranks", "task") if c in frame.columns]
    out = {}
    for variant in pd.unique(frame._variant):
        group = frame[frame._variant == variant]
        out[variant] = _variant_scores(group, metric, tasks, by, order, variant)
    return out


def _variant_scores(group: pd.DataFrame, metric: str, tasks: Optional[str], by: List[str],
                    order: List[str], variant: str) -> np.ndarray:
    if tasks is None:
        group = group.sort_values(order) if order else group
        return group[metric].to_numpy(np.float64)[:, np.newaxis]
    if tasks not in group.columns:
        raise ValueError(f"no column {tasks!r} for the task dimension")
    keys = [c for c in ("seed", "repeat", "ranks") if c in group.columns and c not in by
            and c != tasks]
    if not keys:
        raise ValueError("with tasks=..., runs are matched by seed/repeat/ranks columns; "
                         "there are none")
    wide = group.pivot_table(index=keys, columns=tasks, values=metric, aggfunc="mean")
    if wide.isna().any().any():
        holes = [(run, col) for run, row in wide.iterrows() for col in wide.columns
                 if np.isnan(row[col])]
        raise ValueError(f"variant {variant!r}: run(s) without a value for some task "
                         f"(({', '.join(keys)}), {tasks}): {holes[:5]}")
    return wide.sort_index().to_numpy(np.float64)
