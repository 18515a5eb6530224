"""Figures of runs and sweeps, as matplotlib Figures.

Every function returns a new ``matplotlib.figure.Figure`` made without pyplot (no global
state, any backend, safe in scripts and notebooks: ``fig.savefig("x.png")``, or display
it). Axes carry labels with units, figures a title, and every axes with more than one
series a legend. The numbers behind each figure come from a ``*_table`` function of the
same name, so a report can print what a figure shows and a test can check it. Plotted
artists have a gid saying what they are (``mean:VARIANT``, ``band:VARIANT``,
``run:TASK``, ...), so the data can be read back from a figure.

Public API (signatures are stable):

``learning_curve_table(data, by=None, metric="mean_return", x="iteration", run="task",
confidence=0.95, reps=1000, random_state=0) -> DataFrame``
    Columns ``variant, <x>, mean, low, high, runs``: per variant and x, the mean of
    ``metric`` over runs and its stratified-bootstrap CI (``stats.bootstrap_ci`` of
    ``stats.mean`` on the runs' values at that x; NaN with fewer than 2 runs).
``learning_curves(data, by=None, metric="mean_return", x="iteration", run="task",
confidence=0.95, reps=1000, random_state=0, title=None) -> Figure``
    One line per variant with its CI band.

    ``data`` is one of: a ``Sweep`` (its ``iterations``; ``by`` defaults to its axes);
    a DataFrame such as ``sweep.iterations`` (``by``: column(s) naming the variant,
    default one variant; ``run``: the column naming a run, default ``task``); a dict
    variant -> list of ``Run`` (each Run is one run, e.g. one seed); or one ``Run``.

``action_shares(run) -> DataFrame``
    Share of each action per iteration (rows sum to 1): from /train/steps of a training
    run, from /dataset/samples (per step or round) of a generate/baseline run.
``action_mix(run, title=None) -> Figure``
    Those shares as a stacked area.

``calls_by_role_table(run) -> DataFrame``
    Columns ``iteration, role, queries, prompt_tokens, completion_tokens, tokens``:
    LLM calls of each role per iteration (generate: step; baseline: round).
``calls_by_role(run, title=None) -> Figure``
    Two panels: queries and tokens per iteration, one line per role that made calls.

``reward_vs_queries_table(data, by=None, metric="mean_return", run="task") -> DataFrame``
    Per variant and iteration: ``queries`` (cumulative LLM queries, mean over runs),
    ``mean`` (of ``metric`` over runs), ``runs``.
``reward_vs_queries(data, by=None, metric="mean_return", run="task", title=None)
-> Figure``
    Mean return against cumulative queries: a thick line per variant, a thin one per run.
    ``data`` as for ``learning_curves``.

``query_table(generate_run, baseline_run, train_run=None) -> DataFrame``
    Index role (rewriter, reviewer, responder, total); columns ``teams_rl``,
    ``evol_instruct`` (queries, from /budget) and ``share`` (teams_rl / evol_instruct);
    with ``train_run`` also ``teams_rl_training`` (the policy's training queries, which
    the paper counts apart).
``teams_vs_evol(generate_run, baseline_run, train_run=None, metrics=None, title=None)
-> Figure``
    Side by side: queries by role, the dataset metrics of /eval/dataset (when either
    file has them; ``metrics``: which, default ``DATASET_METRICS``) and TeaMs-RL's
    queries as a share of Evol-Instruct's.

``ablation_tables(scores_by_variant, reps=2000, random_state=0, confidence=0.95)
-> (DataFrame, DataFrame)``
    ``stats.aggregate_table`` of the variants, and the matrix P(row > column) of
    ``stats.probability_of_improvement`` (index and columns: the variants).
``ablation_grid(scores_by_variant, reps=2000, random_state=0, confidence=0.95,
metric="score", title=None) -> Figure``
    IQM with CI per variant (error bars) and the probability-of-improvement heatmap
    with its numbers. ``scores_by_variant``: variant -> (runs, tasks), e.g.
    ``sweep.scores(sw, "mean_return", by=["policy.type"])``.

``figure_problems(fig) -> list[str]``, ``figure_has_data(fig) -> bool``,
``check_figure(fig) -> None``
    What is wrong with a figure: an axes without finite plotted data (lines,
    collections, patches, images), without x or y label, a figure without any title, an
    axes with several labelled series but no legend. ``figure_has_data`` is True when
    there is nothing; ``check_figure`` raises ValueError listing it.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd
import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import stats
from .runfile import Run, flatten_metrics
from .sweep import Sweep, variant_labels

# Axis labels, with units, of the columns the figures plot.
LABELS = {
    "iteration": "iteration (learner update)",
    "mean_return": "mean episode return (rewards per episode)",
    "std_return": "std of episode return (rewards per episode)",
    "min_return": "min episode return (rewards per episode)",
    "max_return": "max episode return (rewards per episode)",
    "return": "episode return (rewards per episode)",
    "wall_s": "wall time (s)",
    "queries": "LLM queries per iteration",
    "prompt_tokens": "prompt tokens per iteration",
    "completion_tokens": "completion tokens per iteration",
    "entropy": "policy entropy (nats)",
    "kl": "KL(old || new) (nats)",
    "policy_loss": "policy loss",
    "value_loss": "value loss",
    "limit_wait_s": "rate-limit wait (s)",
}
# The x of per-iteration rows of each kind of run: /llm/calls' `iteration` holds the step
# of generate and the round of baseline.
X_LABELS = {"train": "iteration (learner update)", "generate": "generation step",
            "baseline": "Evol-Instruct round", "unknown": "iteration"}
TEAMS, EVOL = "TeaMs-RL", "Evol-Instruct"
# Metrics of /eval/dataset on one 0-1 scale, as teams_vs_evol shows them.
DATASET_METRICS = ("distinct_1", "distinct_2", "rouge_l_nn.mean",
                   "rouge_l_nn.share_ge_threshold", "elimination_rate", "not_equal_rate",
                   "input_share")
ROLES = ("rewriter", "reviewer", "responder")
# Roles often make the same number of calls: styles keep coinciding lines apart.
STYLES = ("-", "--", ":", "-.")

Data = Union[Sweep, pd.DataFrame, Mapping[str, Sequence[Run]], Run]


def _label(column: str) -> str:
    return LABELS.get(column, column)


def _figure(width: float = 7.0, height: float = 4.5) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _variant_colors(variants) -> dict:
    """One colour per variant, the same in every figure (by sorted name); distinct ones
    from a continuous map when there are more than matplotlib's ten cycle colours."""
    names = sorted({str(v) for v in variants})
    if len(names) <= 10:
        return {v: f"C{i}" for i, v in enumerate(names)}
    cmap = matplotlib.colormaps["turbo"]
    return {v: cmap(i / (len(names) - 1)) for i, v in enumerate(names)}


