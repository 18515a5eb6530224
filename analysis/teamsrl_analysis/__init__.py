"""Read teamsrl run files (HDF5, schema version 1) into pandas.

    from teamsrl_analysis import load_run
    run = load_run("runs/quickstart/run.h5")
    run.iterations.plot(x="iteration", y="mean_return")

and aggregate scores of several runs with bootstrap confidence intervals (stats.py):

    from teamsrl_analysis import aggregate_table
    aggregate_table({"ours": scores_a, "baseline": scores_b})   # scores: (runs, tasks)
"""

from .runfile import (SCHEMA_VERSION, TABLES, Rows, Run, load_run, read_commit, read_consistent,
                      read_table)
from .stats import (aggregate_table, aggregates, bootstrap_ci, iqm, mean, median,
                    optimality_gap, performance_profile, performance_profile_ci,
                    probability_of_improvement, probability_of_improvement_ci)

__all__ = ["SCHEMA_VERSION", "TABLES", "Rows", "Run", "load_run", "read_commit",
           "read_consistent", "read_table",
           # stats
           "aggregate_table", "aggregates", "bootstrap_ci", "iqm", "mean", "median",
           "optimality_gap", "performance_profile", "performance_profile_ci",
           "probability_of_improvement", "probability_of_improvement_ci"]
