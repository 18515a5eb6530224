"""Run files as pandas DataFrames.

A run file's tables are 1-D compound datasets, so ``pandas.DataFrame(f[path][:])`` is the
whole reader. This module adds the two conventions of the schema (src/io/run_schema.h):

* enum columns are integer codes; the dataset attribute ``<column>_names`` lists the names
  (code i -> names[i]). They become pandas categoricals.
* ``*_id`` columns (``text_id``, ``reply_id``, ``error_id``, ``instruction_id``,
  ``response_id``) index ``/text/strings``; -1 means none. ``Run.text`` looks them up.

Flag columns (``failed``, ``cached``, ``eliminated``) become booleans.
"""

from __future__ import annotations

from typing import Iterable, Union

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


def _open(path: str) -> h5py.File:
    # The writer takes no HDF5 file lock (so a live run can be read); do not take one
    # either, which also works on file systems without flock (some Lustre/NFS mounts).
    try:
        return h5py.File(path, "r", locking=False)
    except TypeError:  # h5py < 3.5 has no `locking`
        return h5py.File(path, "r")


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [_decode(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_table(f: h5py.File, path: str, categorical: bool = True) -> pd.DataFrame:
    """One table of an open run file as a DataFrame (enums as categoricals)."""
    dataset = f[path]
    frame = pd.DataFrame(dataset[:])
    if not categorical:
        return frame
    for key, names in dataset.attrs.items():
        column = key[: -len("_names")] if key.endswith("_names") else None
        if column not in frame.columns:
            continue
        names = _decode(names)
        codes = frame[column].to_numpy()
        if len(names) and len(set(names)) == len(names) and \
                ((codes >= -1) & (codes < len(names))).all():
            frame[column] = pd.Categorical.from_codes(codes, categories=names)
    for column in FLAG_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype(bool)
    return frame


class Run(dict):
    """The tables of a run file by name (``run["steps"]`` or ``run.steps``), plus:

    * ``attrs``: root attributes (status, config_yaml, seed, world_size, ...)
    * ``text(i)``: string ``i`` of /text/strings (a list for a list of ids; None for -1)
    * ``policy(name)``: (parameters as a float64 array, attribute dict) of /policy/NAME
    * ``policies``: the policies under /policy (their ``*_obs_filter`` companions, the
      observation filters saved with them, are in ``obs_filters``)
    """

    def __init__(self, path: str, tables: dict, attrs: dict, policies: list):
        super().__init__(tables)
        self.path = path
        self.attrs = attrs
        self.policies = policies
        self._texts = None

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def texts(self) -> np.ndarray:
        """All of /text/strings (read once, on first use)."""
        if self._texts is None:
            with _open(self.path) as f:
                self._texts = f[TEXT_PATH].asstr()[:] if TEXT_PATH in f else np.array([], object)
        return self._texts

    def text(self, ids: Union[int, Iterable[int]]):
        def one(i):
            i = int(i)
            return None if i < 0 else str(self.texts[i])

        if np.ndim(ids) == 0:
            return one(ids)
        return [one(i) for i in ids]

    def policy(self, name: str = "final"):
        with _open(self.path) as f:
            dataset = f[f"{POLICY_GROUP}/{name}"]
            return dataset[:].astype(np.float64), {k: _decode(v) for k, v in dataset.attrs.items()}


def load_run(path: str, categorical: bool = True) -> Run:
    """Reads every table of the run file at ``path`` into DataFrames.

    Works on finished runs, live runs (re-load to see new rows) and runs that were
    killed (everything flushed before the kill is there; attrs["status"] stays "running").
    """
    with _open(path) as f:
        attrs = {k: _decode(v) for k, v in f.attrs.items()}
        if "schema_version" not in attrs:
            raise ValueError(f"{path} is an HDF5 file but not a teamsrl run file "
                             "(no schema_version attribute)")
        if attrs["schema_version"] > SCHEMA_VERSION:
            raise ValueError(f"{path} has schema_version {attrs['schema_version']}; "
                             f"this reader knows version {SCHEMA_VERSION}")
        tables = {name: read_table(f, path_, categorical)
                  for name, path_ in TABLES.items() if path_ in f}
        names = sorted(f[POLICY_GROUP].keys()) if POLICY_GROUP in f else []
    run = Run(path, tables, attrs, [n for n in names if not n.endswith("_obs_filter")])
    run.obs_filters = [n for n in names if n.endswith("_obs_filter")]
    return run
