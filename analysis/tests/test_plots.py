"""plots.py: every figure's numbers against an independent computation (numpy counts,
pandas group means, stats.bootstrap_ci on the same per-seed values), read back from the
plotted artists, and figure_problems on good and bad figures.

    cd analysis && /usr/bin/python3 -m unittest discover -s tests -v
"""

import os
import sys
import tempfile
import unittest
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402
from teamsrl_analysis import Run, load_run, load_sweep, stats  # noqa: E402
from teamsrl_analysis import plots  # noqa: E402

REPS = 200  # enough to compare with stats.bootstrap_ci called the same way


def by_gid(fig, gid):
    """Every artist of ``fig`` with gid ``gid``."""
    return [a for a in fig.findobj() if a.get_gid() == gid]


def clone(run, evals=None, **tables):
    """A Run like ``run`` with some tables replaced (and its eval groups, if given)."""
    return Run(run.path, {**run, **tables}, dict(run.attrs), run.policies, run.commit, None,
               run.eval if evals is None else evals)


def poly_ys_at(poly, x):
    """The y values of the vertices of ``poly``'s paths at abscissa ``x``."""
    v = np.concatenate([p.vertices for p in poly.get_paths()])
    return v[np.isclose(v[:, 0], x), 1]


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = os.path.join(cls.tmp.name, "sw")
        os.makedirs(cls.dir)
        cls.manifest = synthetic.write_sweep(cls.dir, iterations=6)
        cls.sweep = load_sweep(cls.dir)
        cls.train = load_run(cls.sweep.tasks.run_file[0])
        t = cls.sweep.tasks
        cls.generate = cls.sweep.runs[t.task[t.stage == "generate"].iloc[0]]
        cls.baseline = cls.sweep.runs[t.task[t.stage == "baseline"].iloc[0]]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assertGoodFigure(self, fig):
        self.assertIsInstance(fig, Figure)
        self.assertEqual(plots.figure_problems(fig), [])
        self.assertTrue(plots.figure_has_data(fig))
        fig.savefig(os.path.join(self.tmp.name, "f.png"), dpi=40)  # it renders


class LearningCurvesTest(Fixture):
    def test_table_means_and_ci_equal_direct_computation(self):
        its = self.sweep.iterations
        table = plots.learning_curve_table(its, by="policy.type", reps=REPS, random_state=3)
        self.assertEqual(len(table), 2 * 6)
        for _, row in table.iterrows():
            at = its[(its["policy.type"] == row.variant) & (its.iteration == row.iteration)]
            values = at.sort_values("task", key=lambda c: c.map(
                {t: i for i, t in enumerate(its.task.unique())})).mean_return.to_numpy()
            self.assertEqual(row.runs, 3)
            self.assertAlmostEqual(row["mean"], values.mean())
            point, low, high = stats.bootstrap_ci(values, statistic=stats.mean, reps=REPS,
                                                  random_state=3)
            self.assertAlmostEqual(row["mean"], point)
            self.assertEqual((row.low, row.high), (low, high))

    def test_plotted_line_and_band_are_the_table(self):
        its = self.sweep.iterations
        table = plots.learning_curve_table(its, by="policy.type", reps=REPS)
        fig = plots.learning_curves(its, by="policy.type", reps=REPS)
        self.assertGoodFigure(fig)
        for variant, curve in table.groupby("variant"):
            (line,) = by_gid(fig, f"mean:{variant}")
            np.testing.assert_array_equal(line.get_xdata(), curve.iteration)
            np.testing.assert_allclose(line.get_ydata(), curve["mean"])
            (band,) = by_gid(fig, f"band:{variant}")
            for _, row in curve.iterrows():
                ys = poly_ys_at(band, row.iteration)
                self.assertAlmostEqual(ys.min(), row.low)
                self.assertAlmostEqual(ys.max(), row.high)
        self.assertIsNotNone(fig.axes[0].get_legend())

    def test_sweep_and_dict_of_runs_give_the_same_curves(self):
        from_sweep = plots.learning_curve_table(self.sweep, reps=REPS)
        t = self.sweep.tasks
        runs = {v: [self.sweep.runs[i] for i in t.task[(t.stage == "train") &
                                                       (t["policy.type"] == v)]]
                for v in ("categorical", "uniform")}
        from_runs = plots.learning_curve_table(runs, reps=REPS)
        pd.testing.assert_frame_equal(from_sweep, from_runs)
        self.assertGoodFigure(plots.learning_curves(runs, reps=REPS))

    def test_one_run_has_no_band(self):
        fig = plots.learning_curves({"only": [self.train]}, reps=REPS)
        self.assertEqual(by_gid(fig, "band:only"), [])
        (line,) = by_gid(fig, "mean:only")
        np.testing.assert_allclose(line.get_ydata(), self.train.iterations.mean_return)
        self.assertGoodFigure(fig)

    def test_runs_of_different_length(self):
        short = clone(self.train, iterations=self.train.iterations.iloc[:2])
        table = plots.learning_curve_table({"v": [self.train, short]}, reps=REPS)
        self.assertEqual(list(table.runs), [2, 2, 1, 1, 1, 1])
        self.assertTrue(table.low.iloc[2:].isna().all())

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "no column 'nope'"):
            plots.learning_curve_table(self.sweep.iterations, metric="nope")
        with self.assertRaises(TypeError):
            plots.learning_curves([1, 2, 3])


