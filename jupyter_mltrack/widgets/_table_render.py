"""Pure helpers of the runs table: column specs, cell values, row HTML and filter errors.

A column is named the way the search language names it — ``metrics.acc``, ``params.lr``,
``tags.team``, or a bare attribute such as ``status`` — so the same name sorts in the store
(``Column.order_by``) and heads the table.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from jupyter_mltrack.entities import Run
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID
from jupyter_mltrack.widgets._labels import format_duration, format_time, format_value

__all__ = [
    "ATTRIBUTES",
    "STATUS_COLORS",
    "Column",
    "available_columns",
    "cell_text",
    "column_widths",
    "default_columns",
    "filter_error_html",
    "filter_error_position",
    "parse_column",
    "row_html",
    "status_badge",
]

Kind = Literal["attribute", "metric", "param", "tag"]

# Attribute columns: name -> header label. ``duration`` is derived, so it cannot sort.
ATTRIBUTES: Mapping[str, str] = {
    "run_name": "Run",
    "status": "Status",
    "start_time": "Created",
    "duration": "Duration",
    "end_time": "Ended",
    "user_id": "User",
    "run_id": "Run id",
    "experiment_id": "Experiment",
}
_UNSORTABLE = frozenset({"duration"})
_PREFIXES: Mapping[str, Kind] = {
    "metrics": "metric",
    "metric": "metric",
    "params": "param",
    "param": "param",
    "tags": "tag",
    "tag": "tag",
    "attributes": "attribute",
    "attribute": "attribute",
    "attr": "attribute",
}
_PLURAL: Mapping[Kind, str] = {"metric": "metrics", "param": "params", "tag": "tags"}
STATUS_COLORS: Mapping[str, str] = {
    "RUNNING": "#1565c0",
    "SCHEDULED": "#6a1b9a",
    "FINISHED": "#2e7d32",
    "FAILED": "#c62828",
    "KILLED": "#ef6c00",
}
_COLUMN_AT = re.compile(r"at column (\d+)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CHAR_PX, _MIN_PX, _MAX_PX = 7.5, 64, 280
_EXTRA_PX = {"status": 24, "run_name": 20}


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: an attribute, or a metric, param or tag key."""

    kind: Kind
    key: str

    @property
    def name(self) -> str:
        """The column's name in the search language (``metrics.acc``, ``status``)."""
        return self.key if self.kind == "attribute" else f"{_PLURAL[self.kind]}.{self.key}"

    @property
    def label(self) -> str:
        """The header text."""
        return ATTRIBUTES.get(self.key, self.key) if self.kind == "attribute" else self.name

    @property
    def sortable(self) -> bool:
        """Whether the store can order by this column."""
        return not (self.kind == "attribute" and self.key in _UNSORTABLE)

    def order_by(self, ascending: bool) -> str:
        """The ``order_by`` clause sorting by this column."""
        if self.kind == "attribute":
            ident = f"attributes.{self.key}"
        else:  # backticks let keys hold spaces, dots and dashes
            ident = f"{_PLURAL[self.kind]}.`{self.key.replace('`', '')}`"
        return f"{ident} {'ASC' if ascending else 'DESC'}"


def parse_column(name: str | Column) -> Column:
    """Turn ``"metrics.acc"``, ``"params.lr"``, ``"tags.team"`` or ``"status"`` into a Column.

    Raises:
        InvalidParameterError: An unknown attribute or prefix.
    """
    if isinstance(name, Column):
        return name
    prefix, dot, key = name.partition(".")
    kind = _PREFIXES.get(prefix) if dot else None
    if kind is None:
        kind, key = "attribute", name
    if kind == "attribute" and key not in ATTRIBUTES:
        raise InvalidParameterError(
            f"Unknown column {name!r}: use metrics.<key>, params.<key>, tags.<key> or one of "
            f"{', '.join(ATTRIBUTES)}"
        )
    return Column(kind, key)


def cell_text(run: Run, column: Column, experiment_names: Mapping[str, str] | None = None) -> str:
    """The text shown for ``run`` in ``column`` ("" when the run lacks the key)."""
    info, data = run.info, run.data
    if column.kind == "metric":
        return format_value(data.metrics.get(column.key))
    if column.kind == "param":
        return data.params.get(column.key, "")
    if column.kind == "tag":
        return data.tags.get(column.key, "")
    key = column.key
    if key in ("start_time", "end_time"):
        return format_time(getattr(info, key))
    if key == "duration":
        return format_duration(info.start_time, info.end_time)
    if key == "status":
        return info.status.value
    if key == "experiment_id" and experiment_names:
        return experiment_names.get(info.experiment_id, info.experiment_id)
    return str(getattr(info, key) or "")


def status_badge(status: str) -> str:
    """A coloured pill showing a run status (CSS classes ``mltrack-status-<status>``)."""
    color = STATUS_COLORS.get(status, "#555")
    return (
        f'<span class="mltrack-status mltrack-status-{html.escape(status.lower())}" '
        f'style="background:{color};color:#fff;border-radius:8px;padding:0 6px;'
        f'font-size:11px">{html.escape(status)}</span>'
    )


