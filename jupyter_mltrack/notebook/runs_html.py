"""The compact table ``%mltrack runs`` shows: names, short ids, coloured status, rounded numbers.

Only what tells runs apart is shown: params whose value varies across the listed runs (all of them
for a single run) and the metrics, the keys named in the filter first. A value a run does not
have is left blank (never ``NaN``), ids are cut to 8 characters (the full id is the tooltip), and
the header names the experiment the runs come from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from jupyter_mltrack.entities import Run
from jupyter_mltrack.notebook.displays import format_duration, format_time
from jupyter_mltrack.notebook.summary import STATUS_COLORS, format_value

__all__ = ["RunsListing", "runs_html", "runs_text"]

_MAX_METRICS = 8
_MAX_PARAMS = 6
_STYLE = "font-family:var(--jp-ui-font-family,sans-serif);font-size:12px"
_CELL = "padding:1px 8px;text-align:left;white-space:nowrap"


@dataclass(frozen=True)
class RunsListing:
    """Runs of one experiment as ``%mltrack runs`` found them."""

    experiment_name: str
    experiment_id: str
    runs: Sequence[Run]
    filter_string: str = ""
    #: True when more runs match than are listed.
    truncated: bool = False

    def title(self) -> str:
        """Return the header line: which experiment, how many runs, which filter."""
        count = f"{len(self.runs)}{'+' if self.truncated else ''} run" + (
            "" if len(self.runs) == 1 and not self.truncated else "s"
        )
        where = f" matching {self.filter_string!r}" if self.filter_string else ""
        return (
            f"Experiment '{self.experiment_name}' (id {self.experiment_id}): "
            f"{count}{where}, newest first"
        )

    def columns(self) -> tuple[list[str], list[str]]:
        """Return the param keys that vary and the metric keys to show, in display order."""
        runs = self.runs
        param_keys = sorted({k for r in runs for k in r.data.params})
        if len(runs) > 1:
            param_keys = [k for k in param_keys if len({r.data.params.get(k) for r in runs}) > 1]
        named = set(re.findall(r"metrics\.`?([\w.\-/ ]+?)`?(?=\s|$|[<>=!])", self.filter_string))
        metric_keys = sorted(
            {k for r in runs for k in r.data.metrics}, key=lambda k: (k not in named, k)
        )
        return param_keys[:_MAX_PARAMS], metric_keys[:_MAX_METRICS]


def _row(run: Run, params: list[str], metrics: list[str]) -> list[str]:
    info = run.info
    return [
        info.run_name or "",
        info.run_id[:8],
        info.status.value,
        format_time(info.start_time),
        format_duration(info.start_time, info.end_time),
        *(format_value(run.data.params[k]) if k in run.data.params else "" for k in params),
        *(format_value(run.data.metrics[k]) if k in run.data.metrics else "" for k in metrics),
    ]


def runs_html(listing: RunsListing) -> str:
    """Return the listing as one small HTML table under a header line."""
    params, metrics = listing.columns()
    head = ["run", "id", "status", "started", "duration", *params, *metrics]
    kinds = ["", "", "", "", "", *(["param"] * len(params)), *(["metric"] * len(metrics))]
    header = "".join(
        f"<th style='{_CELL}' title='{kind}'>{escape(name)}</th>"
        for name, kind in zip(head, kinds, strict=True)
    )
    rows = []
    for run in listing.runs:
        cells = _row(run, params, metrics)
        status = cells[2]
        color = STATUS_COLORS.get(status, "#616161")
        cells_html = [
            f"<td style='{_CELL}'><b>{escape(cells[0])}</b></td>",
            f"<td style='{_CELL}' title='{run.info.run_id}'><code>{cells[1]}</code></td>",
            f"<td style='{_CELL}'><span style='background:{color};color:#fff;border-radius:3px;"
            f"padding:0 4px;font-size:11px'>{escape(status)}</span></td>",
            *(f"<td style='{_CELL}'>{escape(value)}</td>" for value in cells[3:]),
        ]
        rows.append(f"<tr>{''.join(cells_html)}</tr>")
    more = "<div style='opacity:.7'>more runs match; narrow the filter</div>" * listing.truncated
    title = escape(listing.title(), quote=False)
    return (
        f"<div class='mltrack-runs' style='{_STYLE}'><div><b>{title}</b></div>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"
        "</div>"
    )


def runs_text(listing: RunsListing) -> str:
    """Return the listing as aligned plain text (for front ends without HTML)."""
    params, metrics = listing.columns()
    table = [
        ["run", "id", "status", "started", "duration", *params, *metrics],
        *(_row(run, params, metrics) for run in listing.runs),
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in table]
    return "\n".join([listing.title(), *(line.rstrip() for line in lines)])