def _variant_legend(fig: Figure, ax, n: int) -> None:
    """A legend of ``n`` variants: inside the axes for a few, beside them for many (an
    ablation grid's 21 long labels inside would leave the axes no room)."""
    if n <= 1:
        return
    if n <= 6:
        ax.legend(title="variant", fontsize="small")
        return
    # Room for the legend's longest label (about 0.055 in a character at x-small) beside
    # axes that keep their own width: a sweep's variant names can run to 200 characters.
    longest = max((len(label) for label in ax.get_legend_handles_labels()[1]), default=0)
    fig.set_size_inches(fig.get_figwidth() + max(6.0, 0.055 * longest + 1.0),
                        max(fig.get_figheight(), 0.2 * n + 1.5))
    ax.legend(title="variant", fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _gid(bars, gid: str) -> None:
    """Gives every bar of a BarContainer the gid (containers have none of their own)."""
    for patch in bars:
        patch.set_gid(gid)


def _run_name(run: Run) -> str:
    return str(run.attrs.get("run_name") or run.path)


# --------------------------------------------------------------------------- curves


def _curve_frame(data: Data, by, metric: str, x: str, run: str) -> Tuple[pd.DataFrame, str]:
    """``data`` as a frame with columns variant, run, x, metric (+ queries when there),
    and the name of its run column."""
    if isinstance(data, Run):
        data = {_run_name(data): [data]}
    if isinstance(data, Sweep):
        frame = data.iterations
        by = data.axes if by is None else by
    elif isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, Mapping):
        parts = []
        for variant, runs in data.items():
            for i, r in enumerate(runs):
                part = r.iterations.copy()
                part["variant"], part["_run"] = str(variant), f"{variant}#{i}"
                parts.append(part)
        if not parts:
            raise ValueError("data has no runs")
        return pd.concat(parts, ignore_index=True), "_run"
    else:
        raise TypeError("data must be a Sweep, a DataFrame or a dict variant -> list of Run, "
                        f"not {type(data).__name__}")
    for column in (x, metric, run):
        if column not in frame.columns:
            hint = (" (name the column that tells runs apart with run=..., or pass "
                    "{variant: [Run, ...]})" if column == run else "")
            raise ValueError(f"no column {column!r} in the data{hint}; columns: "
                             f"{list(frame.columns)}")
    if isinstance(by, str):
        by = [by]
    labels = variant_labels(frame, by).to_numpy() if by else np.full(len(frame), metric)
    return frame.assign(variant=labels), run


