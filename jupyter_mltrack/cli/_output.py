"""Plain-text, JSON and CSV rendering for CLI output (no dependencies beyond the stdlib)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import click

__all__ = [
    "echo_csv",
    "echo_json",
    "echo_listing",
    "echo_table",
    "format_duration",
    "format_time",
    "printable",
]

# C0/C1 control characters (ESC starts the terminal's escape sequences: colours, clearing the
# screen, setting the window title, hyperlinks; CR and BS overwrite what was printed), DEL, and
# the invisible format characters that reorder or hide text (bidi overrides, zero-width marks).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


class _JsonEntity(Protocol):
    def to_dict(self) -> Any: ...


E = TypeVar("E", bound=_JsonEntity)


def printable(text: str) -> str:
    """Return ``text`` with control and invisible format characters written as escapes.

    Names and values come from the store, which anyone with write access fills: printed raw, an
    ``ESC`` sequence in a run name would restyle or clear the user's terminal. ``\\x1b[2J``
    shows what is there instead.

    Example:
        >>> printable("run\\x1b[2J")
        'run\\\\x1b[2J'
    """
    if text.isascii() and text.isprintable():  # the common case, without the regex
        return text
    return _UNPRINTABLE.sub(lambda found: repr(found.group())[1:-1], text)


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows as left-aligned columns separated by two spaces, under a header line."""
    headers = [printable(h) for h in headers]
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for row in [headers, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def echo_listing(
    items: Sequence[E],
    fmt: str,
    *,
    empty: str,
    headers: Sequence[str],
    row: Callable[[E], Sequence[str]],
) -> None:
    """Print entities as a JSON list (``fmt == "json"``), else as a table or the ``empty`` line."""
    if fmt == "json":
        echo_json([item.to_dict() for item in items])
    elif not items:
        click.echo(empty)
    else:
        echo_table(headers, [row(item) for item in items])


def echo_json(data: object) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(json.dumps(data, indent=2))


def echo_csv(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows as CSV with a header line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([printable(h) for h in headers])
    writer.writerows([printable(cell) for cell in row] for row in rows)
    click.echo(buffer.getvalue(), nl=False)


def format_time(ms: int | None) -> str:
    """Return a millisecond timestamp as local ``YYYY-MM-DD HH:MM:SS`` ("" for None)."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(start_ms: int, end_ms: int | None) -> str:
    """Return a run's duration as ``1h02m``, ``3m05s`` or ``4.2s`` ("" while it runs)."""
    if end_ms is None:
        return ""
    seconds = max(end_ms - start_ms, 0) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"