class RunFiguresTest(Fixture):
    def test_action_shares_match_a_manual_count(self):
        shares = plots.action_shares(self.train)
        steps = self.train.steps
        codes = steps.action.cat.codes.to_numpy()
        for it in steps.iteration.unique():
            counts = np.bincount(codes[steps.iteration == it], minlength=6)
            np.testing.assert_allclose(shares.loc[it].to_numpy(), counts / counts.sum())
        np.testing.assert_allclose(shares.sum(axis=1), 1.0)
        self.assertEqual(list(shares.columns), synthetic.ACTIONS)

    def test_action_mix_areas_stack_the_shares(self):
        shares = plots.action_shares(self.train)
        fig = plots.action_mix(self.train)
        self.assertGoodFigure(fig)
        cumulative = shares.cumsum(axis=1)
        for action in shares.columns:
            (area,) = by_gid(fig, f"share:{action}")
            for it in shares.index:
                self.assertAlmostEqual(poly_ys_at(area, it).max(), cumulative.at[it, action])
        self.assertAlmostEqual(cumulative.iloc[:, -1].min(), 1.0)

    def test_action_mix_of_generated_samples(self):
        shares = plots.action_shares(self.generate)
        samples = self.generate.samples
        self.assertEqual(list(shares.index), sorted(samples.round_or_step.unique()))
        first = samples[samples.round_or_step == 0].action.value_counts(normalize=True)
        for action, share in first.items():
            self.assertAlmostEqual(shares.at[0, action], share)
        self.assertGoodFigure(plots.action_mix(self.generate))

    def test_calls_by_role(self):
        table = plots.calls_by_role_table(self.train)
        calls = self.train.calls
        for _, row in table.iterrows():
            mine = calls[(calls.iteration == row.iteration) & (calls.role == row.role)]
            self.assertEqual(row.queries, len(mine))
            self.assertEqual(row.tokens, mine.prompt_tokens.sum() + mine.completion_tokens.sum())
        self.assertEqual(set(table.role), {"rewriter", "reviewer"})  # no responder calls
        fig = plots.calls_by_role(self.train)
        self.assertGoodFigure(fig)
        self.assertEqual(len(fig.axes), 2)
        for role in ("rewriter", "reviewer"):
            part = table[table.role == role]
            (q,) = by_gid(fig, f"queries:{role}")
            (t,) = by_gid(fig, f"tokens:{role}")
            np.testing.assert_array_equal(q.get_ydata(), part.queries)
            np.testing.assert_array_equal(t.get_ydata(), part.tokens)
        self.assertIn("generation step", plots.calls_by_role(self.generate).axes[0].get_xlabel())
        self.assertIn("round", plots.calls_by_role(self.baseline).axes[0].get_xlabel())

    def test_reward_vs_queries(self):
        its = self.sweep.iterations
        table = plots.reward_vs_queries_table(its, by="policy.type")
        for variant in ("categorical", "uniform"):
            mine = its[its["policy.type"] == variant]
            cum = mine.groupby("task").queries.cumsum()
            want_x = cum.groupby(mine.iteration).mean()
            want_y = mine.groupby("iteration").mean_return.mean()
            got = table[table.variant == variant]
            np.testing.assert_allclose(got.queries, want_x)
            np.testing.assert_allclose(got["mean"], want_y)
        fig = plots.reward_vs_queries(its, by="policy.type")
        self.assertGoodFigure(fig)
        (line,) = by_gid(fig, "mean:uniform")
        np.testing.assert_allclose(line.get_xdata(), table[table.variant == "uniform"].queries)
        task = its.task.iloc[0]
        (thin,) = by_gid(fig, f"run:{task}")
        np.testing.assert_array_equal(thin.get_xdata(), its[its.task == task].queries.cumsum())