def learning_curve_table(data: Data, by=None, metric: str = "mean_return",
                         x: str = "iteration", run: str = "task", confidence: float = 0.95,
                         reps: int = 1000, random_state=0) -> pd.DataFrame:
    """Per variant and ``x``: mean of ``metric`` over the runs that reached that x, and
    its bootstrap CI (runs resampled; NaN bounds with fewer than 2 runs). See the module
    docstring for ``data``."""
    frame, run = _curve_frame(data, by, metric, x, run)
    rows = []
    for variant in pd.unique(frame.variant):
        group = frame[frame.variant == variant]
        for xv, at in group.groupby(x, sort=True):
            # One value per run at this x (a run has one row per iteration).
            values = at.groupby(run, sort=False)[metric].mean().to_numpy(np.float64)
            low = high = np.nan
            if len(values) >= 2:
                _, low, high = stats.bootstrap_ci(values, statistic=stats.mean, reps=reps,
                                                  confidence=confidence,
                                                  random_state=random_state)
            rows.append({"variant": variant, x: xv, "mean": float(np.mean(values)),
                         "low": low, "high": high, "runs": len(values)})
    return pd.DataFrame(rows, columns=["variant", x, "mean", "low", "high", "runs"])


def learning_curves(data: Data, by=None, metric: str = "mean_return", x: str = "iteration",
                    run: str = "task", confidence: float = 0.95, reps: int = 1000,
                    random_state=0, title: Optional[str] = None) -> Figure:
    """Mean ``metric`` per ``x`` with a bootstrap CI band over runs (seeds), one line per
    variant (gids ``mean:VARIANT``, ``band:VARIANT``)."""
    table = learning_curve_table(data, by, metric, x, run, confidence, reps, random_state)
    fig = _figure()
    ax = fig.add_subplot()
    colors = _variant_colors(table.variant)
    for variant, curve in table.groupby("variant", sort=False):
        color = colors[str(variant)]
        runs = int(curve.runs.max())
        (line,) = ax.plot(curve[x].to_numpy(), curve["mean"].to_numpy(), color=color, marker=".",
                          label=f"{variant} ({runs} run{'s' if runs != 1 else ''})")
        line.set_gid(f"mean:{variant}")
        band = curve.dropna(subset=["low", "high"])
        if len(band):
            poly = ax.fill_between(band[x].to_numpy(), band["low"].to_numpy(),
                                   band["high"].to_numpy(), color=color,
                                   alpha=0.2, linewidth=0)
            poly.set_gid(f"band:{variant}")
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(metric))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title or f"{metric}: mean over runs, {confidence:.0%} bootstrap CI")
    _variant_legend(fig, ax, table.variant.nunique())
    ax.grid(alpha=0.3)
    return fig


