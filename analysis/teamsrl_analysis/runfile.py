"""Run files as pandas DataFrames.

A run file's tables are 1-D compound datasets, so ``pandas.DataFrame(f[path][:])`` is the
whole reader. This module adds the two conventions of the schema (src/io/run_schema.h):

* enum columns are integer codes; the dataset attribute ``<column>_names`` lists the names
  (code i -> names[i]). They become pandas categoricals.
* ``*_id`` columns (``text_id``, ``reply_id``, ``error_id``, ``instruction_id``,
  ``response_id``) index ``/text/strings``; -1 means none. ``Run.text`` looks them up.

Flag columns (``failed``, ``cached``, ``eliminated``) become booleans.

Every command writes the same tables (a ``generate.h5`` or ``baseline.h5`` has empty
training tables and a filled /dataset/samples), so one reader serves all three kinds;
``Run.kind`` says which command wrote the file and ``Run.eval`` holds the metrics that
``teamsrl eval --run`` stored under /eval.

Live files: the writer publishes a commit record beside the run file (``run.h5.commit``,
JSON, replaced whole by rename) around every change (src/io/run_commit.h). ``load_run``
and ``read_consistent`` read only while no change is under way, only the committed rows,
and check afterwards that no change started meanwhile (else they read again), so they
never see a half-written table of a running job.
"""

from __future__ import annotations

import io
import json
import os
import socket
import struct
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
EVAL_GROUP = "/eval"
KINDS = ("train", "generate", "baseline")
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


UNDO_SUFFIX = ".undo"
_UNDO_MAGIC = b"TSRLUNDO"
_FNV_OFFSET, _FNV_PRIME, _MASK64 = 0xcbf29ce484222325, 0x100000001b3, (1 << 64) - 1


def _fnv1a(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK64
    return h


def committed_image(path: str) -> Optional[bytes]:
    """The bytes of the run file at ``path`` as of its last commit, when its writer died in
    the middle of a change and left a hot undo journal ``<path>.undo``; None otherwise
    (the file on disk is then its committed state). This reads the journal the way the
    writer's file driver does (src/io/undo_journal.h, docs/architecture.md s.7): old bytes
    put back over the changed ranges, the file cut to its committed size. Nothing on disk
    is changed; the next writer (``teamsrl train --resume``) rolls the file back itself."""
    try:
        with open(path + UNDO_SUFFIX, "rb") as f:
            journal = f.read()
        inode = os.stat(path).st_ino
    except OSError:
        return None
    if len(journal) < 48 or journal[:8] != _UNDO_MAGIC:
        return None  # empty: the last change was committed
    version, journal_inode, base, head, check = struct.unpack_from("<5Q", journal, 8)
    if version != 1 or check != _fnv1a(journal[:40]) or journal_inode != inode:
        return None
    records, at = [], 48
    while at + 24 <= len(journal):
        address, length = struct.unpack_from("<2Q", journal, at)
        if length > len(journal) - at - 24:
            break  # cut short: its overwrite never began
        (check,) = struct.unpack_from("<Q", journal, at + 16 + length)
        if check != _fnv1a(journal[at:at + 16 + length]):
            break
        records.append((address, journal[at + 16:at + 16 + length]))
        at += 24 + length
    with open(path, "rb") as f:
        image = bytearray(f.read(base))
    image.extend(bytes(base - len(image)))
    for address, old in records:
        image[address:address + len(old)] = old
    if _fnv1a(bytes(image[:4096])) != head:
        return None  # a journal of a file that was replaced since
    return bytes(image)


def _open(path: str) -> h5py.File:
    image = committed_image(path)
    if image is not None:
        return h5py.File(io.BytesIO(image), "r")
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


def file_status(path: str, timeout: float = 30.0) -> str:
    """The state of the run file at ``path`` as one word, as ``teamsrl sweep --status``
    reports it: its root ``status`` attribute (``running``, ``completed``, ``failed``,
    ``budget_exhausted``, ``preempted``), ``killed`` for a ``running`` file whose writer is
    known to be gone (same host, pid gone), ``missing`` when there is no file and
    ``unreadable`` when it is not a readable run file."""
    if not os.path.exists(path):
        return "missing"
    try:
        status = read_consistent(path, lambda f, rows: _decode(f.attrs["status"]), timeout)
    except Exception:  # noqa: BLE001 - any failure to read means the same to a caller
        return "unreadable"
    return _live_status(path, str(status))


def _live_status(path: str, status: str) -> str:
    # A killed writer cannot change its file's status: ask its commit record.
    if status == "running":
        record = read_commit(path)
        if record is not None and _writer_known_dead(record):
            return "killed"
    return status


def run_kind(attrs: dict) -> str:
    """``train``, ``generate`` or ``baseline``: the command that wrote a run file with root
    attributes ``attrs``, or ``unknown``.

    The file records no kind of its own; like ``teamsrl diff`` this reads the subcommand
    off the recorded command line (its first word after the program that is not an
    option), then falls back on the sweep stage and on attributes only one command
    writes."""
    words = str(attrs.get("command", "")).split()
    for word in words[1:]:
        if not word.startswith("-"):
            if word in KINDS:
                return word
            break
    if attrs.get("sweep_stage") in KINDS:
        return attrs["sweep_stage"]
    if "policy_file" in attrs:
        return "generate"
    return "unknown"


def _read_eval(f: h5py.File) -> dict:
    """Metrics of every group under /eval, by name: the group's ``json`` attribute parsed,
    or, without one, its flattened attributes (``a.b`` keys) nested again."""
    if EVAL_GROUP not in f:
        return {}
    out = {}
    for name, group in f[EVAL_GROUP].items():
        if not isinstance(group, h5py.Group):
            continue
        attrs = {k: _decode(v) for k, v in group.attrs.items()}
        if isinstance(attrs.get("json"), str):
            try:
                out[name] = json.loads(attrs["json"])
                continue
            except ValueError:
                pass
        attrs.pop("json", None)
        out[name] = _unflatten(attrs)
    return out


def _unflatten(flat: dict) -> dict:
    nested: dict = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def flatten_metrics(metrics: dict, prefix: str = "") -> dict:
    """A nested metrics dict (``Run.eval[name]``) as one level with dotted keys, as
    ``teamsrl eval`` flattens it into attributes: ``{"rouge_l_nn.mean": 0.7, ...}``.
    n/a metrics (None) stay None; an empty dict (no elimination reasons) leaves no key."""
    flat = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_metrics(value, name + "."))
        else:
            flat[name] = value
    return flat


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
    """The structured ``array`` as a DataFrame, one contiguous array per column.

    Built column by column without consolidation (``copy=False`` keeps one block per
    column): ``pd.DataFrame(array)`` copies every field twice (out of the records, then
    into per-dtype blocks), which for 2M calls took 3x the time and 2x the memory."""
    columns = {}
    for name in array.dtype.names:
        field = array[name]
        names = enum_names.get(name) if categorical else None
        if names is not None and _codes_fit(field, names):
            columns[name] = pd.Categorical.from_codes(field, categories=names)
        elif categorical and name in FLAG_COLUMNS:
            columns[name] = field.astype(bool)
        else:
            columns[name] = np.ascontiguousarray(field)
    return pd.DataFrame(columns, copy=False)


