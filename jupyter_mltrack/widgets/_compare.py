"""Pure helpers of the run comparison: param and metric tables, deltas, source diffs (HTML)."""

from __future__ import annotations

import difflib
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from jupyter_mltrack.entities import Run
from jupyter_mltrack.widgets._direction import Direction, metric_sense

__all__ = [
    "DIFF_STYLE",
    "DIGITS",
    "MetricCell",
    "Verdict",
    "axis_choices",
    "differs",
    "format_number",
    "metric_rows",
    "metric_table_html",
    "param_rows",
    "param_table_html",
    "parcoords_columns",
    "source_diff_html",
]

Verdict = Literal["better", "worse", "neutral"]
DIGITS = 4
"""Significant digits of the metric values in the comparison (the full value is the tooltip)."""

_TABLE = (
    'style="border-collapse:collapse;font-size:12px;margin:4px 0" '
    'class="mltrack-compare-table {cls}"'
)
# HtmlDiff's "next change" links jump around the page; the changes are few and visible anyway.
_NAV_LINK = re.compile(r'<a href="#difflib_[^"]*">[^<]*</a>')
_MISSING = '<span style="color:var(--jp-ui-font-color3,#aaa)">—</span>'
_TH = 'style="text-align:left;padding:2px 8px;border-bottom:1px solid var(--jp-border-color1,#ccc)"'
_TD = 'style="padding:2px 8px;border-bottom:1px solid var(--jp-border-color2,#eee)"'
# Translucent highlights read on the light and the dark JupyterLab theme alike.
_DIFFERS = ";background:rgba(255,193,7,.18)"
DIFF_STYLE = """<style>
.mltrack-diff table.diff {font-family:monospace;font-size:12px;border-collapse:collapse}
.mltrack-diff .diff_header {background:rgba(128,128,128,.15);color:var(--jp-ui-font-color2,#888);
  padding:0 4px}
.mltrack-diff td.diff_header {text-align:right}
.mltrack-diff .diff_next {background:rgba(128,128,128,.15)}
.mltrack-diff .diff_add {background:rgba(46,160,67,.25)}
.mltrack-diff .diff_chg {background:rgba(255,193,7,.3)}
.mltrack-diff .diff_sub {background:rgba(229,57,53,.25)}
.mltrack-diff td {padding:0 4px;white-space:pre}
</style>"""


def differs(values: Sequence[object]) -> bool:
    """True when the values are not all equal (a missing value differs from any value)."""
    return len({repr(v) for v in values}) > 1


def param_rows(
    runs: Sequence[Run], *, only_differences: bool = False
) -> list[tuple[str, list[str | None]]]:
    """``(param key, value per run)`` for every param any run has, sorted by key."""
    keys = sorted({k for r in runs for k in r.data.params})
    rows = [(k, [r.data.params.get(k) for r in runs]) for k in keys]
    return [row for row in rows if differs(row[1])] if only_differences else rows


@dataclass(frozen=True, slots=True)
class MetricCell:
    """A run's last value of a metric and its difference to the baseline run's.

    ``verdict`` judges the change: ``"better"``, ``"worse"``, ``"neutral"`` (a metric with no
    good direction, such as ``example_count``), or None when no change is shown (the baseline
    itself, a missing value, or a difference too small to see at the shown precision).
    """

    value: float | None
    delta: float | None = None
    relative: float | None = None  # delta / |baseline|, when the baseline is not 0
    verdict: Verdict | None = None


