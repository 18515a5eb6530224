"""Aggregate statistics with stratified-bootstrap confidence intervals.

The methods of Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical
Precipice" (NeurIPS 2021), written for this project from the paper (numpy only):

* aggregates over runs x tasks: ``iqm``, ``mean``, ``median``, ``optimality_gap`` (Sec. 4.3);
* ``bootstrap_ci``: stratified bootstrap confidence intervals for any of them (Sec. 4.1);
* ``probability_of_improvement`` (Sec. 4.3, "Probability of improvement") and its CI;
* ``performance_profile``: the run-score distribution (Sec. 4.2) and its CI;
* ``aggregate_table``: the four aggregates with CIs for several variants, as a DataFrame.

Scores are a 2-D array of shape (runs, tasks): a row per run (seed), a column per task
(environment, metric, ...). A 1-D array is one task: shape (runs,) is read as (runs, 1).
Scores of different tasks should be normalised to a common scale first (e.g. against a
reference score), since every aggregate except ``probability_of_improvement`` pools them.

Bad input raises ``ValueError`` naming the argument and its shape: anything but 1-D or
2-D, no scores, NaN or infinite scores, and fewer than 2 runs where a CI resamples runs
(a single run would give every resample the same value: a zero-width interval that
says nothing).
"""

from __future__ import annotations

from typing import Callable, Dict, Mapping, Sequence, Tuple, Union

import numpy as np
import pandas as pd

ArrayLike = Union[np.ndarray, Sequence[float], Sequence[Sequence[float]]]
Seed = Union[int, np.random.Generator, None]

METHODS = ("percentile", "basic")

# --------------------------------------------------------------------------- validation


