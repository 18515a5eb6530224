"""Tests of teamsrl_analysis.stats against independent computations.

References: scipy.stats.trim_mean (IQM), scipy.stats.mannwhitneyu (probability of
improvement), pandas (per-task means), normal theory (bootstrap CI of a mean), direct
counts and values worked out by hand. The largest absolute difference seen against each
reference is printed at the end (stderr).

    cd analysis && /usr/bin/python3 -m unittest discover -s tests -v
"""

import math
import sys
import unittest
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.stats

# Importable from any working directory (CTest runs in the build tree).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from teamsrl_analysis.stats import (aggregate_table, aggregates, bootstrap_ci, iqm,  # noqa: E402
                                    mean, median, optimality_gap, performance_profile,
                                    performance_profile_ci, probability_of_improvement,
                                    probability_of_improvement_ci)

# reference name -> largest |ours - reference| seen
MAX_DIFF = {}


def record(reference, ours, theirs):
    diff = float(np.max(np.abs(np.asarray(ours, float) - np.asarray(theirs, float))))
    MAX_DIFF[reference] = max(MAX_DIFF.get(reference, 0.0), diff)
    return diff


def tearDownModule():
    print("\nlargest absolute difference against each independent computation:",
          file=sys.stderr)
    for name in sorted(MAX_DIFF):
        print(f"  {name:58s} {MAX_DIFF[name]:.3g}", file=sys.stderr)


def random_shapes(rng, count):
    """(runs, tasks) shapes whose sizes cover every remainder mod 4."""
    shapes = [(n, 1) for n in range(1, 41)] + [(257, 3), (1001, 1), (50, 7)]
    shapes += [(int(rng.integers(1, 30)), int(rng.integers(1, 12))) for _ in range(count)]
    return shapes


class IqmTest(unittest.TestCase):
    def test_hand_computed(self):
        cases = [
            # 1..8: n = 8, cut 8 // 4 = 2 each side -> mean(3, 4, 5, 6) = 18 / 4 = 4.5
            (np.arange(1, 9), 4.5),
            # n = 10, sorted 0 0 1 2 3 4 5 7 9 100, cut 10 // 4 = 2 each side
            # -> mean(1, 2, 3, 4, 5, 7) = 22 / 6
            (np.array([0, 0, 1, 2, 3, 100, 7, 5, 9, 4]), 22 / 6),
            # n = 5, cut 5 // 4 = 1 each side -> mean(2, 3, 4) = 3 (the 1000 is gone)
            (np.array([1, 2, 3, 4, 1000]), 3.0),
            # n = 3 < 4: nothing cut -> mean(1, 2, 9) = 4
            (np.array([1, 2, 9]), 4.0),
            # 2-D pools runs x tasks: 1 2 3 4 10 20 30 40, cut 2 each side
            # -> mean(3, 4, 10, 20) = 37 / 4 = 9.25
            (np.array([[1, 10], [2, 20], [3, 30], [4, 40]]), 9.25),
        ]
        for scores, expected in cases:
            with self.subTest(scores=scores.tolist()):
                self.assertAlmostEqual(iqm(scores), expected, places=12)
                record("iqm vs hand-computed values", iqm(scores), expected)

    def test_matches_scipy_trim_mean(self):
        rng = np.random.default_rng(20211206)
        for runs, tasks in random_shapes(rng, 200):
            for kind in ("cauchy", "ties"):
                if kind == "cauchy":
                    x = rng.standard_cauchy(size=(runs, tasks))  # heavy tails: trimming matters
                else:
                    x = rng.integers(0, 4, size=(runs, tasks)).astype(float)
                expected = scipy.stats.trim_mean(x.ravel(), 0.25)
                with self.subTest(shape=(runs, tasks), kind=kind):
                    self.assertLessEqual(record("iqm vs scipy.stats.trim_mean(x, 0.25)",
                                                iqm(x), expected),
                                         1e-9 * max(1.0, abs(expected)))

    def test_one_dimensional_is_one_task(self):
        x = np.random.default_rng(1).normal(size=13)
        self.assertEqual(iqm(x), iqm(x[:, None]))


