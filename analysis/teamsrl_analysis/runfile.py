"""Run files as pandas DataFrames.

A run file's tables are 1-D compound datasets, so ``pandas.DataFrame(f[path][:])`` is the
whole reader. This module adds the two conventions of the schema (src/io/run_schema.h):

* enum columns are integer codes; the dataset attribute ``<column>_names`` lists the names
  (code i -> names[i]). They become pandas categoricals.
* ``*_id`` columns (``text_id``, ``reply_id``, ``error_id``, ``instruction_id``,
  ``response_id``) index ``/text/strings``; -1 means none. ``Run.text`` looks them up.

Flag columns (``failed``, ``cached``, ``eliminated``) become booleans.

Live files: the writer publishes a commit record beside the run file (``run.h5.commit``,
JSON, replaced whole by rename) around every change (src/io/run_commit.h). ``load_run``
and ``read_consistent`` read only while no change is under way, only the committed rows,
and check afterwards that no change started meanwhile (else they read again), so they
never see a half-written table of a running job.
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import Callable, Iterable, Optional, Union

import h5py
import numpy as np
import pandas as pd

SCHEMA_VERSION = 1

TABLES = {
    "iterations": "/train/iterations",
    "episodes": "/train/episodes",
    "steps": "/train/steps",
    "calls": "/llm/calls",
    "budget": "/budget",
    "samples": "/dataset/samples",
}
TEXT_PATH = "/text/strings"
POLICY_GROUP = "/policy"
FLAG_COLUMNS = ("failed", "cached", "eliminated")
COMMIT_SUFFIX = ".commit"
# Commit record key of each table's committed rows (src/io/run_commit.cc).
_ROW_KEYS = {
    "/train/iterations": "iterations",
    "/train/episodes": "episodes",
    "/train/steps": "steps",
    "/llm/calls": "calls",
    "/budget": "budget",
    "/dataset/samples": "samples",
    TEXT_PATH: "texts",
}
_LEGACY_ATTEMPTS = 3  # retries for files without a commit record, as readers did before


def _open(path: str) -> h5py.File:
    # The writer takes no HDF5 file lock (so a live run can be read); do not take one
    # either, which also works on file systems without flock (some Lustre/NFS mounts).
    try:
        return h5py.File(path, "r", locking=False)
    except TypeError:  # h5py < 3.5 has no `locking`
        return h5py.File(path, "r")


def read_commit(path: str) -> Optional[dict]:
    """The commit record of the run file at ``path`` (a dict: token, epoch, seq, state,
    rows, host, pid), or None when there is none or it does not parse."""
    try:
        with open(path + COMMIT_SUFFIX, "rb") as f:
            record = json.loads(f.read(64 * 1024))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("format") != "teamsrl_commit" or \
            record.get("version") != 1 or record.get("state") not in ("writing", "idle", "closed") \
            or not isinstance(record.get("rows"), dict):
        return None
    return record


def _writer_known_dead(record: dict) -> bool:
    # Only provable on the writer's host: its pid is gone.
    if record.get("host") != socket.gethostname() or record.get("pid", 0) in (0, os.getpid()):
        return False
    try:
        os.kill(int(record["pid"]), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False
    return False


class Rows:
    """The rows a reader may read in one consistent view: ``rows(path)`` is the committed
    row count of the table (or strings of /text/strings) at ``path``, None for all (a
    file without commit record). ``commit`` is the record the view is consistent with."""

    def __init__(self, commit: Optional[dict]):
        self.commit = commit

    def __call__(self, path: str) -> Optional[int]:
        if self.commit is None or path not in _ROW_KEYS:
            return None
        return int(self.commit["rows"][_ROW_KEYS[path]])


def read_consistent(path: str, read: Callable[[h5py.File, Rows], object],
                    timeout: float = 30.0, stale_after: float = 10.0):
    """Returns ``read(f, rows)`` computed on a consistent view of the run file at ``path``,
    also while a job writes it. ``f`` is the open ``h5py.File``; read at most ``rows(p)``
    rows of table ``p`` (``f[p][:rows(p)]``). ``read`` may be called more than once (a
    read that overlapped a flush is repeated), so it must start afresh each time and not
    keep ``f`` or its objects. Keep no other handle to the file open in this process (HDF5
    would share its stale cache).

    Waits while the writer is in the middle of a change. A change that stays unfinished for
    ``stale_after`` seconds (or at once when the writer ran on this host and is gone) was
    interrupted by the writer's death: the rows committed before it are read. Raises what
    ``read`` raised on a quiescent file, or TimeoutError after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    waited_on, waiting_since = None, 0.0
    pause = 0.001
    legacy_attempts = 0
    while True:
        before = read_commit(path)
        gone = False
        if before is not None and before["state"] == "writing":
            gone = _writer_known_dead(before)
            if not gone:
                if before != waited_on:
                    waited_on, waiting_since = before, time.monotonic()
                gone = time.monotonic() - waiting_since >= stale_after
            if not gone:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"timed out after {timeout} s waiting for the writer of "
                                       f"{path} (pid {before.get('pid')} on {before.get('host')}) "
                                       "to finish a change")
                time.sleep(pause)
                pause = min(pause * 2, 0.01)  # a change takes milliseconds
                continue
        pause = 0.001
        error, result = None, None
        try:
            with _open(path) as f:
                commit = before
                if commit is not None and _decode(f.attrs.get("commit_token")) != commit.get("token"):
                    commit = None  # the record of another file (this one was replaced)
                result = read(f, Rows(commit))
        except Exception as e:  # noqa: BLE001 - judged below: retried or re-raised
            error = e
        after = read_commit(path)
        if before == after:
            if error is None:
                return result
            if before is None and isinstance(error, (OSError, KeyError)) and \
                    legacy_attempts + 1 < _LEGACY_ATTEMPTS and time.monotonic() < deadline:
                legacy_attempts += 1
                time.sleep(0.05)
                continue
            if gone:
                raise RuntimeError(f"{path}: {error} (the writer, pid {before.get('pid')} on "
                                   f"{before.get('host')}, stopped in the middle of a change)") \
                    from error
            raise error
        if time.monotonic() >= deadline:
            if error is not None:
                raise error
            raise TimeoutError(f"{path} changed during every read for {timeout} s")
        time.sleep(pause)


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [_decode(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _read_raw(f: h5py.File, path: str, rows: Optional[int]):
    """The first ``rows`` rows of table ``path`` as a numpy array, and its enum tables."""
    dataset = f[path]
    if rows is not None and dataset.shape[0] < rows:
        raise ValueError(f"{path} has {dataset.shape[0]} rows, fewer than the {rows} committed")
    names = {key[: -len("_names")]: _decode(value) for key, value in dataset.attrs.items()
             if key.endswith("_names")}
    return dataset[:rows], names


def _to_frame(array: np.ndarray, enum_names: dict, categorical: bool) -> pd.DataFrame:
    frame = pd.DataFrame(array)
    if not categorical:
        return frame
    for column, names in enum_names.items():
        if column not in frame.columns:
            continue
        codes = frame[column].to_numpy()
        if len(names) and len(set(names)) == len(names) and \
                ((codes >= -1) & (codes < len(names))).all():
            frame[column] = pd.Categorical.from_codes(codes, categories=names)
    for column in FLAG_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype(bool)
    return frame


def read_table(f: h5py.File, path: str, categorical: bool = True,
               rows: Optional[int] = None) -> pd.DataFrame:
    """One table of an open run file as a DataFrame (enums as categoricals); ``rows``: only
    the first ``rows`` rows (a live file's committed rows, see ``read_consistent``)."""
    return _to_frame(*_read_raw(f, path, rows), categorical)


class Run(dict):
    """The tables of a run file by name (``run["steps"]`` or ``run.steps``), plus:

    * ``attrs``: root attributes (status, config_yaml, seed, world_size, ...)
    * ``text(i)``: string ``i`` of /text/strings (a list for a list of ids; None for -1)
    * ``policy(name)``: (parameters as a float64 array, attribute dict) of /policy/NAME
    * ``policies``: the policies under /policy (their ``*_obs_filter`` companions, the
      observation filters saved with them, are in ``obs_filters``)
    * ``commit``: the commit record the tables are consistent with (None for a file without
      one): ``commit["epoch"]`` changes when the run was resumed from a checkpoint, which
      may drop rows; within an epoch a later load has at least these rows
    """

    def __init__(self, path: str, tables: dict, attrs: dict, policies: list,
                 commit: Optional[dict] = None, text_count: Optional[int] = None):
        super().__init__(tables)
        self.path = path
        self.attrs = attrs
        self.policies = policies
        self.commit = commit
        self._text_count = text_count
        self._texts = None

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def _same_writer_epoch(self, rows: Rows):
        if self.commit is None:
            return
        if rows.commit is None or (rows.commit["token"], rows.commit["epoch"]) != (
                self.commit["token"], self.commit["epoch"]):
            raise RuntimeError(f"{self.path} was resumed or replaced since load_run "
                               "(its rows may differ): load it again")

    @property
    def texts(self) -> np.ndarray:
        """The strings of /text/strings the tables refer to (read once, on first use)."""
        if self._texts is None:
            def read(f, rows):
                self._same_writer_epoch(rows)
                if TEXT_PATH not in f:
                    return np.array([], object)
                return f[TEXT_PATH].asstr()[:self._text_count]
            self._texts = read_consistent(self.path, read)
        return self._texts

    def text(self, ids: Union[int, Iterable[int]]):
        def one(i):
            i = int(i)
            return None if i < 0 else str(self.texts[i])

        if np.ndim(ids) == 0:
            return one(ids)
        return [one(i) for i in ids]

    def policy(self, name: str = "final"):
        def read(f, rows):
            dataset = f[f"{POLICY_GROUP}/{name}"]
            return dataset[:].astype(np.float64), {k: _decode(v) for k, v in dataset.attrs.items()}
        return read_consistent(self.path, read)


def load_run(path: str, categorical: bool = True, timeout: float = 30.0) -> Run:
    """Reads every table of the run file at ``path`` into DataFrames.

    Works on finished runs, live runs (a consistent view of the committed rows; load
    again to see new rows) and runs that were killed (everything flushed before the kill
    is there; attrs["status"] stays "running"). ``timeout``: see ``read_consistent``.
    """
    def read(f, rows):
        attrs = {k: _decode(v) for k, v in f.attrs.items()}
        if "schema_version" not in attrs:
            raise ValueError(f"{path} is an HDF5 file but not a teamsrl run file "
                             "(no schema_version attribute)")
        if attrs["schema_version"] > SCHEMA_VERSION:
            raise ValueError(f"{path} has schema_version {attrs['schema_version']}; "
                             f"this reader knows version {SCHEMA_VERSION}")
        # Only the HDF5 reads here, the DataFrames after: the shorter the read, the less
        # often a flush overlaps it and it has to be repeated.
        tables = {name: _read_raw(f, path_, rows(path_))
                  for name, path_ in TABLES.items() if path_ in f}
        names = sorted(f[POLICY_GROUP].keys()) if POLICY_GROUP in f else []
        texts = rows(TEXT_PATH)
        if texts is None:
            texts = f[TEXT_PATH].shape[0] if TEXT_PATH in f else 0
        elif TEXT_PATH in f and f[TEXT_PATH].shape[0] < texts:
            raise ValueError(f"{TEXT_PATH} has {f[TEXT_PATH].shape[0]} strings, fewer than "
                             f"the {texts} committed")
        return attrs, tables, names, rows.commit, texts

    attrs, raw, names, commit, texts = read_consistent(path, read, timeout)
    tables = {name: _to_frame(array, enum_names, categorical)
              for name, (array, enum_names) in raw.items()}
    run = Run(path, tables, attrs, [n for n in names if not n.endswith("_obs_filter")],
              commit, texts)
    run.obs_filters = [n for n in names if n.endswith("_obs_filter")]
    return run
