"""One self-contained HTML report of a run or a sweep.

    python3 -m teamsrl_analysis.report RUN_OR_SWEEP [--out report.html] [--title TEXT] [--overwrite]

RUN_OR_SWEEP is a run file (``run.h5``, ``generate.h5``, ``baseline.h5``), a directory
holding one, or a sweep directory (``DIR/sweep.json``, written by ``teamsrl sweep
--local``). The page shows what was run (configuration, teamsrl version, ranks, SLURM ids,
command, times), its status, the figures, a statistics table with bootstrap confidence
intervals and the LLM budget used. Figures are embedded PNGs, the style sheet is inline,
there is no script and no reference to anything outside the file: it opens offline, from
a mail attachment or a CI artifact.

Exit codes as teamsrl's: 0 written, 2 bad usage, a path that is neither a run nor a
sweep, or an output that exists (``--overwrite``), is a link or cannot be created.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import html
import io
import os
import sys
import tempfile
import traceback
from typing import Iterable, List, Optional, Sequence

import numpy as np
import pandas as pd

RUN_FILES = ("run.h5", "generate.h5", "baseline.h5")
REPS = 2000  # bootstrap resamples of every confidence interval (--reps)
SWEEP_MANIFEST = "sweep.json"
REPRODUCIBILITY = "reproducibility.txt"

# Run attributes shown in "What was run", in this order (others go to "all attributes").
RUN_FIELDS = [
    ("run_name", "run"), ("kind", "kind"), ("teamsrl_version", "teamsrl"),
    ("git_describe", "git"), ("build_simd", "instruction set"), ("command", "command line"),
    ("launcher", "launcher"),
    ("world_size", "ranks (world size)"), ("actors", "actors"), ("hostnames", "hosts"),
    ("seed", "seed"), ("slurm_job_id", "SLURM job"), ("slurm_array_task_id", "SLURM array task"),
    ("slurm_restart_count", "SLURM restarts"), ("slurm_nodelist", "SLURM nodes"),
    ("started_at", "started"), ("finished_at", "finished"), ("duration", "duration"),
    ("restarts", "restarts (resumes)"), ("resumed_at", "resumed at"),
    ("policy_file", "policy file"), ("policy_name", "policy"),
    ("seeds_usable", "seeds usable"), ("seeds_skipped", "seeds skipped"),
    ("sweep_id", "sweep"), ("sweep_task", "sweep task"), ("sweep_stage", "sweep stage"),
    ("sweep_point", "sweep point"), ("sweep_dir", "sweep directory"),
]
HIDDEN_ATTRS = {"config_yaml", "commit_token", "schema_version"}
STATUS_CLASS = {"completed": "ok", "running": "run", "budget_exhausted": "warn",
                "preempted": "warn", "failed": "bad", "killed": "bad", "missing": "bad",
                "unreadable": "bad"}

CSS = """
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dde5; --bg:#ffffff; --panel:#f5f7fa;
        --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --run:#0969da; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--fg); background: var(--bg); margin: 0; }
