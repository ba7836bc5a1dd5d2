"""SQLite's per-run reads behind the search DataFrame: SQLite groups the cells, C builds them.

Reading ``latest_metrics``, ``params`` and ``tags`` one row per (run, key) cell costs a tuple
and two or three Python objects per cell, then a Python loop to put each cell in its column:
for 10,000 runs of 5 metrics, 5 params and 2 tags (~130,000 cells) that was most of the
DataFrame's time. Here the grouping is done by SQLite and the columns are built by C code:

- params and tags (text, exact in JSON): one statement returns the run ids as one JSON array
  and every run's ``{key: value}`` object in one JSON text; ``json.loads`` (C) parses both and
  each column is ``map(dict.get, objects, ...)``. Measured ~15 ms instead of ~35 ms for the
  50,000 params of 10,000 runs. Any key count works (no result columns per key);
- metrics (floats: no SQLite text carries them exactly before 3.43, so they must stay REAL
  columns): after a small query for the keys and how many runs have each, one
  ``GROUP BY run_uuid`` statement returns one row per run and one column per key,
  ``MAX(decoded value) FILTER (WHERE key = ?)`` (38 ms for 10,000 runs of 5 metrics instead
  of ~65 ms for the cells and their Python loop). NaN becomes NULL (a missing metric is NaN in
  the frame anyway) and +/-inf SQLite's ``9e999`` / ``-9e999``, so the column needs no decoding
  on this side. Each row is compared with every key, so the cost grows with cells x keys: past
  ``_PIVOT_KEYS`` keys, when every run has every key, the values come one row per cell in (run,
  key) order and are reshaped into a runs x keys block (numpy); else the caller reads the cells
  one by one as before (``None`` tells it to). A row per cell costs more than it looks here:
  besides its objects, the garbage collector's passes over the objects the frame holds.

PostgreSQL has its own read (``frame_keyed.py``: each table grouped by key into arrays); the
same pivot there (``FILTER``) measured slower in wall time than the cells it saved.

Both return columns aligned with the caller's run order by one numpy scatter per column (rows
of runs the caller did not ask for, which a whole-table read includes, are dropped).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jupyter_mltrack.store.sql import raw, schema

if TYPE_CHECKING:
    import numpy as np

# Past this many metric keys, comparing every row with every key costs more than reading cells
# (measured on SQLite, 10,000 runs: the pivot costs ~3.5 ms per key, the cells ~45 ms in all).
_PIVOT_KEYS = 12
# NaN is NULL (NaN in the frame); SQLite reads 9e999 as infinity.
_DECODED = (
    f"CASE kind WHEN {schema.KIND_FINITE} THEN value WHEN {schema.KIND_POS_INF} THEN 9e999"
    f" WHEN {schema.KIND_NEG_INF} THEN -9e999 END"
)
# An index with the key first counts each key's runs without visiting the table.
_KEYS = "SELECT {key}, COUNT(*) FROM latest_metrics WHERE {where} GROUP BY {key} ORDER BY {key}"
_METRIC_BLOCK = (
    "SELECT run_uuid, " + _DECODED + " FROM latest_metrics WHERE {where} ORDER BY run_uuid, {key}"
)
_PIVOT_COLUMN = "MAX(" + _DECODED + ") FILTER (WHERE {key} = ?)"
_PIVOT = "SELECT run_uuid, {columns} FROM latest_metrics WHERE {where} GROUP BY run_uuid"
# Both aggregates see the rows in the same order, so the n-th id owns the n-th object.
_TEXT_OBJECTS = (
    "SELECT json_group_array(run_uuid), '[' || group_concat(cells, ',') || ']' FROM"
    " (SELECT run_uuid, json_group_object({key}, {value}) AS cells FROM {table}"
    " WHERE {where} GROUP BY run_uuid)"
)
# Text keys read densely (one map per key over every run) unless that is this many times the
# cells: sparse keys (one tag key per run) would make it runs x keys.
_DENSE_RATIO = 4


class RunOrder:
    """The caller's runs in frame order, and where the rows of a read go in it."""

    def __init__(self, run_ids: Sequence[str]) -> None:
        self.position = {run_id: index for index, run_id in enumerate(run_ids)}
        self.size = len(run_ids)
        self._last: tuple[list[str], tuple[Any, Any]] | None = None

    def targets(self, run_ids: Sequence[str]) -> tuple[np.ndarray | None, np.ndarray]:
        """Return (rows to keep, or None for all; their positions) for rows of ``run_ids``.

        The reads of one frame usually return the same runs in the same (id) order, so the
        last answer is kept.
        """
        import numpy as np

        run_ids = list(run_ids)
        if self._last is not None and self._last[0] == run_ids:
            return self._last[1]  # type: ignore[no-any-return]
        found = list(map(self.position.get, run_ids))
        if None not in found:
            answer: tuple[Any, Any] = (None, np.array(found, dtype=np.intp))
        else:
            keep = [i for i, index in enumerate(found) if index is not None]
            answer = (np.array(keep, dtype=np.intp), np.array([found[i] for i in keep], np.intp))
        self._last = (run_ids, answer)
        return answer

    def place(self, values: Any, run_ids: Sequence[str], dtype: Any, missing: Any) -> Any:
        """Return one column of values given in ``run_ids`` order, in frame order."""
        return _place(values, *self.targets(run_ids), self.size, dtype, missing)


