"""The stakeholder model report as HTML: sections for the Voila page, and one static page.

Everything user-provided (names, descriptions, params, tags, signature names) is escaped; the
description goes through the package's markdown renderer, which escapes raw HTML and drops
``javascript:`` links. A metric change is green when it is an improvement by the metric's
direction (declared ``mltrack.metricDirection.<key>`` tags first, else the name), red when it
is worse, "same" when equal at the precision shown. Colours come from JupyterLab's ``--jp-*``
variables with light fallbacks, so the page follows the theme in Voila and prints well.

The static page (:func:`static_report_html`) is self-contained: plotly.js is inlined once, only
when the report has plots, so it opens offline, from an e-mail attachment, without a server.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from jupyter_mltrack.widgets._app_mode import shown_path
from jupyter_mltrack.widgets._direction import declared_directions, metric_sense
from jupyter_mltrack.widgets._markdown import render_markdown
from jupyter_mltrack.widgets._objective import name_rank
from jupyter_mltrack.widgets._registry_html import history_html

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run
    from jupyter_mltrack.widgets._report_facts import ModelReportFacts

__all__ = ["REPORT_STYLE", "report_sections", "static_report_html"]

#: Metrics in the headline table at most (the rest are one click away in the dashboard).
HEADLINE_METRICS = 10
DIGITS = 4
_LINEAGE_TAGS = (
    ("notebook / source", "mltrack.source.name"),
    ("git commit", "mltrack.source.git.commit"),
    ("git branch", "mltrack.source.git.branch"),
    ("git repository", "mltrack.source.git.repoURL"),
    ("user", "mltrack.user"),
)
#: Tags holding a path on the machine that ran the code: cut to a file name in app mode.
_PATH_TAGS = frozenset({"mltrack.source.name", "mltrack.source.git.repoURL"})

REPORT_STYLE = """<style>
.mltrack-report { color: var(--jp-content-font-color1, #212121); max-width: 1100px;
  font-family: var(--jp-ui-font-family, system-ui, sans-serif); line-height: 1.45; }
.mltrack-report h1 { margin: 0 0 2px 0; font-size: 1.7em; }
.mltrack-report h2 { margin: 22px 0 6px 0; font-size: 1.2em;
  border-bottom: 1px solid var(--jp-border-color2, #e0e0e0); padding-bottom: 3px; }
.mltrack-report .mltrack-muted { color: var(--jp-content-font-color2, #616161); }
.mltrack-report .mltrack-badge { display: inline-block; padding: 1px 8px; margin-right: 6px;
  border-radius: 10px; font-size: 0.85em; background: var(--jp-layout-color2, #eeeeee); }
.mltrack-report table { border-collapse: collapse; margin: 4px 0 8px 0; }
.mltrack-report th, .mltrack-report td { padding: 4px 12px; text-align: left; vertical-align: top;
  border-bottom: 1px solid var(--jp-border-color2, #e0e0e0); }
.mltrack-report td.mltrack-num { text-align: right; font-variant-numeric: tabular-nums; }
.mltrack-report .mltrack-better { color: var(--jp-success-color1, #2e7d32); font-weight: 600; }
.mltrack-report .mltrack-worse { color: var(--jp-error-color1, #c62828); font-weight: 600; }
.mltrack-report .mltrack-report-plot { min-height: 360px; }
</style>"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _time(ms: int | None) -> str:
    from jupyter_mltrack.notebook.displays import format_time

    return format_time(ms)[:16]


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.{DIGITS}g}"


def _run_name(run: Run | None) -> str:
    return "-" if run is None else (run.info.run_name or run.info.run_id[:8])


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], css: str) -> str:
    """Cells are already-escaped HTML."""
    top = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f'<table class="{css}"><tr>{top}</tr>{body}</table>'


# -- sections -----------------------------------------------------------------------------------
def report_sections(facts: ModelReportFacts, *, cut_paths: bool | None = None) -> dict[str, str]:
    """Return the report's HTML sections by name, in page order (plots are drawn apart).

    ``cut_paths``: show file names instead of paths (default: in app mode only, see
    :func:`~jupyter_mltrack.widgets._app_mode.shown_path`).
    """
    return {
        "header": _header(facts),
        "metrics": _metrics(facts),
        "signature": _signature(facts),
        "lineage": _lineage(facts, cut_paths),
        "history": "<h2>Promotion history</h2>" + history_html(facts.history),
    }


def _header(facts: ModelReportFacts) -> str:
    version = facts.version
    badges = [f'<span class="mltrack-badge">@{_e(alias)}</span>' for alias in facts.aliases]
    badges.insert(0, f'<span class="mltrack-badge">stage: {_e(version.current_stage.value)}</span>')
    moved = ""
    if facts.place is not None and facts.promoted_at is not None:
        who = f" by {_e(facts.promoted_by)}" if facts.promoted_by else ""
        moved = f" Moved to {_e(facts.place)} on {_e(_time(facts.promoted_at))}{who}."
    description = facts.model.description or ""
    text = (
        render_markdown(description) if description.strip() else "<p><em>No description.</em></p>"
    )
    notes = "".join(f'<p class="mltrack-muted">{_e(note)}</p>' for note in facts.notes)
    return (
        f"<h1>{_e(version.name)} <span class='mltrack-muted'>version {version.version}</span></h1>"
        f"<div>{''.join(badges)}</div>"
        f'<p class="mltrack-muted">Registered {_e(_time(version.creation_timestamp))}.{moved}</p>'
        f'<div class="mltrack-report-description">{text}</div>{notes}'
    )


def _headline_keys(mine: Mapping[str, float], theirs: Mapping[str, float]) -> list[str]:
    """Metrics both logged first (most telling names first), then the version's own others."""
    shared = [k for k in mine if k in theirs]
    only = [k for k in mine if k not in theirs]

    def order(key: str) -> tuple[int, int, str]:
        return (name_rank(key), len(key), key)

    return (sorted(shared, key=order) + sorted(only, key=order))[:HEADLINE_METRICS]


def _change(sense: str | None, mine: float | None, theirs: float | None) -> str:
    if mine is None or theirs is None:
        return '<td class="mltrack-num">-</td>'
    if _value(mine) == _value(theirs):
        return '<td class="mltrack-num mltrack-muted">same</td>'
    diff = mine - theirs
    text = f"{diff:+.{DIGITS - 1}g}"
    if sense is None:
        return f'<td class="mltrack-num">{text}</td>'
    better = diff > 0 if sense == "max" else diff < 0
    css, word = ("mltrack-better", "better") if better else ("mltrack-worse", "worse")
    arrow = "▲" if diff > 0 else "▼"
    return f'<td class="mltrack-num {css}" title="{word}">{text} {arrow}</td>'


def _metrics(facts: ModelReportFacts) -> str:
    if facts.run is None:
        return "<h2>Headline metrics</h2><p><em>The version's run is not in this store.</em></p>"
    mine = facts.run.data.metrics
    theirs = facts.previous_run.data.metrics if facts.previous_run is not None else {}
    if not mine:
        return "<h2>Headline metrics</h2><p><em>The version's run logged no metrics.</em></p>"
    declared = declared_directions(facts.run.data.tags)
    previous = facts.previous
    against = "-"
    if previous is not None:
        held = f" (held {_e(facts.place)} before)" if facts.place else ""
        against = f"version {previous.version}{held}"
    rows = []
    for key in _headline_keys(mine, theirs):
        sense = metric_sense(key, declared=declared)
        rows.append(
            [
                f"<td>{_e(key)}</td>",
                f'<td class="mltrack-num"><b>{_value(mine.get(key))}</b></td>',
                f'<td class="mltrack-num">{_value(theirs.get(key))}</td>',
                _change(sense, mine.get(key), theirs.get(key)),
            ]
        )
    head = ["metric", f"this version ({facts.version.version})", against, "change"]
    return "<h2>Headline metrics</h2>" + _table(head, rows, "mltrack-report-metrics")


def _schema(title: str, rows: Sequence[tuple[str, str, str]]) -> str:
    if not rows:
        return ""
    cells = [[f"<td>{_e(name)}</td>", f"<td>{_e(kind)}</td>", f"<td>{_e(extra)}</td>"]
             for name, kind, extra in rows]  # fmt: skip
    return f"<h3>{title}</h3>" + _table(["name", "type", "details"], cells, "mltrack-signature")


def _signature(facts: ModelReportFacts) -> str:
    flavors = ", ".join(facts.flavors) or "-"
    body = _schema("Input", facts.inputs) + _schema("Output", facts.outputs)
    if not body:
        body = "<p><em>The model was logged without a signature.</em></p>"
    return f'<h2>Input signature</h2><p class="mltrack-muted">Flavors: {_e(flavors)}</p>{body}'


def _lineage(facts: ModelReportFacts, cut_paths: bool | None) -> str:
    run = facts.run
    source = shown_path(facts.version.source, cut=cut_paths) or "-"
    rows = [["<td>registered from</td>", f"<td>{_e(source)}</td>"]]
    if run is not None:
        rows.append(["<td>run</td>", f"<td>{_e(_run_name(run))} ({_e(run.info.run_id)})</td>"])
        rows.append(["<td>experiment</td>", f"<td>{_e(facts.experiment_name or '-')}</td>"])
        for label, tag in _LINEAGE_TAGS:
            if run.data.tags.get(tag):
                value = run.data.tags[tag]
                shown = shown_path(value, cut=cut_paths) if tag in _PATH_TAGS else value
                rows.append([f"<td>{label}</td>", f"<td>{_e(shown)}</td>"])
    lineage = _table(["", ""], rows, "mltrack-lineage")
    params = run.data.params if run is not None else {}
    if params:
        cells = [[f"<td>{_e(k)}</td>", f"<td>{_e(params[k])}</td>"] for k in sorted(params)]
        lineage += "<h3>Training params</h3>" + _table(["param", "value"], cells, "mltrack-params")
    return "<h2>Lineage</h2>" + lineage


# -- the static page ----------------------------------------------------------------------------
def _script_json(value: object) -> str:
    """JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can close or confuse it."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _plotly_js() -> str | None:
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        return None
    return str(get_plotlyjs())


def _static_plots(facts: ModelReportFacts) -> str:
    if not facts.plots:
        return ""
    plotly = _plotly_js()
    if plotly is None:
        names = ", ".join(plot.title for plot in facts.plots)
        return f"<h2>Evaluation</h2><p><em>Plots ({_e(names)}) need plotly installed.</em></p>"
    parts = ["<h2>Evaluation</h2>", f"<script>{plotly}</script>"]
    for index, plot in enumerate(facts.plots):
        figure = {"data": plot.figure.get("data", []), "layout": plot.figure.get("layout", {})}
        parts.append(
            f"<h3>{_e(plot.title)}</h3>"
            f'<div class="mltrack-report-plot" id="mltrack-plot-{index}"></div>'
            f"<script>(function () {{ var f = {_script_json(figure)}; Plotly.newPlot("
            f"'mltrack-plot-{index}', f.data, f.layout, {{displaylogo: false, responsive: true}});"
            "})();</script>"
        )
    return "".join(parts)


def static_report_html(facts: ModelReportFacts, *, generated_at: str) -> str:
    """Return the report as one self-contained HTML document (opens offline)."""
    sections = report_sections(facts, cut_paths=True)  # the file goes to people outside
    title = f"{facts.version.name} v{facts.version.version} — model report"
    body = (
        sections["header"] + sections["metrics"] + _static_plots(facts) + sections["signature"]
        + sections["lineage"] + sections["history"]
    )  # fmt: skip
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title>{REPORT_STYLE}</head>"
        f"<body style='margin: 24px'><div class='mltrack-report'>{body}"
        f"<p class='mltrack-muted'>Generated {_e(generated_at)} by jupyter_mltrack from "
        f"{_e(facts.uri)}.</p></div></body></html>\n"
    )
