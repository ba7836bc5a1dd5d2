"""Short human labels for runs and values, shared by the tables and plots."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from jupyter_mltrack.entities import Run

__all__ = ["format_duration", "format_time", "format_value", "run_label", "run_labels"]


def run_label(run: Run) -> str:
    """The run's name, or the first 8 characters of its id when it has none."""
    return run.info.run_name or run.info.run_id[:8]


def run_labels(runs: Iterable[Run]) -> dict[str, str]:
    """Labels by run id; runs sharing a name get their short id appended to tell them apart."""
    runs = list(runs)
    counts = Counter(run_label(r) for r in runs)
    return {
        r.info.run_id: (
            run_label(r) if counts[run_label(r)] == 1 else f"{run_label(r)} ({r.info.run_id[:6]})"
        )
        for r in runs
    }


def format_value(value: object) -> str:
    """Format a metric or param for a table cell: floats with 6 significant digits."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.6g}"
    return str(value)


def format_time(ms: int | None) -> str:
    """Epoch milliseconds as ``YYYY-MM-DD HH:MM:SS`` (UTC), or "" when unset."""
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(start_ms: int | None, end_ms: int | None) -> str:
    """A duration such as ``1h 02m``, ``3m 05s`` or ``12.3s``; "" when unknown."""
    if not start_ms or not end_ms or end_ms < start_ms:
        return ""
    seconds = (end_ms - start_ms) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