def text_columns(
    conn: sa.Connection, table: str, where: str, values: Sequence[Any], order: RunOrder
) -> dict[str, Any]:
    """Return ``{key: column}`` of a text table (params/tags) for the runs of ``order``."""
    query = _TEXT_OBJECTS.format(key="{key}", value="{value}", table=table, where=where)
    row = raw.fetchone(conn, query, values)
    if row is None or row[1] is None:  # no rows: group_concat of nothing is NULL
        return {}
    run_ids: list[str] = json.loads(row[0])
    objects: list[dict[str, str]] = json.loads(row[1])
    keys = set().union(*objects)
    if len(keys) * len(objects) > _DENSE_RATIO * sum(map(len, objects)):
        return _sparse_text(objects, run_ids, order)
    get = dict.get
    return {
        key: order.place(list(map(get, objects, repeat(key))), run_ids, object, None)
        for key in keys
    }


def _sparse_text(
    objects: list[dict[str, str]], run_ids: list[str], order: RunOrder
) -> dict[str, Any]:
    """Scatter runs' ``{key: value}`` cell by cell (many keys, each in few runs)."""
    columns: dict[str, list[str | None]] = {}
    position, size = order.position, order.size
    for run_id, cells in zip(run_ids, objects, strict=True):
        index = position.get(run_id)
        if index is None:
            continue
        for key, value in cells.items():
            column = columns.get(key)
            if column is None:
                column = columns[key] = [None] * size
            column[index] = value
    return columns


def metric_columns(
    conn: sa.Connection, where: str, values: Sequence[Any], order: RunOrder
) -> dict[str, Any] | None:
    """Return ``{key: float column}`` of ``latest_metrics`` for the runs of ``order``.

    Returns None when there are more than ``_PIVOT_KEYS`` keys and not every run has every
    key: the caller then reads the cells.
    """
    query = _KEYS.format(key="{key}", where=where)
    counts = raw.fetchall(conn, query, values)  # (key, runs having it), in key order
    keys = [key for key, _ in counts]
    if len(keys) <= _PIVOT_KEYS:
        return _pivot(conn, keys, where, values, order)
    if len({count for _, count in counts}) > 1:
        return None  # some run lacks some key
    return _rectangle(conn, keys, where, values, order)


def _pivot(
    conn: sa.Connection, keys: list[str], where: str, values: Sequence[Any], order: RunOrder
) -> dict[str, Any]:
    """Read ``latest_metrics`` as one row per run and one column per key of ``keys``."""
    import numpy as np

    if not keys:
        return {}
    columns = ", ".join([_PIVOT_COLUMN] * len(keys))
    rows = raw.fetchall(conn, _PIVOT.format(columns=columns, where=where), (*keys, *values))
    if not rows:
        return {}
    run_ids, *cells = zip(*rows, strict=True)
    return {
        key: order.place(column, run_ids, np.float64, math.nan)
        for key, column in zip(keys, cells, strict=True)
    }


def _rectangle(
    conn: sa.Connection, keys: list[str], where: str, values: Sequence[Any], order: RunOrder
) -> dict[str, Any] | None:
    """Read the values as a runs x keys block if every run has every key, else return None.

    The rows come in (run, key) order, one per cell, without their key: when each block of
    ``len(keys)`` rows belongs to one run, that run has ``len(keys)`` distinct keys of ``keys``
    (run and key are unique together), so all of them, in key order. One row per cell costs
    more than the pivot's row per run (objects, and the garbage collector's passes over them),
    so this is for many keys only, where the pivot compares every cell with every key.
    """
    import numpy as np

    width = len(keys)
    rows = raw.fetchall(conn, _METRIC_BLOCK.format(key="{key}", where=where), values)
    if not rows or len(rows) % width:
        return None
    run_ids, cells = zip(*rows, strict=True)
    first = run_ids[::width]
    if any(run_ids[offset::width] != first for offset in range(1, width)):
        return None
    block = np.array(cells, dtype=np.float64).reshape(len(first), width)
    return {
        key: order.place(block[:, index], first, np.float64, math.nan)
        for index, key in enumerate(keys)
    }


def _place(
    values: Sequence[Any],
    source: np.ndarray | None,
    target: np.ndarray,
    size: int,
    dtype: Any,
    missing: Any,
) -> np.ndarray:
    """Scatter one column's ``values`` (row order) to ``target`` positions of a new column."""
    import numpy as np

    array = np.array(values, dtype=dtype)
    if source is not None:
        array = array[source]
    column = np.full(size, missing, dtype=dtype)
    column[target] = array
    return column


__all__ = ["RunOrder", "metric_columns", "text_columns"]