def _cell_html(run: Run, column: Column, text: str) -> str:
    if column.kind == "attribute" and column.key == "status":
        return status_badge(text)
    shown = html.escape(text)
    if column.kind == "attribute" and column.key == "run_name":
        if run.data.tags.get(PARENT_RUN_ID):  # nested run: indent under its parent
            shown = f'<span title="nested run" style="color:#888">↳ </span>{shown}'
    elif column.kind == "metric":
        return f'<span style="font-variant-numeric:tabular-nums">{shown}</span>'
    return shown


def column_widths(columns: Sequence[Column], texts: Sequence[Sequence[str]]) -> list[int]:
    """Pixel widths fitting each column's header and (up to a cap) its longest cell."""
    widths = []
    for i, column in enumerate(columns):
        longest = max([len(column.label) + 2, *(len(row[i]) for row in texts)])
        extra = _EXTRA_PX.get(column.name, 0)  # badge padding, the nested-run arrow
        widths.append(int(min(max(longest * _CHAR_PX + 16 + extra, _MIN_PX), _MAX_PX)))
    return widths


def grid_template(widths: Sequence[int]) -> str:
    """The CSS ``grid-template-columns`` shared by the header and every row."""
    return " ".join(f"{w}px" for w in widths)


def row_html(run: Run, columns: Sequence[Column], texts: Sequence[str], template: str) -> str:
    """One table row (without its checkbox) as a CSS grid aligned with the header."""
    cells = "".join(
        f'<div class="mltrack-cell" data-column="{html.escape(c.name)}" '
        f'title="{html.escape(t)}" style="overflow:hidden;text-overflow:ellipsis;'
        f'white-space:nowrap;padding:0 6px">{_cell_html(run, c, t)}</div>'
        for c, t in zip(columns, texts, strict=True)
    )
    return (
        f'<div class="mltrack-row-cells" data-run-id="{html.escape(run.info.run_id)}" '
        f'style="display:grid;grid-template-columns:{template};line-height:26px">{cells}</div>'
    )


def default_columns(runs: Iterable[Run], *, metrics: int = 3, params: int = 3) -> list[Column]:
    """Name, status, created, duration, then the first few metric and param keys seen."""
    runs = list(runs)
    metric_keys = sorted({k for r in runs for k in r.data.metrics})[:metrics]
    param_keys = sorted({k for r in runs for k in r.data.params})[:params]
    return [
        *(Column("attribute", a) for a in ("run_name", "status", "start_time", "duration")),
        *(Column("metric", k) for k in metric_keys),
        *(Column("param", k) for k in param_keys),
    ]


def available_columns(keys: Mapping[str, Iterable[str]]) -> list[Column]:
    """Every attribute column, then the given ``{"metric"|"param"|"tag": keys}`` sorted."""
    out = [Column("attribute", a) for a in ATTRIBUTES]
    for kind in ("metric", "param", "tag"):
        out += [Column(kind, k) for k in sorted(keys.get(kind, ()))]  # type: ignore[arg-type]
    return out


def filter_error_position(message: str) -> int | None:
    """The 1-based column a search-language error points at, if its message names one."""
    match = _COLUMN_AT.search(message)
    return int(match.group(1)) if match else None


def _line_around(text: str, offset: int) -> tuple[int, int, int]:
    """``(start, end, next_start)`` of the line of ``text`` holding character ``offset``."""
    start, end, after = 0, len(text), len(text)
    for match in _LINE_BREAK.finditer(text):
        if match.end() <= offset:
            start = match.end()
        else:  # the first break at or after the offset ends its line
            end, after = match.start(), match.end()
            break
    return start, end, after


def _caret_pad(text: str) -> str:
    """Blank space as wide as ``text`` in a monospace ``<pre>``.

    Tabs stay tabs (so they jump to the same tab stop), East Asian wide characters take two
    cells and combining marks none; everything else takes one.
    """
    pad = []
    for char in text:
        if char == "\t":
            pad.append("\t")
        elif unicodedata.combining(char):
            continue
        else:
            pad.append("  " if unicodedata.east_asian_width(char) in ("W", "F") else " ")
    return "".join(pad)


def filter_error_html(filter_string: str, message: str) -> str:
    """Show a filter parse error: the filter, a caret under the bad column, the message.

    The parser's messages end in ``at column <n> (found ...)``, ``n`` being the 1-based offset
    into the whole filter; in a filter of several lines the caret goes under the line holding
    that offset. Without a column the message is shown alone. The block scrolls sideways, so a
    long filter keeps its caret aligned instead of wrapping.
    """
    column = filter_error_position(message)
    text = message.removeprefix("filter_string: ")
    lines = []
    if column is None:
        lines.append(html.escape(filter_string))
    else:
        start, end, after = _line_around(filter_string, column - 1)
        lines.append(html.escape(filter_string[:end]))
        offset = min(max(column - 1, start), end)
        lines.append(_caret_pad(filter_string[start:offset]) + '<b style="color:#b00020">^</b>')
        if after < len(filter_string):
            lines.append(html.escape(filter_string[after:]))
    lines.append(f'<span style="color:#b00020">{html.escape(text)}</span>')
    return (
        '<pre class="mltrack-filter-error" style="margin:2px 0;padding:4px;'
        "background:#fff5f5;font-family:monospace;font-size:12px;line-height:1.35;"
        'white-space:pre;overflow-x:auto;tab-size:8">' + "\n".join(lines) + "</pre>"
    )
