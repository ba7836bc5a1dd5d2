"""Pure helpers of the run comparison: param and metric tables, deltas, source diffs (HTML)."""

from __future__ import annotations

import difflib
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jupyter_mltrack.entities import Run
from jupyter_mltrack.widgets._labels import format_value

__all__ = [
    "DIFF_STYLE",
    "MetricCell",
    "differs",
    "metric_rows",
    "metric_table_html",
    "param_rows",
    "param_table_html",
    "parcoords_columns",
    "source_diff_html",
]

_TABLE = (
    'style="border-collapse:collapse;font-size:12px;margin:4px 0" '
    'class="mltrack-compare-table {cls}"'
)
# HtmlDiff's "next change" links jump around the page; the changes are few and visible anyway.
_NAV_LINK = re.compile(r'<a href="#difflib_[^"]*">[^<]*</a>')
_MISSING = '<span style="color:#aaa">—</span>'
_TH = 'style="text-align:left;padding:2px 8px;border-bottom:1px solid #ccc"'
_TD = 'style="padding:2px 8px;border-bottom:1px solid #eee"'
DIFF_STYLE = """<style>
.mltrack-diff table.diff {font-family:monospace;font-size:12px;border-collapse:collapse}
.mltrack-diff .diff_header {background:#f0f0f0;color:#888;padding:0 4px}
.mltrack-diff td.diff_header {text-align:right}
.mltrack-diff .diff_next {background:#f0f0f0}
.mltrack-diff .diff_add {background:#d4f8d4}
.mltrack-diff .diff_chg {background:#fff3b0}
.mltrack-diff .diff_sub {background:#ffd6d6}
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
    """A run's last value of a metric and its difference to the baseline run's."""

    value: float | None
    delta: float | None = None
    relative: float | None = None  # delta / |baseline|, when the baseline is not 0


def metric_rows(runs: Sequence[Run], baseline_id: str | None) -> list[tuple[str, list[MetricCell]]]:
    """``(metric key, cell per run)`` with deltas against the baseline run (None: no deltas)."""
    keys = sorted({k for r in runs for k in r.data.metrics})
    base = next((r for r in runs if r.info.run_id == baseline_id), None)
    rows = []
    for key in keys:
        ref = base.data.metrics.get(key) if base is not None else None
        cells = []
        for run in runs:
            value = run.data.metrics.get(key)
            if value is None or ref is None or run is base or not _finite(value, ref):
                cells.append(MetricCell(value))
                continue
            delta = value - ref
            cells.append(MetricCell(value, delta, delta / abs(ref) if ref else None))
        rows.append((key, cells))
    return rows


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
            f"<td {_TD}{' bgcolor=#fff6d5' if differs(values) else ''}>"
            f"{_MISSING if v is None else html.escape(v)}</td>"
            for v in values
        )
        + "</tr>"
        for key, values in rows
    )
    return f"<table {_TABLE.format(cls='mltrack-params')}>{_header(labels, 'param')}{body}</table>"


# Metrics whose name says "lower is better": a rise is bad news, so it is coloured red.
_LOWER_IS_BETTER = re.compile(
    r"loss|err|mse|mae|rmse|mape|perplexity|latency|duration|time|cost|regret|fpr|fnr|wer|cer",
    re.IGNORECASE,
)


def lower_is_better(key: str) -> bool:
    """Guess from a metric's name whether smaller values are better (loss, error, rmse, ...)."""
    return _LOWER_IS_BETTER.search(key) is not None


def _delta_html(cell: MetricCell, key: str) -> str:
    if cell.delta is None or cell.delta == 0:
        return ""
    improved = (cell.delta < 0) if lower_is_better(key) else (cell.delta > 0)
    arrow = "▲" if cell.delta > 0 else "▼"
    color = "#2e7d32" if improved else "#c62828"
    rel = f" ({cell.relative:+.1%})" if cell.relative is not None else ""
    return (
        f' <span class="mltrack-delta" style="color:{color};font-size:11px">'
        f"{arrow} {cell.delta:+.4g}{rel}</span>"
    )


def metric_table_html(
    labels: Sequence[str], rows: Sequence[tuple[str, Sequence[MetricCell]]], baseline: str | None
) -> str:
    """The metric table: last values, and the change against the baseline run (▲ up, ▼ down;
    green when the change is an improvement, judged from the metric's name)."""
    if not rows:
        return "<i>The runs have no metrics.</i>"
    body = "".join(
        f'<tr class="mltrack-metric-row"><td {_TD}><b>{html.escape(key)}</b></td>'
        + "".join(
            f"<td {_TD}>{_MISSING if c.value is None else format_value(c.value)}"
            f"{_delta_html(c, key)}</td>"
            for c in cells
        )
        + "</tr>"
        for key, cells in rows
    )
    header = _header(labels, "metric", baseline)
    return f"<table {_TABLE.format(cls='mltrack-metrics')}>{header}{body}</table>"


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