def metric_rows(
    runs: Sequence[Run],
    baseline_id: str | None,
    *,
    senses: Mapping[str, Direction | None] | None = None,
    digits: int = DIGITS,
) -> list[tuple[str, list[MetricCell]]]:
    """``(metric key, cell per run)`` with deltas against the baseline run (None: no deltas).

    Args:
        runs: The runs, in column order.
        baseline_id: The run the others are compared with.
        senses: Metric key -> ``"min"``/``"max"``/None (neutral); keys not in it are judged by
            :func:`~jupyter_mltrack.widgets._direction.metric_sense`.
        digits: Significant digits shown; a change that does not show at this precision is
            noise and gets no delta.
    """
    keys = sorted({k for r in runs for k in r.data.metrics})
    base = next((r for r in runs if r.info.run_id == baseline_id), None)
    rows = []
    for key in keys:
        ref = base.data.metrics.get(key) if base is not None else None
        sense = senses[key] if senses is not None and key in senses else metric_sense(key)
        cells = []
        for run in runs:
            value = run.data.metrics.get(key)
            if value is None or ref is None or run is base or not _finite(value, ref):
                cells.append(MetricCell(value))
            elif format_number(value, digits) == format_number(ref, digits):
                cells.append(MetricCell(value))  # noise at the shown precision
            else:
                delta = value - ref
                relative = delta / abs(ref) if ref else None
                cells.append(MetricCell(value, delta, relative, _verdict(delta, sense)))
        rows.append((key, cells))
    return rows


def _verdict(delta: float, sense: Direction | None) -> Verdict:
    if sense is None:
        return "neutral"
    return "better" if (delta < 0) == (sense == "min") else "worse"


def format_number(value: float, digits: int = DIGITS) -> str:
    """A metric value with ``digits`` significant digits (whole numbers keep every digit)."""
    if not math.isfinite(value):
        return str(value)
    whole = len(str(int(abs(value)))) if abs(value) >= 1 else 0
    return f"{value:.{max(digits, whole)}g}"


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _header(labels: Sequence[str], first: str, baseline: str | None = None) -> str:
    heads = "".join(
        f"<th {_TH}>{html.escape(label)}{' (baseline)' if label == baseline else ''}</th>"
        for label in labels
    )
    return f"<tr><th {_TH}>{html.escape(first)}</th>{heads}</tr>"


def param_table_html(
    labels: Sequence[str], rows: Sequence[tuple[str, Sequence[str | None]]]
) -> str:
    """The param table; rows whose values differ are highlighted."""
    if not rows:
        return "<i>No params differ.</i>" if labels else ""
    body = "".join(
        f'<tr class="mltrack-param-row{" mltrack-differs" if differs(values) else ""}">'
        f"<td {_TD}><b>{html.escape(key)}</b></td>"
        + "".join(
            f'<td {_TD[:-1]}{_DIFFERS if differs(values) else ""}">'
            f"{_MISSING if v is None else html.escape(v)}</td>"
            for v in values
        )
        + "</tr>"
        for key, values in rows
    )
    return f"<table {_TABLE.format(cls='mltrack-params')}>{_header(labels, 'param')}{body}</table>"


_VERDICT_COLORS = {
    "better": "var(--jp-success-color1, #2e7d32)",
    "worse": "var(--jp-error-color1, #c62828)",
    "neutral": "var(--jp-ui-font-color2, #757575)",
}


def _delta_html(cell: MetricCell) -> str:
    if cell.delta is None or cell.verdict is None:
        return ""
    arrow = "▲" if cell.delta > 0 else "▼"
    rel = f" ({cell.relative:+.1%})" if cell.relative is not None else ""
    return (
        f' <span class="mltrack-delta mltrack-{cell.verdict}" '
        f'style="color:{_VERDICT_COLORS[cell.verdict]};font-size:11px">'
        f"{arrow} {cell.delta:+.3g}{rel}</span>"
    )


def _value_html(cell: MetricCell, digits: int) -> str:
    if cell.value is None:
        return _MISSING
    return f'<span title="{cell.value!r}">{html.escape(format_number(cell.value, digits))}</span>'