class TeamsVsEvolTest(Fixture):
    def test_query_table_is_budget_ratio(self):
        table = plots.query_table(self.generate, self.baseline, self.train)
        gb = self.generate.budget.set_index(self.generate.budget.role.astype(str)).queries
        bb = self.baseline.budget.set_index(self.baseline.budget.role.astype(str)).queries
        self.assertEqual(list(table.index), ["rewriter", "reviewer", "responder", "total"])
        for role in table.index:
            self.assertEqual(table.at[role, "teams_rl"], gb[role])
            self.assertEqual(table.at[role, "evol_instruct"], bb[role])
            self.assertAlmostEqual(table.at[role, "share"], gb[role] / bb[role])
        self.assertEqual(table.at["total", "teams_rl_training"], len(self.train.calls))

    def test_figure_reads_back(self):
        table = plots.query_table(self.generate, self.baseline, self.train)
        fig = plots.teams_vs_evol(self.generate, self.baseline, self.train)
        self.assertGoodFigure(fig)
        self.assertEqual(len(fig.axes), 3)
        heights = [b.get_height() for b in by_gid(fig, "queries:TeaMs-RL")]
        np.testing.assert_array_equal(heights, table.teams_rl)
        widths = [b.get_width() for b in by_gid(fig, "metric:TeaMs-RL")]
        m = self.generate.eval["dataset"]
        self.assertAlmostEqual(widths[0], m["distinct_1"])
        self.assertAlmostEqual(widths[1], m["distinct_2"])
        share = [b.get_height() for b in by_gid(fig, "share")]
        np.testing.assert_allclose(share[:4], 100 * table.share)
        total = table.loc["total"]
        self.assertAlmostEqual(share[4], 100 * (total.teams_rl + total.teams_rl_training) /
                               total.evol_instruct)
        self.assertIn(f"{100 * total.share:.2f} %", fig._suptitle.get_text())

    def test_without_eval_the_metrics_panel_is_left_out(self):
        g, b = clone(self.generate, evals={}), clone(self.baseline, evals={})
        fig = plots.teams_vs_evol(g, b)
        self.assertGoodFigure(fig)
        self.assertEqual(len(fig.axes), 2)