# --------------------------------------------------------------------------- one run


def action_shares(run: Run) -> pd.DataFrame:
    """Share of each action per iteration (index; columns: every action the run names,
    rows sum to 1). Training runs: /train/steps; generate/baseline: /dataset/samples per
    ``round_or_step``."""
    if len(run.steps):
        rows, x = run.steps, "iteration"
    elif len(run.samples):
        rows, x = run.samples, "round_or_step"
    else:
        raise ValueError(f"{run.path}: no steps and no samples, so no actions to count")
    counts = rows.groupby([x, "action"], observed=False).size().unstack("action", fill_value=0)
    counts = counts[counts.sum(axis=1) > 0]
    shares = counts.div(counts.sum(axis=1), axis=0)
    shares.index.name = "iteration" if x == "iteration" else "step"
    shares.columns = [str(c) for c in shares.columns]
    return shares


def action_mix(run: Run, title: Optional[str] = None) -> Figure:
    """Stacked area of ``action_shares(run)``: how the policy's choice of operation moves
    over training (gid ``share:ACTION`` per area)."""
    shares = action_shares(run)
    fig = _figure()
    ax = fig.add_subplot()
    areas = ax.stackplot(shares.index.to_numpy(), shares.to_numpy().T,
                         labels=list(shares.columns), alpha=0.85)
    for area, action in zip(areas, shares.columns):
        area.set_gid(f"share:{action}")
    ax.set_xlabel(X_LABELS.get(run.kind, "iteration") if len(run.steps) == 0
                  else X_LABELS["train"])
    what = "steps" if len(run.steps) else "samples"
    ax.set_ylabel(f"share of {what} (fraction, 0-1)")
    ax.set_ylim(0, 1)
    ax.set_xlim(shares.index.min(), max(shares.index.max(), shares.index.min() + 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title or f"Action mix: {_run_name(run)} ({run.kind})")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small", title="action")
    return fig


def calls_by_role_table(run: Run) -> pd.DataFrame:
    """LLM calls per iteration and role: ``queries`` (calls), ``prompt_tokens``,
    ``completion_tokens``, ``tokens`` (their sum); only roles that made calls."""
    calls = run.calls
    if not len(calls):
        raise ValueError(f"{run.path}: no LLM calls in /llm/calls")
    grouped = calls.groupby(["iteration", "role"], observed=True)
    table = grouped.agg(queries=("role", "size"), prompt_tokens=("prompt_tokens", "sum"),
                        completion_tokens=("completion_tokens", "sum")).reset_index()
    table["role"] = table["role"].astype(str)
    table["tokens"] = table.prompt_tokens + table.completion_tokens
    return table


def calls_by_role(run: Run, title: Optional[str] = None) -> Figure:
    """Two panels, queries and tokens per iteration, one line per role (gids
    ``queries:ROLE``, ``tokens:ROLE``)."""
    table = calls_by_role_table(run)
    fig = _figure(10, 4.2)
    ax_q, ax_t = fig.subplots(1, 2)
    roles = [r for r in ROLES if r in set(table.role)] + \
        sorted(set(table.role) - set(ROLES))
    for i, role in enumerate(roles):
        part = table[table.role == role]
        for ax, column in ((ax_q, "queries"), (ax_t, "tokens")):
            (line,) = ax.plot(part.iteration.to_numpy(), part[column].to_numpy(), marker=".",
                              color=f"C{i}", linestyle=STYLES[i % len(STYLES)], label=role)
            line.set_gid(f"{column}:{role}")
    x_label = X_LABELS.get(run.kind, "iteration")
    unit = {"train": "iteration", "generate": "step", "baseline": "round"}.get(run.kind,
                                                                              "iteration")
    ax_q.set_ylabel(f"LLM queries per {unit}")
    ax_t.set_ylabel(f"tokens per {unit} (prompt + completion)")
    ax_q.set_title("queries by role")
    ax_t.set_title("tokens by role")
    for ax in (ax_q, ax_t):
        ax.set_xlabel(x_label)
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if len(roles) > 1:
            ax.legend(title="role", fontsize="small")
    fig.suptitle(title or f"LLM calls: {_run_name(run)} ({run.kind})")
    return fig


# --------------------------------------------------------------------------- queries


def reward_vs_queries_table(data: Data, by=None, metric: str = "mean_return",
                            run: str = "task") -> pd.DataFrame:
    """Per variant and iteration: ``queries`` (cumulative LLM queries up to and including
    that iteration, mean over the runs), ``mean`` of ``metric`` over the runs, ``runs``."""
    return _reward_vs_queries(data, by, metric, run)[0]


def _reward_vs_queries(data: Data, by, metric: str, run: str):
    """(the table of ``reward_vs_queries_table``, the rows with each run's cumulative
    queries in ``cumulative``, the run column)."""
    frame, run = _curve_frame(data, by, metric, "iteration", run)
    if "queries" not in frame.columns:
        raise ValueError("the data has no queries column (use /train/iterations rows)")
    frame = frame.sort_values([run, "iteration"], kind="stable")
    frame = frame.assign(cumulative=frame.groupby(run, sort=False).queries.cumsum())
    table = frame.groupby(["variant", "iteration"], sort=False).agg(
        queries=("cumulative", "mean"), mean=(metric, "mean"), runs=(run, "nunique"))
    order = {v: i for i, v in enumerate(pd.unique(frame.variant))}
    table = table.reset_index()
    table = table.sort_values(["variant", "iteration"], key=lambda c: c.map(order)
                              if c.name == "variant" else c, kind="stable")
    return table.reset_index(drop=True), frame, run


def reward_vs_queries(data: Data, by=None, metric: str = "mean_return", run: str = "task",
                      title: Optional[str] = None) -> Figure:
    """``metric`` against cumulative LLM queries: per variant the mean over runs (thick,
    gid ``mean:VARIANT``) and each run (thin, gid ``run:RUN``)."""
    table, frame, run = _reward_vs_queries(data, by, metric, run)
    fig = _figure()
    ax = fig.add_subplot()
    colors = _variant_colors(table.variant)
    for variant in pd.unique(table.variant):
        color = colors[str(variant)]
        for name, one in frame[frame.variant == variant].groupby(run, sort=False):
            (thin,) = ax.plot(one.cumulative.to_numpy(), one[metric].to_numpy(), color=color,
                              alpha=0.3, linewidth=0.8, label="_nolegend_")
            thin.set_gid(f"run:{name}")
        curve = table[table.variant == variant]
        (line,) = ax.plot(curve.queries.to_numpy(), curve["mean"].to_numpy(), color=color,
                          linewidth=2, marker=".", label=variant)
        line.set_gid(f"mean:{variant}")
    ax.set_xlabel("cumulative LLM queries (all roles)")
    ax.set_ylabel(_label(metric))
    ax.set_title(title or f"{metric} against LLM queries spent")
    _variant_legend(fig, ax, table.variant.nunique())
    ax.grid(alpha=0.3)
    return fig


def _queries_by_role(run: Run) -> pd.Series:
    """Queries per role and ``total``: /budget when it has rows, else counted from calls."""
    budget = run.budget
    if len(budget):
        series = budget.set_index(budget.role.astype(str)).queries
    else:
        series = run.calls.role.astype(str).value_counts()
        series["total"] = int(series.sum())
    return series.reindex(list(ROLES) + ["total"]).fillna(0).astype(np.int64)


def query_table(generate_run: Run, baseline_run: Run,
                train_run: Optional[Run] = None) -> pd.DataFrame:
    """Queries by role of TeaMs-RL's generation and of Evol-Instruct, and the share:
    the paper's comparison (expert queries of generate / baseline queries). The
    policy's training queries (``train_run``) are a column of their own."""
    table = pd.DataFrame({"teams_rl": _queries_by_role(generate_run),
                          "evol_instruct": _queries_by_role(baseline_run)})
    base = table.evol_instruct.astype(np.float64).replace(0, np.nan)
    table["share"] = table.teams_rl / base
    if train_run is not None:
        table["teams_rl_training"] = _queries_by_role(train_run)
    table.index.name = "role"
    return table


def _eval_metrics(run: Run, names: Sequence[str]) -> Dict[str, float]:
    flat = flatten_metrics(run.eval.get("dataset", {}))
    out = {}
    for name in names:
        value = flat.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and \
                np.isfinite(value):
            out[name] = float(value)
    return out


def teams_vs_evol(generate_run: Run, baseline_run: Run, train_run: Optional[Run] = None,
                  metrics: Optional[Sequence[str]] = None,
                  title: Optional[str] = None) -> Figure:
    """TeaMs-RL's dataset against Evol-Instruct's: queries by role (gid
    ``queries:METHOD``), dataset metrics of /eval/dataset (``metric:METHOD``; the panel
    is left out when neither file was evaluated) and the query share by role
    (``share``)."""
    table = query_table(generate_run, baseline_run, train_run)
    names = list(DATASET_METRICS if metrics is None else metrics)
    values = {TEAMS: _eval_metrics(generate_run, names), EVOL: _eval_metrics(baseline_run, names)}
    shown = [n for n in names if any(n in v for v in values.values())]
    panels = 3 if shown else 2
    fig = _figure(5.0 * panels, 4.5)
    axes = list(fig.subplots(1, panels))
    _queries_panel(axes[0], table)
    if shown:
        _metrics_panel(axes[1], values, shown)
    _share_panel(axes[-1], table, train_run is not None)
    total = table.at["total", "share"]
    fig.suptitle(title or (f"TeaMs-RL vs Evol-Instruct: {100 * total:.2f} % of the queries"
                           if np.isfinite(total) else "TeaMs-RL vs Evol-Instruct"))
    return fig


def _queries_panel(ax, table: pd.DataFrame) -> None:
    x = np.arange(len(table.index))
    for i, (column, name) in enumerate((("teams_rl", TEAMS), ("evol_instruct", EVOL))):
        bars = ax.bar(x + (i - 0.5) * 0.4, table[column].to_numpy(), width=0.4, label=name,
                      color=f"C{i}")
        _gid(bars, f"queries:{name}")
    ax.set_xticks(x, list(table.index))
    ax.set_xlabel("role")
    ax.set_ylabel("LLM queries")
    ax.set_title("queries by role")
    ax.legend(fontsize="small")


def _metrics_panel(ax, values: Dict[str, Dict[str, float]], shown: List[str]) -> None:
    y = np.arange(len(shown))
    for i, name in enumerate((TEAMS, EVOL)):
        widths = [values[name].get(m, np.nan) for m in shown]
        bars = ax.barh(y + (i - 0.5) * 0.4, widths, height=0.4, label=name, color=f"C{i}")
        _gid(bars, f"metric:{name}")
    ax.set_yticks(y, shown)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("value (fraction, 0-1)")
    ax.set_ylabel("dataset metric (/eval/dataset)")
    ax.set_title("dataset metrics")
    ax.legend(fontsize="small")


def _share_panel(ax, table: pd.DataFrame, with_training: bool) -> None:
    shares = table.share.dropna()
    labels, heights = list(shares.index), list(100 * shares.to_numpy())
    if with_training and table.at["total", "evol_instruct"] > 0:
        labels.append("total +\ntraining")
        heights.append(100 * (table.at["total", "teams_rl"] +
                              table.at["total", "teams_rl_training"]) /
                       table.at["total", "evol_instruct"])
    bars = ax.bar(np.arange(len(labels)), heights, color="C2")
    _gid(bars, "share")
    for rect, h in zip(bars, heights):
        ax.annotate(f"{h:.1f} %", (rect.get_x() + rect.get_width() / 2, h),
                    ha="center", va="bottom", fontsize="small")
    ax.set_xticks(np.arange(len(labels)), labels)
    ax.set_xlabel("role")
    ax.set_ylabel(f"{TEAMS} queries (% of {EVOL}'s)")
    ax.set_title("query share")


# --------------------------------------------------------------------------- ablations


def ablation_tables(scores_by_variant: Mapping[str, np.ndarray], reps: int = 2000,
                    random_state=0, confidence: float = 0.95
                    ) -> Tuple[pd.DataFrame, pd.DataFrame]:
    """``stats.aggregate_table`` of the variants and the matrix P(row > column) of
    ``stats.probability_of_improvement`` (0.5 on the diagonal)."""
    if not scores_by_variant:
        raise ValueError("scores_by_variant is empty")
    aggregate = stats.aggregate_table(scores_by_variant, reps=reps, confidence=confidence,
                                      random_state=random_state)
    names = [str(n) for n in scores_by_variant]
    arrays = list(scores_by_variant.values())
    poi = pd.DataFrame([[stats.probability_of_improvement(a, b) for b in arrays]
                        for a in arrays], index=names, columns=names)
    poi.index.name, poi.columns.name = "X", "Y"
    return aggregate, poi


def ablation_grid(scores_by_variant: Mapping[str, np.ndarray], reps: int = 2000,
                  random_state=0, confidence: float = 0.95, metric: str = "score",
                  title: Optional[str] = None) -> Figure:
    """Left (above, for long variant names): IQM and its CI per variant (error bars, gid
    ``iqm``). Right (below): P(row beats column) for every pair, a heatmap with the
    numbers written in (gid ``poi``); long names are coded V1, V2, ... there, keyed on the
    IQM axis."""
    aggregate, poi = ablation_tables(scores_by_variant, reps, random_state, confidence)
    n = len(poi)
    names = [str(v) for v in aggregate.index]
    # Long names (a grid point of several keys) on both heatmap axes would leave its cells
    # no room: then the heatmap uses codes and goes below the IQM panel, which keys them.
    short = max(map(len, names)) > 24
    codes = [f"V{i + 1}" for i in range(n)] if short else names
    if short:
        fig = _figure(max(10.0, 0.07 * max(map(len, names)) + 5.0), 0.75 * n + 3.0)
        # Subfigures: each lays out on its own, so the key's width does not squeeze the map.
        top, bottom = fig.subfigures(2, 1, height_ratios=[0.3, 0.45])
        ax_iqm, ax_poi = top.subplots(), bottom.subplots()
    else:
        fig = _figure(5.0 + 0.6 * n + 4.0, max(3.5, 0.9 + 0.55 * n))
        ax_iqm, ax_poi = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1.0]})
    y = np.arange(n)
    iqm = aggregate.iqm.to_numpy(np.float64)
    err = np.vstack([iqm - aggregate.iqm_low.to_numpy(), aggregate.iqm_high.to_numpy() - iqm])
    bars = ax_iqm.errorbar(iqm, y, xerr=err, fmt="o", color="C0", capsize=4)
    bars.lines[0].set_gid("iqm")
    ax_iqm.set_yticks(y, [f"{c}: {v}" for c, v in zip(codes, names)] if short else names)
    ax_iqm.invert_yaxis()
    ax_iqm.set_xlabel(f"IQM of {metric} ({confidence:.0%} bootstrap CI)")
    ax_iqm.set_ylabel("variant")
    runs = sorted(set(aggregate.runs.astype(int)))
    ax_iqm.set_title(f"IQM over runs x tasks ({'-'.join(map(str, runs[::max(len(runs) - 1, 1)]))}"
                     " runs per variant)")
    ax_iqm.grid(alpha=0.3, axis="x")
    image = ax_poi.imshow(poi.to_numpy(), vmin=0, vmax=1, cmap="RdBu")
    image.set_gid("poi")
    for i in range(n):
        for j in range(n):
            value = poi.iat[i, j]
            ax_poi.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize="small" if n <= 10 else 6,
                        color="white" if abs(value - 0.5) > 0.3 else "black")
    ax_poi.set_xticks(y, codes, rotation=0 if short else 30, ha="center" if short else "right")
    ax_poi.set_yticks(y, codes)
    ax_poi.set_xlabel("variant Y")
    ax_poi.set_ylabel("variant X")
    ax_poi.set_title("P(X > Y): probability of improvement")
    fig.colorbar(image, ax=ax_poi, label="P(X > Y)")
    fig.suptitle(title or f"Ablation: {metric}")
    return fig