class MeanMedianGapTest(unittest.TestCase):
    def test_mean_and_median_of_task_means(self):
        # task means: (0+2)/2 = 1, (10+20)/2 = 15, (1+1)/2 = 1
        # mean = (1 + 15 + 1) / 3 = 17/3; median of task means = 1 (the pooled median
        # of 0 1 1 2 10 20 would be 1.5: we follow the paper's library, task means)
        scores = np.array([[0, 10, 1], [2, 20, 1]])
        self.assertAlmostEqual(mean(scores), 17 / 3, places=12)
        self.assertEqual(median(scores), 1.0)

    def test_against_pandas(self):
        rng = np.random.default_rng(7)
        for runs, tasks in random_shapes(rng, 50):
            x = rng.normal(size=(runs, tasks))
            task_means = pd.DataFrame(x).mean(axis=0)
            record("mean vs pandas mean of column means", mean(x), task_means.mean())
            record("median vs pandas median of column means", median(x), task_means.median())
            self.assertAlmostEqual(mean(x), task_means.mean(), places=12)
            self.assertAlmostEqual(median(x), task_means.median(), places=12)

    def test_optimality_gap_closed_form(self):
        scores = np.array([[0.5, 1.2], [1.0, -0.5]])
        # gamma 1: max(1 - s, 0) = 0.5, 0, 0, 1.5 -> 2 / 4 = 0.5
        self.assertAlmostEqual(optimality_gap(scores), 0.5, places=12)
        # gamma 2: 1.5, 0.8, 1.0, 2.5 -> 5.8 / 4 = 1.45
        self.assertAlmostEqual(optimality_gap(scores, gamma=2.0), 1.45, places=12)
        # every score at or above gamma: no gap
        self.assertEqual(optimality_gap(np.full((3, 2), 5.0)), 0.0)
        record("optimality_gap vs hand-computed values", optimality_gap(scores), 0.5)
        record("optimality_gap vs hand-computed values", optimality_gap(scores, 2.0), 1.45)

    def test_optimality_gap_is_gamma_minus_clipped_mean(self):
        rng = np.random.default_rng(3)
        for runs, tasks in random_shapes(rng, 50):
            x = rng.normal(1.0, 1.0, size=(runs, tasks))
            for gamma in (0.0, 1.0, 2.5):
                expected = gamma - np.clip(x, None, gamma).mean()
                self.assertLess(record("optimality_gap vs gamma - mean(min(x, gamma))",
                                       optimality_gap(x, gamma), expected), 1e-12)


