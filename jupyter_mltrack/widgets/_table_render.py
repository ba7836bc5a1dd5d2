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
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID, RERUN_OF
from jupyter_mltrack.widgets._labels import format_duration, format_time, format_value
from jupyter_mltrack.widgets._theme import ERROR_COLOR

__all__ = [
    "ATTRIBUTES",
    "STATUS_COLORS",
    "Column",
    "RowMarks",
    "available_columns",
    "cell_text",
    "column_widths",
    "filter_error_html",
    "filter_error_position",
    "parse_column",
    "row_html",
    "row_marks",
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
_EXTRA_PX = {"status": 24, "run_name": 34}  # badge padding; the nesting arrow and indent


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


@dataclass(frozen=True, slots=True)
class RowMarks:
    """How a row's Run cell shows nesting and re-runs.

    Attributes:
        depth: Indentation levels (a child under its shown parent is 1).
        nested: The run has a parent (shown or not): it gets the ``↳`` arrow.
        hidden: Children folded away under this row (shown as ``+n``).
        rerun_of: The label of the run this one re-executed, when it is a re-run.
    """

    depth: int = 0
    nested: bool = False
    hidden: int = 0
    rerun_of: str | None = None


def row_marks(
    run: Run, depth: int = 0, hidden: int = 0, labels: Mapping[str, str] | None = None
) -> RowMarks:
    """The :class:`RowMarks` of ``run`` (``labels`` names runs by id, for the re-run mark)."""
    original = run.data.tags.get(RERUN_OF)
    rerun_of = (labels or {}).get(original, original[:8]) if original else None
    return RowMarks(depth, bool(run.data.tags.get(PARENT_RUN_ID)), hidden, rerun_of)


def _run_name_html(text: str, marks: RowMarks) -> str:
    shown = html.escape(text)
    if marks.nested:
        shown = f'<span class="mltrack-muted" title="nested run">↳ </span>{shown}'
    if marks.hidden:
        shown += f' <span class="mltrack-muted" title="folded children">+{marks.hidden}</span>'
    if marks.rerun_of is not None:
        tip = html.escape(f"re-run of {marks.rerun_of}")
        shown += f' <span class="mltrack-rerun" title="{tip}">↻ re-run</span>'
    return shown


def _cell_html(column: Column, text: str, marks: RowMarks) -> str:
    if column.kind == "attribute" and column.key == "status":
        return status_badge(text)
    if column.kind == "attribute" and column.key == "run_name":
        return _run_name_html(text, marks)
    if column.kind == "metric":
        return f'<span style="font-variant-numeric:tabular-nums">{html.escape(text)}</span>'
    return html.escape(text)


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


def row_html(
    run: Run,
    columns: Sequence[Column],
    texts: Sequence[str],
    template: str,
    marks: RowMarks | None = None,
) -> str:
    """One table row (without its checkbox) as a CSS grid aligned with the header.

    The Run cell carries ``mltrack-cell-sticky``: the shared CSS pins it while the table
    scrolls sideways.
    """
    marks = marks or row_marks(run)
    cells = []
    for column, text in zip(columns, texts, strict=True):
        pinned = column.kind == "attribute" and column.key == "run_name"
        css = "mltrack-cell mltrack-cell-sticky" if pinned else "mltrack-cell"
        indent = 6 + 14 * marks.depth if pinned else 6
        cells.append(
            f'<div class="{css}" data-column="{html.escape(column.name)}" '
            f'title="{html.escape(text)}" style="overflow:hidden;text-overflow:ellipsis;'
            f'white-space:nowrap;padding:0 6px 0 {indent}px">'
            f"{_cell_html(column, text, marks)}</div>"
        )
    return (
        f'<div class="mltrack-row-cells" data-run-id="{html.escape(run.info.run_id)}" '
        f'style="display:grid;grid-template-columns:{template};line-height:26px">'
        f"{''.join(cells)}</div>"
    )


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


def filter_error_html(filter_string: str, message: str, hint: str = "") -> str:
    """Show a filter parse error: the filter, a caret under the bad column, the message.

    The parser's messages end in ``at column <n> (found ...)``, ``n`` being the 1-based offset
    into the whole filter; in a filter of several lines the caret goes under the line holding
    that offset. Without a column the filter is shown alone. The filter and caret scroll
    sideways, so a long filter keeps its caret aligned; the message below wraps. ``hint`` (HTML,
    e.g. "Did you mean <code>metrics.roc_auc</code>?") goes on a line of its own under it.
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
        lines.append(
            _caret_pad(filter_string[start:offset]) + f'<b style="color:{ERROR_COLOR}">^</b>'
        )
        if after < len(filter_string):
            lines.append(html.escape(filter_string[after:]))
    note = f'<br><span class="mltrack-filter-hint">{hint}</span>' if hint else ""
    lines.append(f'</pre><div class="mltrack-filter-message">{html.escape(text)}{note}</div>')
    return (
        '<div class="mltrack-filter-error" style="margin:2px 0;padding:2px 4px">'
        '<pre style="margin:0;font-family:monospace;font-size:12px;line-height:1.35;'
        'white-space:pre;overflow-x:auto;tab-size:8;background:transparent">'
        + "\n".join(lines)
        + "</div>"
    )
