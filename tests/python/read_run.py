#!/usr/bin/python3
"""Checks a run file against expectations, reading it the way a notebook would
(h5py -> pandas through analysis/teamsrl_analysis).

    read_run.py RUN.h5 EXPECTATIONS

EXPECTATIONS is a JSON object, given inline or as the path of a .json file:

    {
      "attrs":    {"status": "completed", "schema_version": 1},   # root attributes, exact
      "rows":     {"iterations": 3, "steps": 6},                  # table lengths
      "columns":  {"steps.action": ["deepening", ...],            # whole columns; floats
                   "iterations.mean_return": [0.0, 0.25, 0.5]},   #   compared with rel 1e-12
      "text":     {"0": "instruction 0"},                         # /text/strings by id
      "policies": {"final": {"values": [0.5], "attrs": {"type": "categorical"}}}
    }

Every key is optional. Exits 1 with one line per mismatch.
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "analysis"))
from teamsrl_analysis import load_run  # noqa: E402


def _same(expected, actual):
    if isinstance(expected, float) or isinstance(actual, float):
        return math.isclose(float(expected), float(actual), rel_tol=1e-12, abs_tol=1e-300)
    return expected == actual


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def check(path, expected):
    """Returns a list of mismatch descriptions (empty when the file matches)."""
    run = load_run(path)
    errors = []
    for key, want in expected.get("attrs", {}).items():
        got = run.attrs.get(key, "<missing>")
        if not _same(want, got):
            errors.append(f"attr {key}: expected {want!r}, got {got!r}")
    for table, want in expected.get("rows", {}).items():
        got = len(run[table]) if table in run else "<missing table>"
        if got != want:
            errors.append(f"{table}: expected {want} rows, got {got}")
    for name, want in expected.get("columns", {}).items():
        table, column = name.split(".", 1)
        if table not in run or column not in run[table].columns:
            errors.append(f"{name}: missing")
            continue
        got = [_plain(v) for v in run[table][column].tolist()]
        if len(got) != len(want) or not all(_same(w, g) for w, g in zip(want, got)):
            errors.append(f"{name}: expected {want!r}, got {got!r}")
    for text_id, want in expected.get("text", {}).items():
        got = run.text(int(text_id))
        if got != want:
            errors.append(f"text {text_id}: expected {want!r}, got {got!r}")
    for name, want in expected.get("policies", {}).items():
        if name not in run.policies:
            errors.append(f"policy {name}: missing (have {run.policies})")
            continue
        values, attrs = run.policy(name)
        if "values" in want and values.tolist() != want["values"]:
            errors.append(f"policy {name}: expected {want['values']}, got {values.tolist()}")
        if "attrs" in want and attrs != want["attrs"]:
            errors.append(f"policy {name} attrs: expected {want['attrs']}, got {attrs}")
    return errors


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    spec = argv[2]
    if os.path.isfile(spec):
        with open(spec, encoding="utf-8") as f:
            spec = f.read()
    errors = check(argv[1], json.loads(spec))
    for error in errors:
        print(f"{argv[1]}: {error}", file=sys.stderr)
    if not errors:
        print(f"{argv[1]}: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