class BootstrapTest(unittest.TestCase):
    def test_constant_sample_has_zero_width(self):
        for statistic in (iqm, mean, median, optimality_gap):
            point, low, high = bootstrap_ci(np.full((5, 3), 0.7), statistic, reps=200)
            self.assertEqual((point, low), (low, high))
            self.assertAlmostEqual(point, statistic(np.full((5, 3), 0.7)))

    def test_mean_of_large_normal_sample_matches_normal_theory(self):
        # n = 10_000 normal draws: the bootstrap CI of the mean should be the normal
        # theory interval mean +- 1.96 sd / sqrt(n). Tolerance: each endpoint within 10 %
        # of the half-width (the Monte Carlo error of a 2.5 % quantile of 2000 replicates
        # is about 6 % of a standard error, so this is about 4 of those).
        x = np.random.default_rng(11).normal(3.0, 2.0, size=10_000)
        half = 1.959964 * x.std(ddof=1) / math.sqrt(x.size)
        point, low, high = bootstrap_ci(x, statistic=mean, reps=2000, random_state=5)
        self.assertAlmostEqual(point, x.mean(), places=12)
        for ours, theory in ((low, x.mean() - half), (high, x.mean() + half)):
            diff = record("bootstrap CI of a mean vs normal theory mean +- 1.96 sd/sqrt(n)",
                          ours, theory)
            record("bootstrap CI of a mean vs normal theory, / half-width", diff / half, 0.0)
            self.assertLess(diff, 0.1 * half)

    def test_resamples_are_stratified(self):
        # Task t holds values 100 t + run: a resample of column t may only contain
        # column t's values, and every resample keeps the (runs, tasks) shape.
        runs, tasks = 6, 4
        scores = 100.0 * np.arange(tasks)[None, :] + np.arange(runs)[:, None]
        seen = []

        def recorder(s):
            seen.append(s.copy())
            return float(np.mean(s))

        bootstrap_ci(scores, statistic=recorder, reps=300)
        self.assertEqual(len(seen), 301)  # the point estimate, then 300 resamples
        self.assertTrue(np.array_equal(seen[0], scores))
        for s in seen[1:]:
            self.assertEqual(s.shape, (runs, tasks))
            for t in range(tasks):
                self.assertTrue(np.isin(s[:, t], scores[:, t]).all())
        # Columns are drawn independently: some resample draws different run indices
        # for different tasks (row-wise resampling never would).
        picked = np.stack([s - 100.0 * np.arange(tasks) for s in seen[1:]])
        self.assertTrue(np.any(picked[:, :, 0] != picked[:, :, 1]))

    def test_reproducible_given_random_state(self):
        x = np.random.default_rng(2).normal(size=(5, 3))
        a = bootstrap_ci(x, reps=500, random_state=42)
        self.assertEqual(a, bootstrap_ci(x, reps=500, random_state=42))
        self.assertNotEqual(a, bootstrap_ci(x, reps=500, random_state=43))
        self.assertEqual(a[0], bootstrap_ci(x, reps=500, random_state=43)[0])  # same point

    def test_vector_statistic(self):
        x = np.random.default_rng(4).normal(size=(8, 5))
        point, low, high = bootstrap_ci(x, statistic=aggregates, reps=400, random_state=9)
        self.assertEqual(point.shape, (4,))
        self.assertEqual(low.shape, (4,))
        self.assertTrue(np.all(low <= high))
        # Same resamples as the scalar statistic with the same random_state.
        for i, statistic in enumerate((iqm, mean, median, optimality_gap)):
            self.assertEqual((point[i], low[i], high[i]),
                             bootstrap_ci(x, statistic, reps=400, random_state=9))

    def test_basic_is_percentile_reflected(self):
        x = np.random.default_rng(6).exponential(size=(10, 2))
        point, p_low, p_high = bootstrap_ci(x, reps=300, method="percentile")
        b_point, b_low, b_high = bootstrap_ci(x, reps=300, method="basic")
        self.assertEqual(point, b_point)
        self.assertAlmostEqual(b_low, 2 * point - p_high, places=12)
        self.assertAlmostEqual(b_high, 2 * point - p_low, places=12)

    def test_wider_with_higher_confidence(self):
        x = np.random.default_rng(8).normal(size=(10, 3))
        _, low90, high90 = bootstrap_ci(x, reps=500, confidence=0.90)
        _, low99, high99 = bootstrap_ci(x, reps=500, confidence=0.99)
        self.assertLess(low99, low90)
        self.assertGreater(high99, high90)