class AblationTest(Fixture):
    def scores(self):
        rng = np.random.default_rng(5)
        return {"a": rng.normal(1, 0.2, (5, 2)), "b": rng.normal(0.5, 0.2, (5, 2)),
                "c": rng.normal(0.8, 0.2, (4, 2))}

    def test_tables_are_stats(self):
        s = self.scores()
        aggregate, poi = plots.ablation_tables(s, reps=REPS, random_state=1)
        pd.testing.assert_frame_equal(aggregate, stats.aggregate_table(s, reps=REPS,
                                                                       random_state=1))
        for x in s:
            for y in s:
                self.assertEqual(poi.at[x, y], stats.probability_of_improvement(s[x], s[y]))
        np.testing.assert_allclose(np.diag(poi), 0.5)

    def test_grid_reads_back(self):
        s = self.scores()
        aggregate, poi = plots.ablation_tables(s, reps=REPS)
        fig = plots.ablation_grid(s, reps=REPS, metric="final return")
        self.assertGoodFigure(fig)
        (iqm,) = by_gid(fig, "iqm")
        np.testing.assert_allclose(iqm.get_xdata(), aggregate.iqm)
        (image,) = by_gid(fig, "poi")
        np.testing.assert_allclose(image.get_array(), poi.to_numpy())
        texts = sorted(t.get_text() for t in fig.axes[1].texts)
        self.assertEqual(texts, sorted(f"{v:.2f}" for v in poi.to_numpy().ravel()))
        self.assertIn("final return", fig.axes[0].get_xlabel())

    def test_from_a_sweep(self):
        from teamsrl_analysis import scores
        fig = plots.ablation_grid(scores(self.sweep, by=["policy.type"]), reps=REPS)
        self.assertGoodFigure(fig)


class FigureCheckTest(unittest.TestCase):
    def good(self):
        fig = Figure()
        ax = fig.add_subplot()
        ax.plot([0, 1], [1, 2], label="a")
        ax.set_xlabel("x (s)")
        ax.set_ylabel("y")
        ax.set_title("t")
        return fig, ax

    def test_good_figure(self):
        fig, _ = self.good()
        self.assertTrue(plots.figure_has_data(fig))
        plots.check_figure(fig)

    def test_each_problem_is_named(self):
        fig, ax = self.good()
        ax.set_xlabel("")
        self.assertEqual(plots.figure_problems(fig), ["axes 0 (t): no x label"])
        fig, ax = self.good()
        ax.set_title("")
        self.assertIn("no title", plots.figure_problems(fig)[0])
        fig, ax = self.good()
        ax.plot([0, 1], [3, 4], label="b")
        self.assertIn("2 labelled series but no legend", plots.figure_problems(fig)[0])
        ax.legend()
        self.assertEqual(plots.figure_problems(fig), [])
        fig, ax = self.good()
        empty = fig.add_subplot(212)
        empty.set_xlabel("x")
        empty.set_ylabel("y")
        self.assertEqual(plots.figure_problems(fig), ["axes 1 (untitled): no finite plotted data"])
        self.assertFalse(plots.figure_has_data(fig))
        with self.assertRaisesRegex(ValueError, "no finite plotted data"):
            plots.check_figure(fig)
        self.assertEqual(plots.figure_problems(Figure()), ["the figure has no axes"])

    def test_nan_only_data_is_no_data(self):
        fig = Figure()
        ax = fig.add_subplot()
        ax.plot([np.nan, np.nan], [1, 2])
        ax.bar([0], [np.nan])
        ax.fill_between([0, 1], [np.nan, np.nan], [np.nan, np.nan])
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title("t")
        self.assertEqual(plots.figure_problems(fig), ["axes 0 (t): no finite plotted data"])

    def test_bars_images_and_areas_are_data(self):
        for draw in (lambda ax: ax.bar([0, 1], [1, 0]), lambda ax: ax.imshow(np.eye(2)),
                     lambda ax: ax.fill_between([0, 1], [0, 0], [1, 1]),
                     lambda ax: ax.scatter([1], [2])):
            fig = Figure()
            ax = fig.add_subplot()
            draw(ax)
            ax.set_xlabel("x")
            ax.set_ylabel("y")
            ax.set_title("t")
            self.assertEqual(plots.figure_problems(fig), [])

    def test_colorbar_needs_a_label(self):
        fig = Figure()
        ax = fig.add_subplot()
        image = ax.imshow(np.eye(2))
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title("t")
        fig.colorbar(image, ax=ax)
        self.assertEqual(plots.figure_problems(fig), ["axes 1 (untitled): colorbar without label"])


if __name__ == "__main__":
    unittest.main()