def _codes_fit(codes: np.ndarray, names) -> bool:
    # Codes outside the names (a file newer than its enum table) stay integers.
    return bool(len(names)) and len(set(names)) == len(names) and \
        bool(((codes >= -1) & (codes < len(names))).all())


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
    * ``kind``: ``train``, ``generate`` or ``baseline`` (``run_kind``)
    * ``eval``: the metrics ``teamsrl eval --run`` wrote, name -> nested dict (the
      group's JSON); ``{}`` when there are none
    * ``status``: ``attrs["status"]``, but ``killed`` for a running file whose writer is
      gone (``file_status``)
    """

    def __init__(self, path: str, tables: dict, attrs: dict, policies: list,
                 commit: Optional[dict] = None, text_count: Optional[int] = None,
                 eval: Optional[dict] = None):  # noqa: A002 - the group's name
        super().__init__(tables)
        self.path = path
        self.attrs = attrs
        self.policies = policies
        self.commit = commit
        self.eval = dict(eval or {})
        self.kind = run_kind(attrs)
        self._text_count = text_count
        self._texts = None

    @property
    def status(self) -> str:
        return _live_status(self.path, str(self.attrs.get("status", "unknown")))

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

    Reads ``run.h5`` of ``train`` as well as ``generate.h5`` / ``baseline.h5`` (their
    /eval metrics in ``run.eval``). Works on finished runs, live runs (a consistent view
    of the committed rows; load again to see new rows) and runs that were killed
    (everything flushed before the kill is there; attrs["status"] stays "running",
    ``run.status`` says "killed"). ``timeout``: see ``read_consistent``.
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
        return attrs, tables, names, rows.commit, texts, _read_eval(f)

    attrs, raw, names, commit, texts, evals = read_consistent(path, read, timeout)
    tables = {}
    for name in list(raw):
        # Popped, so each table's records are freed once its frame is built: the peak is
        # the records of all tables plus one table's frame, not both of every table.
        array, enum_names = raw.pop(name)
        tables[name] = _to_frame(array, enum_names, categorical)
        del array
    run = Run(path, tables, attrs, [n for n in names if not n.endswith("_obs_filter")],
              commit, texts, evals)
    run.obs_filters = [n for n in names if n.endswith("_obs_filter")]
    return run