class ProbabilityOfImprovementTest(unittest.TestCase):
    def test_hand_computed(self):
        # x = 1 2 3 vs y = 2 2: 1 loses twice (0), 2 ties twice (1/2 + 1/2), 3 wins twice
        # (2) -> 3 / (3 * 2) = 0.5
        self.assertEqual(probability_of_improvement([1, 2, 3], [2, 2]), 0.5)
        # x = 3 4 vs y = 1 3 5: 3 -> 1 + 1/2 + 0, 4 -> 1 + 1 + 0 -> 3.5 / 6
        self.assertAlmostEqual(probability_of_improvement([3, 4], [1, 3, 5]), 3.5 / 6)
        # two tasks, averaged: task 0 above as 3.5/6, task 1 x always higher (1)
        x = np.array([[3, 10], [4, 11]])
        y = np.array([[1, 0], [3, 1], [5, 2]])
        self.assertAlmostEqual(probability_of_improvement(x, y), (3.5 / 6 + 1) / 2)

    def test_closed_forms(self):
        y = np.random.default_rng(1).normal(size=(7, 3))
        self.assertEqual(probability_of_improvement(y + 100, y), 1.0)
        self.assertEqual(probability_of_improvement(y - 100, y), 0.0)
        self.assertEqual(probability_of_improvement(y, y), 0.5)  # only self-ties are 1/2 pairs
        self.assertEqual(probability_of_improvement(np.ones((4, 2)), np.ones((9, 2))), 0.5)

    def test_matches_scipy_mann_whitney(self):
        rng = np.random.default_rng(12)
        for _ in range(200):
            n, m, tasks = (int(v) for v in rng.integers(1, 25, size=3))
            tasks = tasks % 6 + 1
            if rng.random() < 0.5:  # ties within and across samples
                x = rng.integers(0, 5, size=(n, tasks)).astype(float)
                y = rng.integers(0, 5, size=(m, tasks)).astype(float)
            else:
                x = rng.normal(0.3, 1.0, size=(n, tasks))
                y = rng.normal(0.0, 1.0, size=(m, tasks))
            per_task = [scipy.stats.mannwhitneyu(x[:, t], y[:, t]).statistic / (n * m)
                        for t in range(tasks)]
            with self.subTest(n=n, m=m, tasks=tasks):
                self.assertLess(record("probability_of_improvement vs mannwhitneyu U/(n m)",
                                       probability_of_improvement(x, y), np.mean(per_task)),
                                1e-12)
                # P(X > Y) + P(Y > X) = 1 with ties split in half
                self.assertAlmostEqual(probability_of_improvement(x, y)
                                       + probability_of_improvement(y, x), 1.0, places=12)

    def test_ci(self):
        rng = np.random.default_rng(13)
        x, y = rng.normal(0.5, 1, size=(10, 4)), rng.normal(0, 1, size=(6, 4))
        point, low, high = probability_of_improvement_ci(x, y, reps=500, random_state=1)
        self.assertEqual(point, probability_of_improvement(x, y))
        self.assertTrue(0.0 <= low <= point <= high <= 1.0)
        self.assertEqual((point, low, high),
                         probability_of_improvement_ci(x, y, reps=500, random_state=1))
        self.assertEqual(probability_of_improvement_ci(y + 100, y, reps=50), (1.0, 1.0, 1.0))

    def test_ci_resamples_both(self):
        # x constant: only y's resampling can move the estimate
        x = np.zeros((5, 1))
        y = np.array([[-1.0], [1.0], [-1.0], [1.0]])
        _, low, high = probability_of_improvement_ci(x, y, reps=300)
        self.assertLess(low, high)
        _, low, high = probability_of_improvement_ci(y, x, reps=300)
        self.assertLess(low, high)


class PerformanceProfileTest(unittest.TestCase):
    def test_direct_count(self):
        scores = np.array([[0.1, 2.0], [0.5, 1.0], [0.5, -3.0]])
        flat = scores.ravel().tolist()
        taus = [-5, -3.0, 0.0, 0.1, 0.3, 0.5, 1.0, 1.5, 2.0, 9]  # include ties: strictly >
        ours = performance_profile(scores, taus)
        direct = [sum(1 for v in flat if v > tau) / len(flat) for tau in taus]
        record("performance_profile vs direct count", ours, direct)
        self.assertEqual(ours.tolist(), direct)
        # by hand: above 0.5 are 2.0 and 1.0 -> 2/6; above 0.0 all but -3.0 -> 5/6
        self.assertEqual(ours[taus.index(0.5)], 2 / 6)
        self.assertEqual(ours[taus.index(0.0)], 5 / 6)

    def test_random_direct_count_and_monotone(self):
        rng = np.random.default_rng(14)
        for runs, tasks in random_shapes(rng, 30):
            x = rng.integers(-3, 4, size=(runs, tasks)).astype(float)
            taus = np.sort(rng.uniform(-4, 4, size=20).round(0))
            ours = performance_profile(x, taus)
            direct = [(x > tau).sum() / x.size for tau in taus]
            self.assertLess(record("performance_profile vs direct count", ours, direct), 1e-15)
            self.assertTrue(np.all(np.diff(ours) <= 0))
            # pooled fraction = mean over tasks of per-task fractions (equal runs per task)
            per_task = np.mean([(x[:, t][:, None] > taus).mean(axis=0) for t in range(tasks)],
                               axis=0)
            self.assertLess(record("performance_profile vs mean of per-task fractions",
                                   ours, per_task), 1e-12)

    def test_scalar_tau(self):
        self.assertEqual(float(performance_profile([1, 2, 3, 4], 2.5)), 0.5)

    def test_ci(self):
        x = np.random.default_rng(15).normal(size=(10, 3))
        taus = np.linspace(-3, 3, 13)
        profile, low, high = performance_profile_ci(x, taus, reps=400)
        self.assertEqual(profile.shape, taus.shape)
        self.assertTrue(np.array_equal(profile, performance_profile(x, taus)))
        self.assertTrue(np.all(low <= high))
        self.assertTrue(np.all((low >= 0) & (high <= 1)))
        self.assertEqual((profile[0], low[0], high[0]), (1.0, 1.0, 1.0))  # below every score
        self.assertEqual((profile[-1], low[-1], high[-1]), (0.0, 0.0, 0.0))
        p2, l2, h2 = performance_profile_ci(x, taus, reps=400)
        self.assertTrue(np.array_equal(l2, low) and np.array_equal(h2, high))