# --------------------------------------------------------------------------- checks


def _finite_any(values) -> bool:
    a = np.asarray(values, dtype=np.float64) if np.size(values) else np.array([])
    return bool(a.size and np.isfinite(a).any())


def _has_data(ax) -> bool:
    for line in ax.lines:
        x, y = (np.asarray(v, dtype=np.float64) for v in line.get_data())
        if x.size and np.any(np.isfinite(x) & np.isfinite(y)):
            return True
    for collection in ax.collections:
        if _finite_any(collection.get_offsets()) and len(collection.get_offsets()) and \
                not _is_placeholder(collection):
            return True
        if any(_finite_any(p.vertices) for p in collection.get_paths()):
            return True
    for patch in ax.patches:
        box = [getattr(patch, f"get_{k}", lambda: np.nan)() for k in ("x", "y", "width",
                                                                       "height")]
        if np.all(np.isfinite(np.asarray(box, dtype=np.float64))):
            return True
    for image in ax.images:
        if _finite_any(np.ma.filled(np.ma.asarray(image.get_array(), dtype=np.float64),
                                    np.nan)):
            return True
    return False


def _is_placeholder(collection) -> bool:
    # A PolyCollection's offsets default to one (0, 0): not data by themselves.
    offsets = np.asarray(collection.get_offsets())
    return offsets.shape == (1, 2) and not offsets.any()


