"""Read teamsrl run files (HDF5, schema version 1) into pandas.

    from teamsrl_analysis import load_run
    run = load_run("runs/quickstart/run.h5")
    run.iterations.plot(x="iteration", y="mean_return")

and aggregate scores of several runs with bootstrap confidence intervals (stats.py):

    from teamsrl_analysis import aggregate_table
    aggregate_table({"ours": scores_a, "baseline": scores_b})   # scores: (runs, tasks)

sweeps as tidy tables (sweep.py) and figures (plots.py):

    from teamsrl_analysis import load_sweep, scores, plots
    sw = load_sweep("runs/sweeps/policies")
    plots.learning_curves(sw, by=["policy.type"]).savefig("curves.png")
    plots.ablation_grid(scores(sw, "mean_return", by=["policy.type"]))

``plots`` needs matplotlib; it is imported on first use of ``teamsrl_analysis.plots``.
"""

from .runfile import (KINDS, SCHEMA_VERSION, TABLES, Rows, Run, committed_image, file_status,
                      flatten_metrics, load_run, read_commit, read_consistent, read_table,
                      run_kind)
from .stats import (aggregate_table, aggregates, bootstrap_ci, iqm, mean, median,
                    optimality_gap, performance_profile, performance_profile_ci,
                    probability_of_improvement, probability_of_improvement_ci)
from .sweep import Sweep, final_values, load_sweep, scores, variant_labels

_PLOTS = ("learning_curves", "learning_curve_table", "action_mix", "action_shares",
          "calls_by_role", "calls_by_role_table", "reward_vs_queries", "reward_vs_queries_table",
          "teams_vs_evol", "query_table", "ablation_grid", "ablation_tables", "figure_has_data",
          "figure_problems", "check_figure")


def __getattr__(name):
    # matplotlib only when a figure is asked for: reading run files does not need it.
    if name == "plots" or name in _PLOTS:
        import importlib
        plots = importlib.import_module(".plots", __name__)
        return plots if name == "plots" else getattr(plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["KINDS", "SCHEMA_VERSION", "TABLES", "Rows", "Run", "committed_image", "file_status",
           "flatten_metrics", "load_run", "read_commit", "read_consistent", "read_table",
           "run_kind",
           # sweeps
           "Sweep", "final_values", "load_sweep", "scores", "variant_labels",
           # figures (matplotlib, imported on first use)
           "plots", *_PLOTS,
           # stats
           "aggregate_table", "aggregates", "bootstrap_ci", "iqm", "mean", "median",
           "optimality_gap", "performance_profile", "performance_profile_ci",
           "probability_of_improvement", "probability_of_improvement_ci"]