class AggregateTableTest(unittest.TestCase):
    def test_columns_and_values(self):
        rng = np.random.default_rng(16)
        groups = {"ours": rng.normal(1, 1, size=(5, 3)), "baseline": rng.normal(0, 1, size=(7, 3))}
        table = aggregate_table(groups, reps=300, random_state=2)
        self.assertIsInstance(table, pd.DataFrame)
        self.assertEqual(list(table.index), ["ours", "baseline"])
        self.assertEqual(table.index.name, "variant")
        expected = ["runs", "tasks"]
        for agg in ("iqm", "mean", "median", "optimality_gap"):
            expected += [agg, f"{agg}_low", f"{agg}_high"]
        self.assertEqual(list(table.columns), expected)
        self.assertEqual(table.loc["baseline", "runs"], 7)
        for name, scores in groups.items():
            for agg, statistic in (("iqm", iqm), ("mean", mean), ("median", median),
                                   ("optimality_gap", optimality_gap)):
                point, low, high = bootstrap_ci(scores, statistic, reps=300, random_state=2)
                self.assertAlmostEqual(table.loc[name, agg], point, places=12)
                self.assertAlmostEqual(table.loc[name, f"{agg}_low"], low, places=12)
                self.assertAlmostEqual(table.loc[name, f"{agg}_high"], high, places=12)

    def test_row_does_not_depend_on_other_variants(self):
        rng = np.random.default_rng(17)
        a, b = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
        both = aggregate_table({"a": a, "b": b}, reps=200)
        alone = aggregate_table({"b": b}, reps=200)
        pd.testing.assert_series_equal(both.loc["b"], alone.loc["b"])


