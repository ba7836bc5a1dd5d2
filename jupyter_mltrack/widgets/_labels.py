"""Short human labels for runs and values, shared by the tables and plots."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from jupyter_mltrack.entities import Run
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID

__all__ = [
    "differing_params",
    "format_duration",
    "format_time",
    "format_value",
    "run_label",
    "run_labels",
]


def run_label(run: Run) -> str:
    """The run's name, or the first 8 characters of its id when it has none."""
    return run.info.run_name or run.info.run_id[:8]


def run_labels(
    runs: Iterable[Run], *, parent_names: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Labels by run id that tell runs sharing a name apart.

    A run whose name is unique keeps it. Runs sharing a name (six ``fit`` runs of a sweep) get,
    in this order of preference, whatever tells them apart: their parents' names when every one
    is known and different (``trial-4 > fit``), else the params whose values differ between them
    (``fit (learning_rate=0.2, max_depth=2)``), else their short run id (``fit (19bc27)``).

    Args:
        runs: The runs to label.
        parent_names: Names of parent runs by run id, when the caller has them.
    """
    runs = list(runs)
    groups: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        groups[run_label(run)].append(run)
    labels: dict[str, str] = {}
    for name, group in groups.items():
        if len(group) == 1:
            labels[group[0].info.run_id] = name
            continue
        labels.update(_sibling_labels(name, group, parent_names or {}))
    return labels


def _sibling_labels(
    name: str, group: Sequence[Run], parent_names: Mapping[str, str]
) -> dict[str, str]:
    parents = [parent_names.get(r.data.tags.get(PARENT_RUN_ID, "")) for r in group]
    if all(parents) and len(set(parents)) == len(group):
        return {r.info.run_id: f"{p} > {name}" for r, p in zip(group, parents, strict=True)}
    keys = differing_params(group)
    for count in range(1, min(len(keys), 3) + 1):
        shown = keys[:count]
        values = [tuple(r.data.params.get(k, "") for k in shown) for r in group]
        if len(set(values)) == len(group):
            return {
                r.info.run_id: f"{name} ({_pairs(shown, vals)})"
                for r, vals in zip(group, values, strict=True)
            }
    ids = [r.info.run_id for r in group]
    width = next((n for n in range(6, 33) if len({i[:n] for i in ids}) == len(set(ids))), 32)
    return {i: f"{name} ({i[:width]})" for i in ids}


def _pairs(keys: Sequence[str], values: Sequence[str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in zip(keys, values, strict=True))


def differing_params(runs: Sequence[Run]) -> list[str]:
    """Param keys whose values differ between ``runs``, most distinct values first."""
    values: dict[str, set[str]] = defaultdict(set)
    keys = {k for r in runs for k in r.data.params}
    for run in runs:
        for key in keys:
            values[key].add(run.data.params.get(key, ""))
    differing = [k for k in keys if len(values[k]) > 1]
    return sorted(differing, key=lambda k: (-len(values[k]), k))


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