def _labelled_series(ax) -> int:
    artists = list(ax.lines) + list(ax.collections) + list(ax.containers)
    return sum(1 for a in artists if not str(a.get_label()).startswith("_"))


def figure_problems(fig: Figure) -> List[str]:
    """Everything that makes ``fig`` an incomplete figure, as sentences (empty when it is
    fine): axes without finite plotted data or without x/y label, no title at all, an
    axes with several labelled series and no legend. Colorbars need only their label."""
    problems = []
    axes = [ax for ax in fig.axes if ax.get_visible()]
    if not axes:
        return ["the figure has no axes"]
    suptitle = getattr(fig, "_suptitle", None)  # Figure.get_suptitle() is matplotlib >= 3.8
    titled = bool(suptitle is not None and suptitle.get_text().strip())
    for i, ax in enumerate(axes):
        name = f"axes {i} ({ax.get_title() or 'untitled'})"
        if ax.get_label() == "<colorbar>":
            if not (ax.get_ylabel().strip() or ax.get_xlabel().strip()):
                problems.append(f"{name}: colorbar without label")
            continue
        titled = titled or bool(ax.get_title().strip())
        if not _has_data(ax):
            problems.append(f"{name}: no finite plotted data")
        if not ax.get_xlabel().strip():
            problems.append(f"{name}: no x label")
        if not ax.get_ylabel().strip():
            problems.append(f"{name}: no y label")
        if _labelled_series(ax) > 1 and ax.get_legend() is None and not fig.legends:
            problems.append(f"{name}: {_labelled_series(ax)} labelled series but no legend")
    if not titled:
        problems.append("the figure has no title (suptitle or axes title)")
    return problems


def figure_has_data(fig: Figure) -> bool:
    """True when ``figure_problems(fig)`` finds nothing: every axes has finite data and
    both labels, the figure has a title, multi-series axes have legends."""
    return not figure_problems(fig)


def check_figure(fig: Figure) -> None:
    """Raises ValueError naming every problem ``figure_problems`` finds."""
    problems = figure_problems(fig)
    if problems:
        raise ValueError("incomplete figure: " + "; ".join(problems))