class ShapeErrorTest(unittest.TestCase):
    """Every bad input is a ValueError naming the argument and its shape."""

    ONE = {  # functions of one score array, by the argument name their errors use
        "iqm": (iqm, "scores"),
        "mean": (mean, "scores"),
        "median": (median, "scores"),
        "optimality_gap": (optimality_gap, "scores"),
        "bootstrap_ci": (lambda s: bootstrap_ci(s, reps=5), "scores"),
        "performance_profile": (lambda s: performance_profile(s, [0.0]), "scores"),
        "performance_profile_ci": (lambda s: performance_profile_ci(s, [0.0], reps=5), "scores"),
        "aggregate_table": (lambda s: aggregate_table({"v": s}, reps=5), "groups['v']"),
        "poi x": (lambda s: probability_of_improvement(s, np.ones((3, 1))), "x"),
        "poi y": (lambda s: probability_of_improvement(np.ones((3, 1)), s), "y"),
        "poi_ci x": (lambda s: probability_of_improvement_ci(s, np.ones((3, 1)), reps=5), "x"),
        "poi_ci y": (lambda s: probability_of_improvement_ci(np.ones((3, 1)), s, reps=5), "y"),
    }

    def assert_error(self, call, arg, shape_text, *more):
        with self.assertRaises(ValueError) as cm:
            call()
        message = str(cm.exception)
        for part in (arg, shape_text) + more:
            self.assertIn(part, message)

    def test_one_dimensional_is_accepted(self):
        for name, (f, _) in self.ONE.items():
            with self.subTest(f=name):
                f(np.array([0.0, 1.0, 2.0]))

    def test_three_dimensional(self):
        for name, (f, arg) in self.ONE.items():
            with self.subTest(f=name):
                self.assert_error(lambda: f(np.zeros((2, 2, 2))), arg, "(2, 2, 2)", "3-D")
                self.assert_error(lambda: f(np.float64(1.0)), arg, "()", "0-D")

    def test_empty(self):
        for name, (f, arg) in self.ONE.items():
            for shape in ((0,), (0, 3), (3, 0)):
                with self.subTest(f=name, shape=shape):
                    self.assert_error(lambda: f(np.zeros(shape)), arg, str(shape), "empty")

    def test_nan_and_inf(self):
        for name, (f, arg) in self.ONE.items():
            for bad in (np.nan, np.inf):
                x = np.ones((3, 2))
                x[1, 1] = bad
                with self.subTest(f=name, bad=bad):
                    self.assert_error(lambda: f(x), arg, "(3, 2)", "NaN")

    def test_non_numeric(self):
        self.assert_error(lambda: iqm(["a", "b"]), "scores", "")

    def test_one_run_where_a_ci_resamples(self):
        cis = ("bootstrap_ci", "performance_profile_ci", "aggregate_table", "poi_ci x",
               "poi_ci y")
        for name in cis:
            f, arg = self.ONE[name]
            with self.subTest(f=name):
                self.assert_error(lambda: f(np.ones((1, 3)) if "poi" not in name
                                            else np.ones((1, 1))), arg,
                                  "(1, 3)" if "poi" not in name else "(1, 1)", "1 run")
        # no resampling, no minimum
        self.assertEqual(iqm(np.ones((1, 3))), 1.0)
        self.assertEqual(probability_of_improvement([[2.0]], [[1.0]]), 1.0)

    def test_tasks_mismatch(self):
        x, y = np.ones((4, 2)), np.ones((5, 3))
        self.assert_error(lambda: probability_of_improvement(x, y), "x", "(4, 2)", "y",
                          "(5, 3)", "tasks")
        self.assert_error(lambda: probability_of_improvement_ci(x, y, reps=5), "x", "(4, 2)",
                          "(5, 3)")
        # 1-D is one task: (4,) against (5, 2) is a mismatch too
        self.assert_error(lambda: probability_of_improvement(np.ones(4), np.ones((5, 2))),
                          "(4,)", "(5, 2)")

    def test_bad_bootstrap_arguments(self):
        x = np.ones((3, 2))
        for kwargs, word in (({"reps": 0}, "reps"), ({"reps": 2.5}, "reps"),
                             ({"confidence": 1.0}, "confidence"),
                             ({"confidence": 0.0}, "confidence"),
                             ({"method": "bca"}, "method")):
            with self.subTest(**kwargs):
                self.assert_error(lambda: bootstrap_ci(x, **kwargs), word, "")
        self.assert_error(lambda: performance_profile(x, [[0.0]]), "taus", "(1, 1)")
        self.assert_error(lambda: performance_profile(x, []), "taus", "(0,)")
        self.assert_error(lambda: performance_profile(x, [np.nan]), "taus", "NaN")
        self.assert_error(lambda: optimality_gap(x, gamma=np.inf), "gamma", "")
        self.assert_error(lambda: aggregate_table({}), "groups", "")

    def test_statistic_with_varying_shape(self):
        calls = []

        def unstable(s):
            calls.append(1)
            return np.zeros(len(calls) % 2 + 1)

        self.assert_error(lambda: bootstrap_ci(np.ones((3, 2)), unstable, reps=3),
                          "statistic", "")


if __name__ == "__main__":
    unittest.main()
