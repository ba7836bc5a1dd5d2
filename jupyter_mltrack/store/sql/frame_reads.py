"""The columnar read behind ``search_runs_frame``: child rows to per-key aligned columns.

A search of 10,000 runs has ~130,000 (run, key, value) cells in ``latest_metrics``, ``params``
and ``tags``. Reading them costs Python objects per result row far more than SQL time, so:

- SQLite (3.38+, JSON built in) reads each run's cells packed in one row (``run_cells.py``,
  read by ``frame_cells.py``);
- PostgreSQL's DataFrame has its own read, every statement at once (``frame_keyed.py``);
- other backends read the cells one row per cell into per-key columns (below);
- the runs are named by one bound value (a JSON array on SQLite, an array on PostgreSQL)
  instead of thousands of ``IN (?, ...)`` markers, which cost more to bind and parse than the
  rows they select, and on SQLite a search returning most runs of the store reads the whole
  tables instead (one ordered pass instead of a lookup per run). Other backends bind chunked
  ``IN`` lists (``run_data.run_restrictions``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jupyter_mltrack.store.sql import frame_cells, frame_keyed, frame_order, raw, schema
from jupyter_mltrack.store.sql.run_data import SQLITE_JSON, run_restrictions

if TYPE_CHECKING:
    import pandas as pd

_CELLS = "SELECT run_uuid, {key}, {value}{kind} FROM {table} WHERE {where}"


def _scatter(
    rows: Iterable[Any], position: dict[str, int], columns: dict[str, list[Any]], missing: Any
) -> None:
    """Put ``(run_id, key, value[, kind])`` cells into ``columns`` (rows of unknown runs skip).

    This loop runs once per cell (50,000 times for 10,000 runs of 5 metrics), hence the
    inlined lookups and one loop per row shape (a starred unpacking cost a list per cell);
    numpy scatter variants measured slower (the tuples must become arrays first).
    """
    size = len(position)
    rows = list(rows)
    if rows and len(rows[0]) == 4:
        decode = schema.decode_metric_value
        for run_id, key, value, kind in rows:
            index = position.get(run_id)
            if index is None:
                continue
            column = columns.get(key)
            if column is None:
                column = columns[key] = [missing] * size
            column[index] = decode(value, kind) if kind else value
        return
    for run_id, key, value in rows:
        index = position.get(run_id)
        if index is None:
            continue
        column = columns.get(key)
        if column is None:
            column = columns[key] = [missing] * size
        column[index] = value


def key_columns(
    conn: sa.Connection,
    table: str,
    run_ids: Sequence[str],
    *,
    metric: bool = False,
    order: frame_order.RunOrder | None = None,
) -> dict[str, Any]:
    """Return ``{key: value per run}`` aligned with ``run_ids`` (NaN/None where missing).

    ``order`` is ``run_ids`` as a :class:`frame_order.RunOrder`, shared by a frame's reads.
    """
    order = order or frame_order.RunOrder(run_ids)
    columns: dict[str, Any] = {}
    if not run_ids:
        return columns
    for where, values in run_restrictions(conn, run_ids):
        _read_into(conn, table, where, values, order, columns, metric=metric)
    return columns


def _read_into(
    conn: sa.Connection,
    table: str,
    where: str,
    values: Sequence[Any],
    order: frame_order.RunOrder,
    columns: dict[str, Any],
    *,
    metric: bool,
) -> None:
    """Read the cells of ``table`` matching ``where`` into ``columns``."""
    kind = ", kind" if metric else ""
    query = _CELLS.format(key="{key}", value="{value}", kind=kind, table=table, where=where)
    _scatter(
        raw.fetchall(conn, query, values),
        order.position,
        columns,
        math.nan if metric else None,
    )


def scope_metric_columns(
    conn: sa.Connection,
    run_ids: Sequence[str],
    experiment_ids: Sequence[int],
    stages: Sequence[str],
    order: frame_order.RunOrder | None = None,
) -> dict[str, Any]:
    """Like ``key_columns`` for ``latest_metrics``, when the runs are every run of a scope.

    The read model's copy of each run's experiment and stage selects the rows without a list
    of 10,000 ids to bind and probe (a third less time). Rows of runs that are not in
    ``run_ids`` (created since the runs were read) are skipped.
    """
    columns: dict[str, Any] = {}
    where, bound = _scope_restriction(experiment_ids, stages)
    order = order or frame_order.RunOrder(run_ids)
    _read_into(conn, "latest_metrics", where, bound, order, columns, metric=True)
    return columns


def frame_from_rows(
    conn: sa.Connection,
    rows: Sequence[Any],
    scope: tuple[Sequence[int], Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Build the search DataFrame from whole ``runs`` rows (in ``schema.runs`` column order).

    ``scope`` (experiment ids, lifecycle stages) says the rows are all the runs of that scope,
    which lets the metrics be read without listing the run ids.
    """
    from jupyter_mltrack.store.frames import build_frame_from_columns

    base = _base_columns(rows)
    run_ids = base["run_id"]
    order = frame_order.RunOrder(run_ids)  # shared: the reads usually align the same way
    if conn.dialect.name == "sqlite" and SQLITE_JSON:
        return build_frame_from_columns(base, *frame_cells.frame_cells(conn, run_ids, order))
    if scope is not None and run_ids:
        metrics = scope_metric_columns(conn, run_ids, *scope, order=order)
    else:
        metrics = key_columns(conn, "latest_metrics", run_ids, metric=True, order=order)
    params = key_columns(conn, "params", run_ids, order=order)
    tags = key_columns(conn, "tags", run_ids, order=order)
    return build_frame_from_columns(base, metrics, params, tags)


def frame_from_cells(rows: Sequence[Any], cells: Sequence[frame_keyed.KeyedCells]) -> pd.DataFrame:
    """Build the search DataFrame from ``runs`` rows and the cells of
    :data:`frame_keyed.CELL_TABLES`, in that order (PostgreSQL, see ``frame_keyed.py``)."""
    from jupyter_mltrack.store.frames import build_frame_from_columns

    base = _base_columns(rows)
    order = frame_order.RunOrder(base["run_id"])
    metrics, params, tags = (
        frame_keyed.place_keyed(table_cells, order, metric=metric)
        for table_cells, (_, metric) in zip(cells, frame_keyed.CELL_TABLES, strict=True)
    )
    return build_frame_from_columns(base, metrics, params, tags)


def _base_columns(rows: Sequence[Any]) -> dict[str, Any]:
    """The frame's run attribute columns from whole ``runs`` rows."""
    names = [column.name for column in schema.runs.columns]
    transposed = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    by_name = dict(zip(names, transposed, strict=True))
    return {
        "run_id": list(by_name["run_uuid"]),
        "experiment_id": list(map(str, by_name["experiment_id"])),
        "status": by_name["status"],
        "artifact_uri": by_name["artifact_uri"],
        "start_time": by_name["start_time"],
        "end_time": by_name["end_time"],
        "run_name": by_name["name"],
    }


def _scope_restriction(
    experiment_ids: Sequence[int], stages: Sequence[str]
) -> tuple[str, list[Any]]:
    where = (
        f"experiment_id IN ({raw.marks(len(experiment_ids))}) "
        f"AND lifecycle_stage IN ({raw.marks(len(stages))})"
    )
    return where, [*experiment_ids, *stages]


__all__ = [
    "frame_from_cells",
    "frame_from_rows",
    "key_columns",
    "scope_metric_columns",
]