def as_scores(scores: ArrayLike, name: str = "scores", min_runs: int = 1) -> np.ndarray:
    """``scores`` as a float64 array of shape (runs, tasks), or ValueError naming ``name``."""
    try:
        a = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be a numeric array of shape (runs, tasks): {e}") from e
    shape = a.shape
    if a.ndim == 1:
        a = a[:, np.newaxis]
    elif a.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D (runs,) or 2-D (runs, tasks), got {a.ndim}-D shape {shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty: shape {shape}; need at least one run and one task")
    if not np.all(np.isfinite(a)):
        bad = int(np.count_nonzero(~np.isfinite(a)))
        raise ValueError(f"{name} has {bad} NaN or infinite value(s) (shape {shape})")
    if a.shape[0] < min_runs:
        raise ValueError(
            f"{name} has {a.shape[0]} run(s) (shape {shape}); a bootstrap CI resamples runs "
            f"and needs at least {min_runs}")
    return a


def _check_ci_args(reps: int, confidence: float, method: str) -> None:
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


# --------------------------------------------------------------------------- aggregates


def iqm(scores: ArrayLike) -> float:
    """Interquartile mean of all runs x tasks pooled (paper Sec. 4.3).

    The mean of the middle 50 % of the pooled scores: robust to outlier runs like the
    median, but it uses half the data instead of one or two points, so its CIs are much
    narrower for the few runs RL experiments have.

    Fractional quartiles: with n pooled scores, ``floor(n / 4)`` scores are cut from each
    end of the sorted scores and the rest averaged (no partial weights). For n divisible by
    4 that is exactly the middle half; otherwise slightly more than half is kept (n = 10
    cuts 2 + 2 and averages 6). This is ``scipy.stats.trim_mean(scores.ravel(), 0.25)``,
    which is what the paper's library computes, so numbers compare with published ones.
    For n < 4 nothing is cut and the IQM is the mean.
    """
    flat = np.sort(as_scores(scores).ravel())
    cut = flat.size // 4
    return float(np.mean(flat[cut:flat.size - cut]))


def mean(scores: ArrayLike) -> float:
    """Mean over tasks of each task's mean score (paper Sec. 4.3, "Mean").

    As in the paper's library (aggregate mean = mean of per-task sample means). With the
    same number of runs per task, which a 2-D array has, this equals the pooled mean.
    """
    return float(np.mean(np.mean(as_scores(scores), axis=0)))


def median(scores: ArrayLike) -> float:
    """Median over tasks of each task's mean score (paper Sec. 4.3, "Median").

    As in the paper's library (aggregate median = median of per-task sample means), the
    usual "median human-normalised score" of a benchmark. It is not the median of the
    pooled runs; with one task it is that task's mean.
    """
    return float(np.median(np.mean(as_scores(scores), axis=0)))


def optimality_gap(scores: ArrayLike, gamma: float = 1.0) -> float:
    """Mean of ``max(gamma - score, 0)`` over all runs x tasks (paper Sec. 4.3).

    How far runs fall short of a target ``gamma`` (1.0: e.g. human level for normalised
    scores); scores above ``gamma`` count as ``gamma``, so beating the target on one task
    cannot hide missing it on another. Lower is better. Equal to
    ``gamma - mean(min(scores, gamma))``.
    """
    if not np.isfinite(gamma):
        raise ValueError(f"gamma must be finite, got {gamma!r}")
    return float(np.mean(np.maximum(gamma - as_scores(scores), 0.0)))


def aggregates(scores: ArrayLike, gamma: float = 1.0) -> np.ndarray:
    """``[iqm, mean, median, optimality_gap]`` of ``scores``, a statistic for bootstrap_ci."""
    return np.array([iqm(scores), mean(scores), median(scores), optimality_gap(scores, gamma)])


AGGREGATES = ("iqm", "mean", "median", "optimality_gap")


def _aggregates_of_resamples(resamples: np.ndarray, gamma: float) -> np.ndarray:
    """``aggregates`` of each of a stack of resamples (reps, runs, tasks) at once, as
    (reps, 4): the same computations along the last axes, without a Python loop per
    resample (which made a 20-variant table take tens of seconds)."""
    reps = resamples.shape[0]
    flat = np.sort(resamples.reshape(reps, -1), axis=1)
    cut = flat.shape[1] // 4
    task_means = np.mean(resamples, axis=1)
    return np.stack([np.mean(flat[:, cut:flat.shape[1] - cut], axis=1),
                     np.mean(task_means, axis=1),
                     np.median(task_means, axis=1),
                     np.mean(np.maximum(gamma - resamples, 0.0).reshape(reps, -1), axis=1)],
                    axis=1)

# --------------------------------------------------------------------------- bootstrap


def stratified_resample(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One stratified bootstrap sample: each task's runs redrawn with replacement.

    Stratified (paper Sec. 4.1): runs are resampled within each column independently, so
    every task keeps its number of runs and a resample never moves a score to another
    task. Columns are independent of each other because the runs of different tasks are
    separate trainings; row index i of two tasks need not be related.
    """
    runs, tasks = scores.shape
    rows = rng.integers(0, runs, size=(runs, tasks))
    return scores[rows, np.arange(tasks)]


def _replicates(samples: Sequence[np.ndarray], statistic: Callable[..., object], reps: int,
                rng: np.random.Generator, shape: Tuple[int, ...]) -> np.ndarray:
    """``statistic`` of ``reps`` stratified resamples of every array in ``samples``.

    Every array is resampled on its own (e.g. both algorithms' runs for a probability of
    improvement). Returns shape (reps,) + ``shape``, the statistic's shape on the data.
    """
    out = np.empty((reps,) + shape)
    for i in range(reps):
        value = np.asarray(statistic(*[stratified_resample(s, rng) for s in samples]),
                           dtype=np.float64)
        if value.shape != shape:
            raise ValueError(f"statistic returned shape {value.shape} on a resample but "
                             f"{shape} on the data; its shape must not depend on the sample")
        out[i] = value
    return out


def _interval(point: np.ndarray, replicates: np.ndarray, confidence: float,
              method: str) -> Tuple[np.ndarray, np.ndarray]:
    """The two-sided ``confidence`` interval from bootstrap replicates.

    ``percentile``: the replicates' (1-c)/2 and (1+c)/2 quantiles (what the paper
    reports). ``basic``: those quantiles reflected about the point estimate,
    ``2 * point - q``, which corrects a bias of the statistic to first order.
    """
    alpha = (1.0 - confidence) / 2.0
    q_low, q_high = np.quantile(replicates, [alpha, 1.0 - alpha], axis=0)
    if method == "basic":
        return 2.0 * point - q_high, 2.0 * point - q_low
    return q_low, q_high


def _ci(samples: Sequence[np.ndarray], statistic: Callable[..., object], reps: int,
        confidence: float, random_state: Seed, method: str):
    """(point, low, high) of ``statistic(*samples)``: floats, or arrays for a vector."""
    _check_ci_args(reps, confidence, method)
    point = np.asarray(statistic(*samples), dtype=np.float64)
    rng = np.random.default_rng(random_state)
    reps_values = _replicates(samples, statistic, reps, rng, point.shape)
    low, high = _interval(point, reps_values, confidence, method)
    if point.ndim == 0:
        return float(point), float(low), float(high)
    return point, np.asarray(low), np.asarray(high)


def bootstrap_ci(scores: ArrayLike, statistic: Callable[[np.ndarray], object] = iqm,
                 reps: int = 2000, confidence: float = 0.95, random_state: Seed = 0,
                 method: str = "percentile"):
    """Point estimate and stratified bootstrap CI of ``statistic(scores)`` (paper Sec. 4.1).

    The paper's remedy for reporting point estimates from a handful of runs: resample the
    runs of every task with replacement (``stratified_resample``), recompute the
    statistic ``reps`` times, and report the spread of the replicates. ``statistic`` maps
    a (runs, tasks) array to a number, or to a vector (e.g. ``aggregates``: several
    aggregates from the same resamples).

    Returns ``(point, low, high)``: floats for a scalar statistic, arrays for a vector
    one. ``random_state`` (an int, a ``numpy.random.Generator``, or None for fresh
    entropy) fixes the resamples: the same int gives the same numbers on every call.
    ``method`` is ``"percentile"`` (the paper's) or ``"basic"``.
    """
    x = as_scores(scores, "scores", min_runs=2)
    return _ci([x], statistic, reps, confidence, random_state, method)


# --------------------------------------------------------------------------- comparisons


def _task_pairs(x: ArrayLike, y: ArrayLike, min_runs: int) -> Tuple[np.ndarray, np.ndarray]:
    a = as_scores(x, "x", min_runs)
    b = as_scores(y, "y", min_runs)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x and y must have the same number of tasks (columns): x has "
                         f"shape {np.shape(x)}, y has shape {np.shape(y)}")
    return a, b


def _prob_greater(a: np.ndarray, b: np.ndarray) -> float:
    """P(A > B) + P(A = B) / 2 over all pairs of one task's runs: U / (n_a * n_b).

    Counted with a binary search in the sorted ``b`` instead of all n_a * n_b pairs:
    ``left`` = how many b are < a_i, ``right - left`` = how many tie with it.
    """
    b = np.sort(b)
    left = np.searchsorted(b, a, side="left")
    right = np.searchsorted(b, a, side="right")
    return float(np.sum(left + 0.5 * (right - left)) / (a.size * b.size))


def _poi(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([_prob_greater(a[:, t], b[:, t]) for t in range(a.shape[1])]))


def probability_of_improvement(x: ArrayLike, y: ArrayLike) -> float:
    """P(X > Y): probability that a run of X beats a run of Y on a task, averaged over tasks.

    Paper Sec. 4.3 ("Probability of improvement"): per task, the
    Mann-Whitney U statistic of X against Y divided by n_x * n_y, i.e. the fraction of
    (run of X, run of Y) pairs where X scores higher, ties counting 1/2; then the mean over
    tasks. It compares within tasks only, so it needs no score normalisation, and says
    nothing about how much better: 0.5 is no difference.

    ``x`` is (runs_x, tasks), ``y`` is (runs_y, tasks): the same tasks, runs may differ.
    """
    a, b = _task_pairs(x, y, min_runs=1)
    return _poi(a, b)


def probability_of_improvement_ci(x: ArrayLike, y: ArrayLike, reps: int = 2000,
                                  confidence: float = 0.95, random_state: Seed = 0,
                                  method: str = "percentile") -> Tuple[float, float, float]:
    """``probability_of_improvement(x, y)`` with a stratified bootstrap CI.

    Both ``x`` and ``y`` are resampled, each within each task, since both are samples
    (paper Sec. 4.3). Returns ``(point, low, high)``; see ``bootstrap_ci`` for the
    arguments.
    """
    a, b = _task_pairs(x, y, min_runs=2)
    return _ci([a, b], _poi, reps, confidence, random_state, method)


# --------------------------------------------------------------------------- profiles


def _as_taus(taus: ArrayLike) -> np.ndarray:
    t = np.asarray(taus, dtype=np.float64)
    if t.ndim > 1:
        raise ValueError(f"taus must be a number or 1-D, got shape {t.shape}")
    if t.size == 0:
        raise ValueError(f"taus is empty: shape {t.shape}")
    if np.any(np.isnan(t)):
        raise ValueError(f"taus has NaN (shape {t.shape})")
    return t


def _profile(scores: np.ndarray, taus: np.ndarray) -> np.ndarray:
    flat = np.sort(scores.ravel())
    # searchsorted 'right' counts the scores <= tau; the rest are > tau.
    return (flat.size - np.searchsorted(flat, taus, side="right")) / flat.size


def performance_profile(scores: ArrayLike, taus: ArrayLike) -> np.ndarray:
    """Fraction of all runs x tasks with a score above each ``tau`` (paper Sec. 4.2).

    The paper's run-score distribution (a performance profile over runs): one curve shows
    the whole distribution of scores, so a reader sees e.g. the fraction of runs above
    human level or the median at a glance, instead of one aggregate. Strictly greater
    than ``tau``; non-increasing in ``tau``. With the same runs per task the pooled
    fraction equals the mean over tasks of each task's fraction.

    ``taus`` is a number or a 1-D array; the result has its shape.
    """
    return _profile(as_scores(scores), _as_taus(taus))


def performance_profile_ci(scores: ArrayLike, taus: ArrayLike, reps: int = 2000,
                           confidence: float = 0.95, random_state: Seed = 0,
                           method: str = "percentile"):
    """``performance_profile`` with pointwise stratified bootstrap CIs (paper Sec. 4.2).

    Returns ``(profile, low, high)``, arrays of the shape of ``taus``; the band is
    pointwise (a CI at each tau), not a simultaneous band for the whole curve.
    """
    t = _as_taus(taus)
    x = as_scores(scores, "scores", min_runs=2)
    point, low, high = _ci([x], lambda s: _profile(s, t), reps, confidence, random_state,
                           method)
    return np.asarray(point), np.asarray(low), np.asarray(high)


# --------------------------------------------------------------------------- tables


def aggregate_table(groups: Mapping[str, ArrayLike], reps: int = 2000,
                    confidence: float = 0.95, random_state: Seed = 0, gamma: float = 1.0,
                    method: str = "percentile") -> pd.DataFrame:
    """IQM, mean, median and optimality gap with CIs for each variant, as a DataFrame.

    ``groups`` maps a variant's name to its scores (runs, tasks). One row per variant, in
    the order given (index ``variant``); columns ``runs``, ``tasks``, then for each of
    ``iqm``, ``mean``, ``median``, ``optimality_gap`` the point estimate and
    ``<name>_low``, ``<name>_high``. The four CIs of a variant come from the same
    resamples; every variant uses the same ``random_state``, so a row does not depend on
    which other variants are in the table.
    """
    if not isinstance(groups, Mapping) or len(groups) == 0:
        raise ValueError("groups must be a non-empty dict of name -> scores")
    rows: Dict[str, Dict[str, float]] = {}
    _check_ci_args(reps, confidence, method)
    for name, scores in groups.items():
        x = as_scores(scores, f"groups[{name!r}]", min_runs=2)
        point = aggregates(x, gamma)
        # The resamples of stratified_resample, drawn in one call (the same numbers as
        # `reps` calls: the generator's stream does not depend on how it is split).
        runs, tasks = x.shape
        drawn = np.random.default_rng(random_state).integers(0, runs, size=(reps, runs, tasks))
        replicates = _aggregates_of_resamples(x[drawn, np.arange(tasks)], gamma)
        low, high = _interval(point, replicates, confidence, method)
        row: Dict[str, float] = {"runs": x.shape[0], "tasks": x.shape[1]}
        for i, agg in enumerate(AGGREGATES):
            row[agg], row[f"{agg}_low"], row[f"{agg}_high"] = point[i], low[i], high[i]
        rows[str(name)] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "variant"
    return table


__all__ = ["AGGREGATES", "aggregate_table", "aggregates", "as_scores", "bootstrap_ci", "iqm",
           "mean", "median", "optimality_gap", "performance_profile", "performance_profile_ci",
           "probability_of_improvement", "probability_of_improvement_ci",
           "stratified_resample"]