header { background: #24324a; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: #c9d3e3; font-size: 13px; }
nav { padding: 8px 32px; background: var(--panel); border-bottom: 1px solid var(--line);
      font-size: 13px; }
nav a { margin-right: 16px; color: var(--run); text-decoration: none; }
main { padding: 8px 32px 40px; max-width: 1520px; }
h2 { font-size: 19px; border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { width: 190px; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 10px; overflow-x: auto;
      max-height: 480px; }
td code { word-break: break-all; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 10px; color: #fff;
         font-weight: 600; font-size: 13px; }
.badge.ok { background: var(--ok); } .badge.warn { background: var(--warn); }
.badge.bad { background: var(--bad); } .badge.run { background: var(--run); }
.badge.other { background: var(--muted); }
.figures { display: flex; flex-wrap: wrap; gap: 18px; }
figure { margin: 0; border: 1px solid var(--line); padding: 8px; background: #fff; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; max-width: 640px; }
.note { color: var(--muted); font-size: 13px; }
.error { color: var(--bad); }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--run); }
footer { color: var(--muted); font-size: 12px; padding: 12px 32px; border-top: 1px solid var(--line); }
"""


class ReportError(Exception):
    """A problem with the input or output the user can fix (exit 2)."""


# ----------------------------------------------------------------------------- inputs

def find_target(path: str):
    """("run", run_file) or ("sweep", sweep_dir) for ``path``; ReportError otherwise."""
    if not os.path.exists(path):
        raise ReportError(f"{path}: no such file or directory")
    if os.path.isfile(path):
        if os.path.basename(path) == SWEEP_MANIFEST:
            return "sweep", os.path.dirname(os.path.abspath(path))
        with open(path, "rb") as f:
            magic = f.read(8)
        if magic != b"\x89HDF\r\n\x1a\n":
            raise ReportError(f"{path}: not an HDF5 run file (give a run file such as run.h5, "
                              f"a run directory holding one, or a sweep directory with "
                              f"{SWEEP_MANIFEST})")
        return "run", path
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, SWEEP_MANIFEST)):
            return "sweep", path
        for name in RUN_FILES:
            candidate = os.path.join(path, name)
            if os.path.isfile(candidate):
                return "run", candidate
        raise ReportError(f"{path}: neither a run directory (no {', '.join(RUN_FILES)}) nor a "
                          f"sweep directory (no {SWEEP_MANIFEST}; `teamsrl sweep GRID --local` "
                          f"writes it)")
    raise ReportError(f"{path}: not a regular file or directory")


def _load_run(path: str):
    from .runfile import load_run
    try:
        return load_run(path)
    except ValueError as e:  # an HDF5 file, but not a run file (or a newer schema)
        raise ReportError(str(e)) from None
    except OSError as e:
        raise ReportError(f"{path}: cannot read it as a run file: {e}") from None


# ----------------------------------------------------------------------------- HTML bits

def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def badge(status: str) -> str:
    return f'<span class="badge {STATUS_CLASS.get(status, "other")}">{esc(status)}</span>'


def kv_table(rows: Iterable[tuple]) -> str:
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="kv">{body}</table>'


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:.3f}".rstrip("0").rstrip(".")
        return f"{v:.4g}"
    return str(value)


def frame_table(frame: pd.DataFrame, index: bool = True, formats: Optional[dict] = None) -> str:
    """A DataFrame as an HTML table, numbers right-aligned."""
    formats = formats or {}
    cols = list(frame.columns)
    head = ""
    if index:
        head += f"<th>{esc(frame.index.name or '')}</th>"
    for c in cols:
        num = pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        head += f'<th class="{"num" if num else ""}">{esc(c)}</th>'
    rows = []
    for idx, row in frame.iterrows():
        cells = f"<td>{esc(idx)}</td>" if index else ""
        for c in cols:
            v = row[c]
            text = formats[c](v) if c in formats else _fmt(v)
            num = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            cells += f'<td class="{"num" if num else ""}">{esc(text)}</td>'
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def png_data_uri(fig, dpi: int = 96) -> str:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class Figures:
    """Collects figures as <figure> elements. A plot that fails or has no data becomes a
    note naming why, so one bad table does not lose the whole report."""

    def __init__(self):
        self.items: List[str] = []
        self.count = 0

    def add(self, title: str, make, caption: str = ""):
        try:
            fig = make()
        except Exception as e:  # noqa: BLE001 - reported on the page and on stderr
            print(f"report: figure '{title}' failed: {e!r}", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            self.items.append(f'<p class="note error">{esc(title)}: could not be drawn '
                              f'({esc(type(e).__name__)}: {esc(e)})</p>')
            return
        if fig is None or not _has_data(fig):
            if fig is not None:
                import matplotlib.pyplot as plt
                plt.close(fig)
            self.items.append(f'<p class="note">{esc(title)}: no data in this run.</p>')
            return
        self.count += 1
        self.items.append(f'<figure><img alt="{esc(title)}" src="{png_data_uri(fig)}">'
                          f'<figcaption><b>{esc(title)}</b>{(". " + esc(caption)) if caption else ""}'
                          f'</figcaption></figure>')

    def html(self) -> str:
        if not self.items:
            return '<p class="note">No figures.</p>'
        return f'<div class="figures">{"".join(self.items)}</div>'


def _has_data(fig) -> bool:
    try:
        from .plots import figure_has_data
    except ImportError:
        return True
    return bool(figure_has_data(fig))


def page(title: str, subtitle: str, sections: Sequence[tuple]) -> str:
    """sections: (id, heading, html) in order."""
    nav = "".join(f'<a href="#{esc(sid)}">{esc(head)}</a>' for sid, head, _ in sections)
    body = "".join(f'<section id="{esc(sid)}"><h2>{esc(head)}</h2>{content}</section>'
                   for sid, head, content in sections)
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{esc(title)}</h1><p>{subtitle}</p></header>"
            f"<nav>{nav}</nav><main>{body}</main>"
            f"<footer>teamsrl_analysis.report, generated {esc(now)}. Self-contained: figures "
            "are embedded, nothing is loaded from elsewhere.</footer></body></html>\n")


# ----------------------------------------------------------------------------- a run

def _duration(attrs: dict) -> str:
    def parse(s):
        try:
            return _dt.datetime.strptime(str(s), "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return None
    start, end = parse(attrs.get("started_at", "")), parse(attrs.get("finished_at", ""))
    if start is None or end is None:
        return "" if start is None else "(not finished)"
    seconds = int((end - start).total_seconds())
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h {m:02d}m {s:02d}s" if h else (f"{m}m {s:02d}s" if m else f"{s} s")


def run_provenance(run) -> str:
    attrs = dict(run.attrs)
    attrs["kind"] = getattr(run, "kind", "")
    attrs["duration"] = _duration(run.attrs)
    rows = []
    for key, label in RUN_FIELDS:
        value = attrs.get(key)
        if value is None or value == "":
            if key == "slurm_job_id" and key in attrs:
                rows.append(("SLURM", '<span class="note">not under SLURM</span>'))
            continue
        text = esc(_fmt(value) if not isinstance(value, str) else value)
        if key in ("command", "policy_file", "sweep_dir", "sweep_point"):
            text = f"<code>{text}</code>"
        rows.append((label, text))
    rows.append(("run file", f"<code>{esc(os.path.abspath(run.path))}</code>"))
    out = kv_table(rows)
    config = run.attrs.get("config_yaml")
    if config:
        out += ("<details open><summary>Resolved configuration (config_yaml)</summary>"
                f"<pre>{esc(config)}</pre></details>")
    shown = {k for k, _ in RUN_FIELDS} | HIDDEN_ATTRS
    rest = [(k, f"<code>{esc(_fmt(v))}</code>") for k, v in sorted(run.attrs.items())
            if k not in shown]
    if rest:
        out += f"<details><summary>All other attributes ({len(rest)})</summary>{kv_table(rest)}</details>"
    return out


def run_status(run) -> str:
    status = getattr(run, "status", run.attrs.get("status", "unknown"))
    rows = [("status", badge(status))]
    for key in ("error", "stop_reason", "stop_signal", "stop_kind"):
        if run.attrs.get(key):
            rows.append((key.replace("_", " "), esc(run.attrs[key])))
    if status == "running":
        rows.append(("note", "the run was still being written when this report was made "
                             "(the tables hold what it had committed)"))
    if status == "killed":
        rows.append(("note", "the writer is gone but the file says running: the job was "
                             "killed; everything up to its last flush is here"))
    it = run.get("iterations")
    if it is not None and len(it):
        rows.append(("iterations", esc(f"{len(it):,}")))
        rows.append(("episodes / steps", esc(f"{len(run.episodes):,} / {len(run.steps):,}")))
    samples = run.get("samples")
    if samples is not None and len(samples):
        eliminated = int(samples["eliminated"].sum()) if "eliminated" in samples else 0
        rows.append(("samples", esc(f"{len(samples):,} ({len(samples) - eliminated:,} kept, "
                                    f"{eliminated:,} eliminated)")))
    calls = run.get("calls")
    if calls is not None and len(calls):
        failed = calls[calls["status"].astype(str) != "OK"]
        rows.append(("LLM calls", esc(f"{len(calls):,}, {len(failed):,} failed "
                                      f"({100.0 * len(failed) / len(calls):.1f} %)")))
    out = kv_table(rows)
    if calls is not None and len(calls):
        failed = calls[calls["status"].astype(str) != "OK"]
        if len(failed):
            by = failed.groupby(["role", "status"], observed=True).size().rename("calls")
            out += "<h3>Failed calls by role and status</h3>" + frame_table(
                by.reset_index(), index=False)
            ids = failed["error_id"][failed["error_id"] >= 0].unique()[:5]
            if len(ids):
                msgs = "".join(f"<li><code>{esc(m)}</code></li>" for m in run.text(ids))
                out += f"<p class=\"note\">First error messages:</p><ul>{msgs}</ul>"
    return out


def budget_table(budget: pd.DataFrame) -> str:
    if budget is None or not len(budget):
        return '<p class="note">No budget table.</p>'
    b = budget.copy()
    b["role"] = b["role"].astype(str)
    b["tokens"] = b["prompt_tokens"] + b["completion_tokens"]
    for col in ("limit_queries", "limit_tokens", "limit_cost_usd"):
        if col in b:
            b[col] = [("none" if v == 0 else _fmt(v)) for v in b[col]]
    cols = [c for c in ["role", "queries", "prompt_tokens", "completion_tokens", "tokens",
                        "cost_usd", "limit_queries", "limit_tokens", "limit_cost_usd"] if c in b]
    return frame_table(b[cols], index=False,
                       formats={"cost_usd": lambda v: f"${float(v):,.4f}"})


def run_statistics(run, reps: int = REPS) -> str:
    """Train: early vs late episode returns with bootstrap CIs; dataset runs: /eval."""
    from . import stats
    parts = []
    episodes = run.get("episodes")
    if episodes is not None and len(episodes) and run.iterations is not None and len(run.iterations):
        iters = np.sort(episodes["iteration"].unique())
        k = max(1, len(iters) // 4)
        first = episodes[episodes["iteration"].isin(iters[:k])]["return"].to_numpy(float)
        last = episodes[episodes["iteration"].isin(iters[-k:])]["return"].to_numpy(float)
        groups = {f"first {k} iteration(s)": first, f"last {k} iteration(s)": last}
        if len(first) >= 2 and len(last) >= 2:
            table = stats.aggregate_table(groups, reps=reps, random_state=0)
            parts.append("<p class=\"note\">Episode returns of the first and the last quarter "
                         "of the iterations (an episode is a run, one task); 95 % stratified "
                         f"bootstrap CIs, {reps:,} resamples.</p>")
            parts.append(ci_table(table))
            p, lo, hi = stats.probability_of_improvement_ci(last, first, reps=reps,
                                                            random_state=0)
            parts.append(f"<p>P(an episode of the last quarter returns more than one of the "
                         f"first) = <b>{p:.3f}</b> [{lo:.3f}, {hi:.3f}]</p>")
        else:
            parts.append('<p class="note">Too few episodes for confidence intervals.</p>')
    evals = getattr(run, "eval", {}) or {}
    for name, metrics in evals.items():
        from .runfile import flatten_metrics
        flat = flatten_metrics(metrics)
        rows = [(k, f"{esc(_fmt(v))}") for k, v in flat.items()
                if k not in ("dataset", "json") and not k.startswith("action_mix.")]
        parts.append(f"<h3>Dataset metrics (<code>/eval/{esc(name)}</code>)</h3>" + kv_table(rows))
    if not parts:
        parts.append('<p class="note">No episodes and no /eval metrics in this run file.</p>')
    return "".join(parts)


def ci_table(table: pd.DataFrame, statistics=("iqm", "mean", "median")) -> str:
    """stats.aggregate_table output as 'value [low, high]' cells. The optimality gap is
    left out by default: it assumes scores normalised to [0, 1]."""
    t = pd.DataFrame(index=table.index)
    for col in ("runs", "tasks"):
        if col in table:
            t[col] = table[col]
    for stat in statistics:
        if stat in table:
            t[stat.replace("_", " ") + " [95 % CI]"] = [
                f"{v:.3f} [{lo:.3f}, {hi:.3f}]" for v, lo, hi in
                zip(table[stat], table[stat + "_low"], table[stat + "_high"])]
    return frame_table(t)


def run_figures(run) -> str:
    figs = Figures()
    try:
        from . import plots
    except ImportError:
        return '<p class="note">teamsrl_analysis.plots is not available.</p>'
    if getattr(run, "kind", "") == "train" or len(run.get("iterations", [])):
        name = run.attrs.get("run_name", "run")
        figs.add("Learning curve", lambda: plots.learning_curves(
            {name: [run]}, title=f"mean episode return per iteration: {name}"),
                 "mean episode return per iteration")
    figs.add("Action mix", lambda: plots.action_mix(run),
             "share of each rewriting operation")
    figs.add("LLM calls by role", lambda: plots.calls_by_role(run))
    return figs.html()


def run_report(path: str, title: Optional[str] = None, reps: int = REPS) -> str:
    run = _load_run(path)
    name = run.attrs.get("run_name", os.path.basename(os.path.dirname(os.path.abspath(path))))
    kind = getattr(run, "kind", "run")
    title = title or f"teamsrl {kind} run: {name}"
    subtitle = (f"{badge(getattr(run, 'status', run.attrs.get('status', '')))} "
                f"<code>{esc(os.path.abspath(path))}</code>")
    sections = [
        ("status", "Status", run_status(run)),
        ("figures", "Figures", run_figures(run)),
        ("statistics", "Statistics", run_statistics(run, reps)),
        ("budget", "Budget used", budget_table(run.get("budget"))),
        ("provenance", "What was run", run_provenance(run)),
    ]
    return page(title, subtitle, sections)


# ----------------------------------------------------------------------------- a sweep

LAST_ITERATIONS = 3   # a training task's score: mean return over its last iterations
# Dataset metrics of the eval stage compared across variants (higher / lower is better).
SWEEP_DATASET_METRICS = (("distinct_2", "higher is more diverse"),
                         ("rouge_l_nn.mean", "lower: less alike"),
                         ("queries_per_kept_sample", "lower is cheaper"))
MAX_POI_CI_VARIANTS = 6  # pairwise P(X > Y) intervals beyond this would be a long list


def _load_sweep(directory: str):
    from .sweep import load_sweep
    try:
        return load_sweep(directory)
    except ValueError as e:
        raise ReportError(f"{directory}: {e}") from None
    except OSError as e:
        raise ReportError(f"{directory}: cannot read the sweep: {e}") from None


def _status_summary(statuses: pd.Series) -> str:
    counts = statuses.value_counts()
    return ", ".join(f"{badge(s)} {n}" for s, n in counts.items())


def _variant_name(label: str) -> str:
    return "all runs" if label == "-" else label


def _scores_or_none(sw, **kwargs):
    from .sweep import scores
    try:
        result = scores(sw, **kwargs)
    except ValueError as e:
        print(f"report: no scores for {kwargs}: {e}", file=sys.stderr)
        return None
    return {_variant_name(k): v for k, v in result.items()} or None


def sweep_status(sw) -> str:
    tasks = sw.tasks
    out = f"<p>{len(tasks)} tasks: {_status_summary(tasks.status)}</p>"
    by = pd.crosstab(tasks.stage, tasks.status)
    by = by.reindex([s for s in ("train", "generate", "baseline", "eval") if s in by.index]
                    + [s for s in by.index if s not in ("train", "generate", "baseline", "eval")])
    by.index.name = "stage"
    out += frame_table(by)
    bad = tasks[tasks.status != "completed"]
    if len(bad):
        cols = ["task", "stage", "status"] + sw.axes + ["seed", "error"]
        bad = bad[cols].fillna("").assign(**{"task.log (last line)": [
            _log_tail(sw, t) for t in bad.task]})
        out += "<h3>Tasks not completed</h3>" + frame_table(bad, index=False)
    cols = [c for c in ["task", "stage", "status"] + sw.axes + ["seed", "ranks", "repeat"]
            if c in tasks]
    out += (f"<details><summary>Every task ({len(tasks)})</summary>"
            f"{frame_table(tasks[cols].fillna(''), index=False)}</details>")
    return out


def _log_tail(sw, task: str) -> str:
    """The last non-empty line of a task's DIR/STAGE/ID/task.log, if any."""
    entry = next((t for t in sw.manifest.get("tasks", []) if t.get("id") == task), None)
    if not entry or not entry.get("out_dir"):
        return ""
    text = _read_text(os.path.join(entry["out_dir"], "task.log"))
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _first_pair(sw):
    """(generate Run, baseline Run, train Run or None, caption) of the first seed that
    has both, for the TeaMs-RL vs Evol-Instruct figure."""
    tasks = sw.tasks[sw.tasks.task.isin(list(sw.runs))]
    gens = tasks[tasks.stage == "generate"]
    bases = tasks[tasks.stage == "baseline"]
    for _, g in gens.iterrows():
        same = bases[bases.seed.astype(str) == str(g["seed"])]
        if len(same):
            b = same.iloc[0]
            train = None
            for dep in g["deps"] or ():
                if dep in sw.runs and sw.runs[dep].kind == "train":
                    train = sw.runs[dep]
            point = ", ".join(f"{a}={g[a]}" for a in sw.axes if not pd.isna(g[a]))
            caption = (f"generate task {g['task']} ({point or 'no axes'}, seed {g['seed']}) "
                       f"against baseline task {b['task']}")
            return sw.runs[g["task"]], sw.runs[b["task"]], train, caption
    return None


def sweep_figures(sw, train_scores, reps: int = REPS) -> str:
    from . import plots
    figs = Figures()
    has_train = len(sw.iterations) > 0
    if has_train:
        figs.add("Learning curves", lambda: plots.learning_curves(sw, reps=min(reps, 1000)),
                 "mean over the runs (seeds) of each variant, 95 % bootstrap band")
        figs.add("Return against LLM queries", lambda: plots.reward_vs_queries(sw),
                 "thin lines: single runs")
    few = [k for k, v in (train_scores or {}).items() if np.asarray(v).shape[0] < 2]
    if few:
        figs.items.append(f'<p class="note">Ablation: fewer than 2 completed runs in '
                          f'{esc(", ".join(few))}; no confidence intervals.</p>')
    elif train_scores and len(train_scores) >= 2:  # one variant has nothing to compare
        figs.add("Ablation", lambda: plots.ablation_grid(
            train_scores, reps=reps, metric=f"mean return, last {LAST_ITERATIONS} iterations"),
            "IQM with 95 % CI and probability of improvement")
    pair = _first_pair(sw)
    if pair is not None:
        gen, base, train, caption = pair
        figs.add("TeaMs-RL vs Evol-Instruct", lambda: plots.teams_vs_evol(gen, base, train),
                 caption)
    return figs.html()


def _poi_section(groups: dict, reps: int = REPS) -> str:
    from . import stats
    names = list(groups)
    if len(names) < 2:
        return ""
    out = ""
    try:
        poi = pd.DataFrame([[f"{stats.probability_of_improvement(groups[x], groups[y]):.2f}"
                             for y in names] for x in names], index=names, columns=names)
        poi.index.name = "P(X > Y): X \\ Y"
        out += "<p>Probability of improvement P(X &gt; Y), a run of X against a run of Y:</p>"
        out += frame_table(poi)
    except ValueError as e:
        out += f'<p class="note">No probability of improvement: {esc(e)}</p>'
    if len(names) <= MAX_POI_CI_VARIANTS:
        rows = []
        for i, x in enumerate(names):
            for y in names[i + 1:]:
                try:
                    p, lo, hi = stats.probability_of_improvement_ci(groups[x], groups[y],
                                                                    reps=reps, random_state=0)
                    rows.append({"X": x, "Y": y, "P(X > Y)": p, "95 % CI": f"[{lo:.3f}, {hi:.3f}]"})
                except ValueError as e:
                    rows.append({"X": x, "Y": y, "P(X > Y)": np.nan, "95 % CI": str(e)})
        out += frame_table(pd.DataFrame(rows), index=False,
                           formats={"P(X > Y)": lambda v: "" if pd.isna(v) else f"{v:.3f}"})
    return out


def _finite_runs(groups: dict):
    """The groups without their runs that have a NaN or infinite score (a metric a dataset
    could not have, e.g. ROUGE-L of a one-sample set), and a note of what was left out."""
    kept, dropped = {}, []
    for name, scores in groups.items():
        a = np.asarray(scores, dtype=float)
        finite = np.isfinite(a).all(axis=1) if a.ndim == 2 else np.isfinite(a)
        if not finite.all():
            dropped.append(f"{name}: {int((~finite).sum())} of {len(finite)}")
        kept[name] = a[finite]
    note = ("" if not dropped else '<p class="note">Runs without a finite value, left out: '
            f'{esc("; ".join(dropped))}.</p>')
    return kept, note


def _aggregate_section(groups: dict, what: str, reps: int = REPS) -> str:
    from . import stats
    groups, note = _finite_runs(groups)
    small = [k for k, v in groups.items() if np.asarray(v).shape[0] < 2]
    if small:
        return note + (f'<p class="note">{esc(what)}: fewer than 2 runs in '
                       f'{esc(", ".join(small))}; no confidence intervals (add seeds).</p>')
    try:
        table = stats.aggregate_table(groups, reps=reps, random_state=0)
    except ValueError as e:  # scores a report cannot aggregate: said on the page
        return note + f'<p class="note">{esc(what)}: no statistics: {esc(e)}</p>'
    return note + ci_table(table) + _poi_section(groups, reps)


def sweep_statistics(sw, train_scores, reps: int = REPS) -> str:
    parts = ['<p class="note">Per variant (the grid point without its seed; seeds, repeats '
             "and rank counts are its runs): IQM, mean and median with 95 % stratified "
             f"bootstrap CIs ({reps:,} resamples), and the probability of improvement.</p>"]
    if train_scores:
        parts.append(f"<h3>Training: mean return over the last {LAST_ITERATIONS} iterations</h3>")
        parts.append(_aggregate_section(train_scores, "training", reps))
    if len(sw.eval):
        for metric, note in SWEEP_DATASET_METRICS:
            if metric not in sw.eval.columns:
                continue
            groups = {}
            for stage, label in (("generate", None), ("baseline", "Evol-Instruct baseline")):
                if stage not in set(sw.eval.stage):
                    continue
                found = _scores_or_none(sw, metric=metric, table="eval", stage=stage)
                if not found:
                    continue
                if label is not None:
                    found = {label: np.vstack(list(found.values()))}
                groups.update({k if label else f"TeaMs-RL {k}" if k != "all runs"
                               else "TeaMs-RL": v for k, v in found.items()})
            if groups:
                parts.append(f"<h3>Dataset: {esc(metric)} ({esc(note)})</h3>")
                parts.append(_aggregate_section(groups, metric, reps))
    if len(parts) == 1:
        parts.append('<p class="note">No completed training or eval task to score.</p>')
    return "".join(parts)


def sweep_budget(sw) -> str:
    budget = sw.budget
    if not len(budget):
        return '<p class="note">No budget tables.</p>'
    b = budget.assign(role=budget.role.astype(str),
                      tokens=budget.prompt_tokens + budget.completion_tokens)
    cols = ["queries", "prompt_tokens", "completion_tokens", "tokens", "cost_usd"]
    by = b.groupby(["stage", "role"], sort=False)[cols].sum().reset_index()
    order = {"rewriter": 0, "reviewer": 1, "responder": 2, "total": 3}
    by = by.sort_values(["stage", "role"], key=lambda c: c.map(order) if c.name == "role"
                        else c.map({"train": 0, "generate": 1, "baseline": 2}), kind="stable")
    total = b[b.role == "total"][cols].sum()
    fmt = {"cost_usd": lambda v: f"${float(v):,.4f}"}
    return (f"<p>All tasks together: <b>{int(total.queries):,}</b> queries, "
            f"<b>{int(total.tokens):,}</b> tokens, <b>${float(total.cost_usd):,.4f}</b>.</p>"
            + frame_table(by, index=False, formats=fmt))


def _read_text(path: str, limit: int = 200_000) -> Optional[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(limit)
    except OSError:
        return None


def sweep_provenance(sw) -> str:
    m = sw.manifest
    attrs = [r.attrs for r in sw.runs.values()]

    def values(key):
        seen = []
        for a in attrs:
            v = a.get(key)
            if v not in (None, "") and v not in seen:
                seen.append(v)
        return seen

    def joined(key):
        return esc(", ".join(_fmt(v) for v in values(key)))

    started, finished = values("started_at"), values("finished_at")
    rows = [("sweep", esc(m.get("sweep_id", ""))),
            ("directory", f"<code>{esc(os.path.abspath(sw.dir))}</code>"),
            ("grid file", f"<code>{esc(m.get('grid', ''))}</code>"),
            ("base config", f"<code>{esc(m.get('base', ''))}</code> (hash {esc(m.get('base_hash', ''))})"),
            ("axes", esc(", ".join(sw.axes) or "none")),
            ("teamsrl", joined("teamsrl_version") + " (" + joined("git_describe") + ")"),
            ("ranks (world sizes)", joined("world_size")),
            ("launchers", joined("launcher")),
            ("hosts", joined("hostnames")),
            ("SLURM jobs", joined("slurm_job_id") or '<span class="note">not under SLURM</span>'),
            ("started", esc(min(started) if started else "")),
            ("finished", esc(max(finished) if finished else "")),
            ("run files read", esc(f"{len(sw.runs)} of "
                                   f"{int((sw.tasks.stage != 'eval').sum())}"))]
    jobs = _read_text(os.path.join(sw.dir, "slurm", "jobs.json"))
    if jobs:
        rows.append(("SLURM job ids (slurm/jobs.json)", f"<pre>{esc(jobs)}</pre>"))
    out = kv_table(rows)
    grid = _read_text(m.get("grid", "")) if m.get("grid") else None
    if grid:
        out += f"<details open><summary>Grid file</summary><pre>{esc(grid)}</pre></details>"
    config = next((a.get("config_yaml") for a in attrs if a.get("config_yaml")), None)
    if config:
        first = next(t for t, r in sw.runs.items() if r.attrs.get("config_yaml") == config)
        out += (f"<details><summary>Resolved configuration of task {esc(first)} "
                f"(config_yaml)</summary><pre>{esc(config)}</pre></details>")
    commands = []
    for t in m.get("tasks", []):
        args = t.get("args") or []
        commands.append(f"{t.get('stage', '')} {t.get('id', '')}: teamsrl "
                        + " ".join(str(a) for a in args))
    if commands:
        out += (f"<details><summary>Commands of the {len(commands)} tasks</summary>"
                f"<pre>{esc(chr(10).join(commands))}</pre></details>")
    return out


def sweep_report(directory: str, title: Optional[str] = None, reps: int = REPS) -> str:
    sw = _load_sweep(directory)
    sweep_id = sw.manifest.get("sweep_id", os.path.basename(os.path.abspath(directory)))
    grid = os.path.basename(str(sw.manifest.get("grid", "")))
    title = title or f"teamsrl sweep {sweep_id}" + (f": {grid}" if grid else "")
    subtitle = (f"{len(sw.tasks)} tasks: {_status_summary(sw.tasks.status)} "
                f"<code>{esc(os.path.abspath(directory))}</code>")
    train_scores = _scores_or_none(sw, metric="mean_return", last=LAST_ITERATIONS,
                                   stage="train") if len(sw.iterations) else None
    sections = [
        ("status", "Tasks", sweep_status(sw)),
        ("figures", "Figures", sweep_figures(sw, train_scores, reps)),
        ("statistics", "Statistics", sweep_statistics(sw, train_scores, reps)),
        ("budget", "Budget used", sweep_budget(sw)),
    ]
    repro = _read_text(os.path.join(sw.dir, REPRODUCIBILITY))
    if repro is not None:
        sections.append(("reproducibility", "Reproducibility",
                         f"<p><code>{esc(REPRODUCIBILITY)}</code> of "
                         f"<code>teamsrl sweep GRID --check-reproducible</code>:</p>"
                         f"<pre>{esc(repro)}</pre>"))
    sections.append(("provenance", "What was run", sweep_provenance(sw)))
    return page(title, subtitle, sections)


# ----------------------------------------------------------------------------- output

def check_output(out: str, overwrite: bool = False) -> None:
    """ReportError when ``out`` cannot be written: an existing file or link without
    ``overwrite`` (with it, a link is replaced itself, never its target, as teamsrl
    does), a directory, or a missing parent directory."""
    if os.path.isdir(out) and not os.path.islink(out):
        raise ReportError(f"{out}: is a directory")
    if os.path.islink(out) and not overwrite:
        raise ReportError(f"{out}: is a symbolic link (pass --overwrite to replace the link "
                          "itself; its target is never written)")
    if os.path.exists(out) and not overwrite:
        raise ReportError(f"{out}: exists (pass --overwrite to replace it)")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(parent):
        raise ReportError(f"{out}: directory {parent} does not exist")


def write_report(text: str, out: str, overwrite: bool = False) -> None:
    """Writes ``text`` to ``out`` through a uniquely named temporary file beside it,
    renamed into place (as teamsrl writes its one-piece outputs); see check_output."""
    check_output(out, overwrite)
    parent = os.path.dirname(os.path.abspath(out))
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(out) + ".", dir=parent)
    except OSError as e:
        raise ReportError(f"{out}: cannot create it: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def build(path: str, title: Optional[str] = None, reps: int = REPS) -> str:
    """The report's HTML for a run or sweep path (see find_target); ``reps`` bootstrap
    resamples per confidence interval."""
    import matplotlib
    matplotlib.use("Agg")
    kind, target = find_target(path)
    if reps < 100:
        raise ReportError(f"--reps {reps}: use at least 100 bootstrap resamples")
    return sweep_report(target, title, reps) if kind == "sweep" else run_report(target, title, reps)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m teamsrl_analysis.report",
        description="Write one self-contained HTML report (figures embedded, no network) of a "
                    "teamsrl run or sweep.")
    parser.add_argument("path", metavar="RUN_OR_SWEEP",
                        help="a run file (run.h5, generate.h5, baseline.h5), a directory "
                             "holding one, or a sweep directory (with sweep.json)")
    parser.add_argument("--out", "-o", metavar="FILE",
                        help="the HTML file to write (default: report.html in the run's or "
                             "sweep's directory)")
    parser.add_argument("--title", help="the page title (default: from the run or sweep)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.add_argument("--reps", type=int, default=REPS, metavar="N",
                        help=f"bootstrap resamples per confidence interval (default {REPS}; "
                             "fewer is faster on large sweeps)")
    args = parser.parse_args(argv)
    try:
        kind, target = find_target(args.path)
        out = args.out
        if not out:
            base = target if kind == "sweep" else os.path.dirname(os.path.abspath(target))
            out = os.path.join(base, "report.html")
        check_output(out, args.overwrite)  # before the work, not after it
        text = build(args.path, args.title, args.reps)
        write_report(text, out, args.overwrite)
    except ReportError as e:
        print(f"report: error: {e}", file=sys.stderr)
        return 2
    print(f"report: {out} ({len(text.encode('utf-8')) / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
