"""Read teamsrl run files (HDF5, schema version 1) into pandas.

    from teamsrl_analysis import load_run
    run = load_run("runs/quickstart/run.h5")
    run.iterations.plot(x="iteration", y="mean_return")
"""

from .runfile import (SCHEMA_VERSION, TABLES, Rows, Run, load_run, read_commit, read_consistent,
                      read_table)

__all__ = ["SCHEMA_VERSION", "TABLES", "Rows", "Run", "load_run", "read_commit",
           "read_consistent", "read_table"]
