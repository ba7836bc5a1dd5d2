"""The landing summary as HTML and a chart: plain sentences first, numbers a manager can compare.

Everything user-provided (experiment, run, model and param names) is escaped. Colours come from
JupyterLab's ``--jp-*`` variables (with light-theme fallbacks), so the summary follows the theme
in Lab and in Voila alike; a change is green when it is an improvement by the metric's direction
(:mod:`~jupyter_mltrack.widgets._direction`), red when it is worse, and "same" when the two
values are equal at the precision shown.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from jupyter_mltrack.widgets._direction import metric_sense
from jupyter_mltrack.widgets._markdown import render_markdown
from jupyter_mltrack.widgets._objective import Objective, name_rank, objective_value
from jupyter_mltrack.widgets._overview_facts import Holder, Overview

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run

__all__ = ["OVERVIEW_STYLE", "compare_rows", "format_value", "overview_html", "run_name"]

#: Other metrics shown next to the objective in the comparison table.
MORE_METRICS = 5
DIGITS = 4

OVERVIEW_STYLE = """<style>
.mltrack-overview { color: var(--jp-content-font-color1, #212121);
  font-family: var(--jp-ui-font-family, sans-serif); }
.mltrack-overview h2 { margin: 0 0 4px 0; font-size: 1.5em; }
.mltrack-overview .mltrack-lede { margin: 0 0 12px 0; font-size: 1.1em;
  color: var(--jp-content-font-color2, #555); }
.mltrack-overview .mltrack-verdict { margin: 0 0 12px 0; font-size: 1.15em; }
.mltrack-overview .mltrack-cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 12px; }
.mltrack-overview .mltrack-card { flex: 1 1 260px; padding: 10px 14px; border-radius: 6px;
  border: 1px solid var(--jp-border-color2, #e0e0e0); background: var(--jp-layout-color1, #fff); }
.mltrack-overview .mltrack-card h4 { margin: 0 0 6px 0; font-size: 0.85em; letter-spacing: .05em;
  text-transform: uppercase; color: var(--jp-content-font-color2, #616161); }
.mltrack-overview .mltrack-big { font-size: 1.35em; font-weight: 600; margin-bottom: 4px; }
.mltrack-overview .mltrack-card ul { margin: 4px 0 0 0; padding-left: 18px; }
.mltrack-overview .mltrack-model-description { margin-top: 6px; }
.mltrack-overview .mltrack-model-description p { margin: 0; }
.mltrack-overview .mltrack-muted { color: var(--jp-content-font-color2, #616161); }
.mltrack-overview table { border-collapse: collapse; margin: 4px 0 8px 0; }
.mltrack-overview th, .mltrack-overview td { padding: 4px 12px; text-align: right;
  border-bottom: 1px solid var(--jp-border-color2, #e0e0e0); font-variant-numeric: tabular-nums; }
.mltrack-overview th:first-child, .mltrack-overview td:first-child { text-align: left; }
.mltrack-overview th { font-weight: 600; vertical-align: bottom; }
.mltrack-overview .mltrack-better { color: var(--jp-success-color1, #2e7d32); font-weight: 600; }
.mltrack-overview .mltrack-worse { color: var(--jp-error-color1, #c62828); font-weight: 600; }
</style>"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _time(ms: int | None) -> str:
    from jupyter_mltrack.notebook.displays import format_time

    return format_time(ms)[:16]  # to the minute: seconds mean nothing to the reader


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def format_value(value: float | None) -> str:
    """A metric value at the precision the summary shows (``-`` when missing)."""
    return "-" if value is None else f"{value:.{DIGITS}g}"


def run_name(run: Run | None) -> str:
    """A run as people know it: its name, else the start of its id."""
    if run is None:
        return "an unknown run"
    return run.info.run_name or run.info.run_id[:8]


# -- the page -----------------------------------------------------------------------------------
def overview_html(overview: Overview) -> str:
    """Return the landing summary of one experiment (title, sentence, cards, comparison)."""
    parts = [
        OVERVIEW_STYLE,
        '<div class="mltrack-overview">',
        f"<h2>{_e(overview.experiment.name)}</h2>",
        f'<p class="mltrack-lede">{_lede(overview)}</p>',
        _verdict(overview),
        '<div class="mltrack-cards">',
        _tried_card(overview),
        _best_card(overview),
        _holder_card(overview),
        "</div>",
        _comparison(overview),
        "</div>",
    ]
    return "".join(parts)


def _lede(overview: Overview) -> str:
    if not overview.total_runs:
        return "Nothing was tried yet: no runs were logged to this experiment."
    runs = _count(overview.trials, "run")
    when = ""
    if overview.first_start and overview.last_start:
        when = f" between {_e(_time(overview.first_start))} and {_e(_time(overview.last_start))}"
    objective = overview.objective
    if objective is None:
        return f"{runs} tried{when}. No run logged a metric, so none can be called best."
    return f"{runs} tried{when}, ranked by <b>{_e(objective.metric)}</b> — {_e(_way(objective))}."


def _verdict(overview: Overview) -> str:
    """One sentence with the conclusion: is the best model found the one in production?"""
    objective, best = overview.objective, overview.best
    if objective is None or not best:
        return ""
    top = best[0]
    value = objective_value(top, objective)
    holder = overview.holders[0] if overview.holders else None
    if holder is None or holder.run is None:
        text = (
            f"The best run is <b>{_e(run_name(top))}</b> ({_e(objective.metric)} "
            f"{format_value(value)}); no model from this experiment is in production yet."
        )
    elif holder.run.info.run_id == top.info.run_id:
        lead = ""
        if len(best) > 1 and (second := objective_value(best[1], objective)) is not None:
            lead = f", {_delta_text(value, second)} over the runner-up {_e(run_name(best[1]))}"
        text = (
            f"{_e(holder.place)} holds the best model found: <b>{_e(holder.version.name)} "
            f"v{holder.version.version}</b>, from run <b>{_e(run_name(top))}</b> "
            f"({_e(objective.metric)} {format_value(value)}{lead})."
        )
    else:
        mine = objective_value(holder.run, objective)
        text = (
            f"{_e(holder.place)} holds <b>{_e(holder.version.name)} v{holder.version.version}</b>"
            f" from run {_e(run_name(holder.run))} ({_e(objective.metric)} {format_value(mine)}),"
            f" but run <b>{_e(run_name(top))}</b> scored {format_value(value)}."
        )
    return f'<p class="mltrack-verdict">{text}</p>'


def _delta_text(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "-"
    return f"{a - b:+.{DIGITS - 1}g}"


def _way(objective: Objective) -> str:
    way = "higher" if objective.higher_is_better else "lower"
    origin = {
        "sweep": "the metric the sweep optimised",
        "user": "chosen for this experiment",
        "guess": "guessed from the metric names; pick another below",
    }[objective.source]
    return f"{way} is better, {origin}"


def _tried_card(overview: Overview) -> str:
    statuses = ", ".join(f"{n:,} {s.lower()}" for s, n in sorted(overview.statuses.items()))
    items = [f"<li>{_count(overview.trials, 'run')} ({_e(statuses)})</li>"]
    if overview.nested:
        items.append(
            f'<li class="mltrack-muted">plus {_count(overview.nested, "run")} nested in them</li>'
        )
    if overview.sweeps:
        kinds = sorted({run.data.tags.get("mltrack.sweep", "") for run in overview.sweeps})
        count = len(overview.sweeps)
        items.append(f"<li>{_count(count, 'sweep')} ({_e(', '.join(kinds))})</li>")
    for param in overview.swept:
        items.append(f"<li><b>{_e(param.name)}</b>: {_e(param.describe())}</li>")
    if not overview.swept and overview.total_runs:
        items.append('<li class="mltrack-muted">every run used the same params</li>')
    if overview.sampled < overview.total_runs:
        items.append(f'<li class="mltrack-muted">ranges from the newest {overview.sampled:,}</li>')
    listed = "".join(items)
    return f'<div class="mltrack-card mltrack-tried"><h4>What was tried</h4><ul>{listed}</ul></div>'


def _best_card(overview: Overview) -> str:
    objective, best = overview.objective, overview.best
    if objective is None or not best:
        body = '<div class="mltrack-muted">No run has a value of the objective yet.</div>'
    else:
        value = format_value(objective_value(best[0], objective))
        body = (
            f'<div class="mltrack-big mltrack-best-run">{_e(run_name(best[0]))}</div>'
            f"<div>{_e(objective.metric)} <b>{value}</b></div>"
        )
        if len(best) > 1:
            second = format_value(objective_value(best[1], objective))
            body += (
                f'<div class="mltrack-muted mltrack-runner-up">runner-up '
                f"<b>{_e(run_name(best[1]))}</b>: {second}</div>"
            )
    return f'<div class="mltrack-card mltrack-best"><h4>Best run</h4>{body}</div>'


def _holder_card(overview: Overview) -> str:
    if not overview.holders:
        body = (
            '<div class="mltrack-muted">No model from this experiment is in Production or holds '
            "an alias yet.</div>"
        )
        return f'<div class="mltrack-card mltrack-holder"><h4>In production</h4>{body}</div>'
    main, *rest = overview.holders
    title = "In production" if main.place == "Production" else main.place
    also = f" · {_e(', '.join(main.also))}" if main.also else ""
    body = (
        f'<div class="mltrack-big">{_e(main.version.name)} v{main.version.version}</div>'
        f"<div>from run <b>{_e(run_name(main.run))}</b>{also}</div>"
    )
    if main.promoted_at is not None:
        who = f" by {_e(main.promoted_by)}" if main.promoted_by else ""
        body += f"<div>since {_e(_time(main.promoted_at))}{who}</div>"
    if main.previous is not None:
        body += (
            f'<div class="mltrack-muted">before: v{main.previous.version} '
            f"(run {_e(run_name(main.previous_run))})</div>"
        )
    else:
        body += '<div class="mltrack-muted">the first version to hold this place</div>'
    description = (
        render_markdown(main.description)
        if main.description and main.description.strip()
        else "<em>No description yet.</em>"
    )
    body += f'<div class="mltrack-model-description">{description}</div>'
    if rest:
        others = "; ".join(
            f"{_e(h.place)}: {_e(h.version.name)} v{h.version.version} ({_e(run_name(h.run))})"
            for h in rest
        )
        body += f'<div class="mltrack-muted">also {others}</div>'
    return f'<div class="mltrack-card mltrack-holder"><h4>{_e(title)}</h4>{body}</div>'


# -- the comparison table ------------------------------------------------------------------------
def _rival(overview: Overview, holder: Holder | None) -> tuple[str, Run] | None:
    """The run to compare with: the runner-up (or the best run, when it is not the holder's)."""
    mine = None if holder is None or holder.run is None else holder.run.info.run_id
    for index, run in enumerate(overview.best):
        if run.info.run_id != mine:
            leads = index == 0 and mine is not None
            return ("best run" if leads else "runner-up", run)
    return None


def compare_rows(objective: Objective, runs: Sequence[Run]) -> list[str]:
    """The metrics to compare ``runs`` on: the objective, then a few telling ones they all logged.

    One metric per family of names (``f1_score`` stands for ``f1_score_macro`` too), the most
    telling families first (``auc``, ``f1``, ``accuracy``, ...); counts whose size says nothing
    about quality (``example_count``) and a sweep's ``best_*`` summaries are left out.
    """
    shared = set.intersection(*(set(run.data.metrics) for run in runs)) if runs else set()
    candidates = sorted(
        (k for k in shared if k != objective.metric and not k.startswith("best_")),
        key=lambda k: (name_rank(k), len(k), k),
    )
    chosen: list[str] = []
    families: set[int] = set()
    unknown = name_rank("")
    for key in candidates:
        family = name_rank(key)
        if metric_sense(key) is None or (family != unknown and family in families):
            continue
        families.add(family)
        chosen.append(key)
    return [objective.metric, *chosen[:MORE_METRICS]]


def _change(key: str, objective: Objective, mine: float | None, theirs: float | None) -> str:
    if mine is None or theirs is None:
        return "<td>-</td>"
    if format_value(mine) == format_value(theirs):
        return '<td class="mltrack-muted">same</td>'
    sense = objective.direction if key == objective.metric else metric_sense(key)
    diff = mine - theirs
    text = f"{diff:+.{DIGITS - 1}g}"
    if sense is None:
        return f"<td>{text}</td>"
    better = diff > 0 if sense == "max" else diff < 0
    css = "mltrack-better" if better else "mltrack-worse"
    word = "better" if better else "worse"
    return f'<td class="{css}" title="{word}">{text} {"▲" if diff > 0 else "▼"}</td>'


def _columns(overview: Overview, holder: Holder | None) -> list[tuple[str, Run]]:
    """The runs the main one is compared with: runner-up (or best), then the previous holder."""
    columns: list[tuple[str, Run]] = []
    if holder is not None:
        rival = _rival(overview, holder)
    else:
        rival = ("runner-up", overview.best[1]) if len(overview.best) > 1 else None
    if rival is not None:
        columns.append((f"{rival[0]}: {run_name(rival[1])}", rival[1]))
    if holder is not None and holder.previous is not None and holder.previous_run is not None:
        title = f"before: v{holder.previous.version} · {run_name(holder.previous_run)}"
        columns.append((title, holder.previous_run))
    return columns


def _comparison(overview: Overview) -> str:
    objective = overview.objective
    holder = overview.holders[0] if overview.holders else None
    if objective is None:
        return ""
    main = holder.run if holder is not None else (overview.best[0] if overview.best else None)
    if main is None:
        return ""
    label = (
        f"{holder.place}: v{holder.version.version} · {run_name(main)}"
        if holder is not None
        else f"best: {run_name(main)}"
    )
    columns = _columns(overview, holder)
    if not columns:
        return ""
    head = f"<th>metric</th><th>{_e(label)}</th>" + "".join(
        f"<th>{_e(title)}</th><th>difference</th>" for title, _run in columns
    )
    body = []
    keys = compare_rows(objective, [main, *(run for _t, run in columns)])
    for key in keys:
        mine = main.data.metrics.get(key)
        cells = [f"<td>{_e(key)}{' ' + objective.arrow if key == objective.metric else ''}</td>"]
        cells.append(f"<td><b>{format_value(mine)}</b></td>")
        for _title, run in columns:
            theirs = run.data.metrics.get(key)
            cells.append(f"<td>{format_value(theirs)}</td>")
            cells.append(_change(key, objective, mine, theirs))
        body.append(f"<tr>{''.join(cells)}</tr>")
    who = (
        "the production model"
        if holder is not None and holder.place == "Production"
        else ("the model" if holder is not None else "the best run")
    )
    return (
        f"<h4>How {who} compares</h4>"
        f'<table class="mltrack-overview-compare"><tr>{head}</tr>{"".join(body)}</table>'
        f'<div class="mltrack-muted mltrack-legend">{_legend(objective, keys)}</div>'
    )


def _legend(objective: Objective, keys: Sequence[str]) -> str:
    """Say what green means, metric by metric (higher or lower is better)."""
    senses = {k: objective.direction if k == objective.metric else metric_sense(k) for k in keys}
    higher = [k for k, sense in senses.items() if sense == "max"]
    lower = [k for k, sense in senses.items() if sense == "min"]
    parts = [
        f"{way} for {_e(', '.join(names))}"
        for way, names in (("higher", higher), ("lower", lower))
        if names
    ]
    return f"Differences in green are improvements: {'; '.join(parts)}." if parts else ""