def metric_table_html(
    labels: Sequence[str],
    rows: Sequence[tuple[str, Sequence[MetricCell]]],
    baseline: str | None,
    *,
    senses: Mapping[str, Direction | None] | None = None,
    digits: int = DIGITS,
) -> str:
    """The metric table: last values, and the change against the baseline run.

    ▲ up, ▼ down; green when the change is an improvement, red when it is not, grey for a
    neutral metric (see :func:`~jupyter_mltrack.widgets._direction.metric_sense`). The metric
    name says which way is better (↑ or ↓) when ``senses`` knows it.
    """
    if not rows:
        return "<i>The runs have no metrics.</i>"
    senses = senses or {}
    body = "".join(
        f'<tr class="mltrack-metric-row"><td {_TD}><b>{html.escape(key)}</b>'
        f"{_sense_mark(senses.get(key))}</td>"
        + "".join(f"<td {_TD}>{_value_html(c, digits)}{_delta_html(c)}</td>" for c in cells)
        + "</tr>"
        for key, cells in rows
    )
    header = _header(labels, "metric", baseline)
    return f"<table {_TABLE.format(cls='mltrack-metrics')}>{header}{body}</table>"


def _sense_mark(sense: Direction | None) -> str:
    if sense is None:
        return ""
    way = "higher" if sense == "max" else "lower"
    arrow = "↑" if sense == "max" else "↓"
    return f' <span title="{way} is better" style="opacity:0.6">{arrow}</span>'


def axis_choices(
    runs: Sequence[Run], objective: str | None, *, max_axes: int = 8
) -> tuple[list[str], list[str]]:
    """The parallel-coordinates axes offered and shown by default.

    Offered: the params and metrics whose values differ between the runs (a constant axis
    tells nothing), plus the objective. Shown: the varying params, then the objective (or, with
    no objective, the first varying metrics), at most ``max_axes``.
    """
    params = [f"params.{k}" for k, values in param_rows(runs) if differs(values)]
    keys = sorted({k for r in runs for k in r.data.metrics})
    metrics = [f"metrics.{k}" for k in keys if differs([r.data.metrics.get(k) for r in runs])]
    target = f"metrics.{objective}" if objective in keys else None
    if target and target not in metrics:
        metrics.insert(0, target)
    if target:
        default = [*params[: max_axes - 1], target]
    else:
        default = (params[: max_axes - min(len(metrics), 2)] + metrics)[:max_axes]
    return params + metrics, default


def parcoords_columns(runs: Sequence[Run], names: Sequence[str]) -> dict[str, list[object]]:
    """Values per run for ``params.<key>`` / ``metrics.<key>`` names, for the parallel plot."""
    columns: dict[str, list[object]] = {}
    for name in names:
        kind, _, key = name.partition(".")
        source = "params" if kind == "params" else "metrics"
        columns[name] = [getattr(r.data, source).get(key) for r in runs]
    return columns


def source_diff_html(
    title: str, texts: Mapping[str, str | None], baseline: str, *, context: bool = True
) -> str:
    """Side-by-side diffs of one recorded source file: the baseline against each other run.

    Args:
        title: What the text is, e.g. ``"cell.py"``.
        texts: Run label -> the file's text (None where the run has no such file).
        baseline: The label the others are compared with.
        context: Show only changed lines with a few lines around them.
    """
    base = texts.get(baseline)
    parts = []
    for label, text in texts.items():
        if label == baseline:
            continue
        head = f"<b>{html.escape(title)}</b>: {html.escape(baseline)} → {html.escape(label)}"
        if base is None or text is None:
            missing = baseline if base is None else label
            parts.append(f"<div>{head}: <i>{html.escape(missing)} has no {title}</i></div>")
        elif base == text:
            parts.append(f"<div>{head}: <i>identical</i></div>")
        else:
            table = difflib.HtmlDiff(tabsize=4, wrapcolumn=80).make_table(
                base.splitlines(), text.splitlines(), baseline, label, context=context, numlines=2
            )
            parts.append(f"<div>{head}</div>{_NAV_LINK.sub('', table)}")
    return f'<div class="mltrack-diff">{DIFF_STYLE}{"".join(parts)}</div>' if parts else ""
