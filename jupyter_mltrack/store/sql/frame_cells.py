"""SQLite's search DataFrame cells, read from the packed rows of ``run_cells.py``.

One statement groups the packed rows of the frame's runs by their three key lists (a sweep's
runs share them, so there are a few groups) and returns, per group, the run ids, the metric
values (the float64 blobs, hex-joined) and the param and tag value lists (JSON arrays, joined into
one array). Each group then costs a handful of C calls: ``json.loads``, ``bytes.fromhex``,
``numpy.frombuffer`` and a numpy scatter per key into the frame's order (:class:`CellColumns`).
The DataFrame of 10,000 runs of 5 metrics, 5 params and 2 tags takes ~57 ms instead of ~135 ms
with the cells grouped by SQLite from the cell tables (a pivot, per-run JSON objects).

Runs without a packed row (being logged to, or a store from before the table) are read as
``get_run`` reads them, packed here and added as one more group; the rows are then written in
the read's own transaction, so the next frame finds them. SQLite refuses that write if any other
connection wrote since the read began (its snapshot is stale), and the rows are then just not
kept: a packed row always holds what the cells held when it was written, and the triggers delete
it on any later change.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jupyter_mltrack.store.sql import raw, run_cells
from jupyter_mltrack.store.sql.engine import SQLITE_BUSY_TIMEOUT_MS
from jupyter_mltrack.store.sql.run_data import load_run_data, run_restrictions

if TYPE_CHECKING:
    import numpy as np

    from jupyter_mltrack.store.sql.frame_order import RunOrder

__all__ = ["CellColumns", "frame_cells"]

logger = logging.getLogger(__name__)

# Both aggregates of a group see its rows in the same order: the n-th id owns the n-th values.
# Each run's value array loses its brackets, so a group's values come as one flat JSON array
# (a list per run would be 20,000 more objects for 10,000 runs, and more garbage collection).
_FLAT = "'[' || group_concat(substr({column}, 2, length({column}) - 2), ',') || ']'"
_GROUPS = (
    "SELECT metric_keys, param_keys, tag_keys, json_group_array(run_uuid),"
    " group_concat(hex(metric_values), ''), "
    + _FLAT.format(column="param_values")
    + ", "
    + _FLAT.format(column="tag_values")
    + " FROM run_cells WHERE {where} GROUP BY metric_keys, param_keys, tag_keys"
)
# A group as _GROUPS returns it.
_Group = tuple[str, str, str, str, str, str, str]


class CellColumns:
    """The frame's metric, param and tag columns, filled group by group in the frame's order."""

    def __init__(self, order: RunOrder) -> None:
        import numpy as np

        self.order = order
        self.covered = np.zeros(order.size, dtype=bool)
        self.metrics: dict[str, np.ndarray] = {}
        self.params: dict[str, np.ndarray] = {}
        self.tags: dict[str, np.ndarray] = {}

    def add(self, group: _Group) -> None:
        """Place one group's values (rows of runs outside the frame are dropped)."""
        import numpy as np

        metric_keys, param_keys, tag_keys, ids, hexes, param_values, tag_values = group
        kept, positions = self.order.targets(json.loads(ids))
        if not len(positions):
            return  # no run of the frame: its keys make no columns
        self.covered[positions] = True
        keys = json.loads(metric_keys)
        if keys:
            block = np.frombuffer(bytes.fromhex(hexes), dtype="<f8").reshape(-1, len(keys))
            self._place(self.metrics, keys, block, kept, positions, np.float64, math.nan)
        for columns, key_list, values in (
            (self.params, param_keys, param_values),
            (self.tags, tag_keys, tag_values),
        ):
            keys = json.loads(key_list)
            if keys:
                block = np.array(json.loads(values), dtype=object).reshape(-1, len(keys))
                self._place(columns, keys, block, kept, positions, object, None)

    def _place(
        self,
        columns: dict[str, np.ndarray],
        keys: list[str],
        block: np.ndarray,
        kept: np.ndarray | None,
        positions: np.ndarray,
        dtype: Any,
        missing: Any,
    ) -> None:
        import numpy as np

        if kept is not None:
            block = block[kept]
        for index, key in enumerate(keys):
            column = columns.get(key)
            if column is None:
                column = columns[key] = np.full(self.order.size, missing, dtype=dtype)
            column[positions] = block[:, index]

    def missing(self, run_ids: Sequence[str]) -> list[str]:
        """Return the runs of ``run_ids`` (the frame's, in order) that no group covered."""
        import numpy as np

        return [run_ids[index] for index in np.flatnonzero(~self.covered).tolist()]


def frame_cells(
    conn: sa.Connection, run_ids: Sequence[str], order: RunOrder
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Return the (metrics, params, tags) columns of ``run_ids`` (``order``'s runs).

    Packs the runs found without a packed row and keeps the rows if the read's transaction
    (``conn`` should be in one, begun before the runs were read) can still write them.
    """
    columns = CellColumns(order)
    for where, values in run_restrictions(conn, run_ids):
        for group in raw.fetchall(conn, _GROUPS.format(where=where), values):
            columns.add(group)
    unpacked = columns.missing(run_ids)
    if unpacked:
        rows = _pack_from_cells(conn, unpacked)
        for group in _groups(rows):
            columns.add(group)
        _keep(conn, rows)
    return columns.metrics, columns.params, columns.tags


def _pack_from_cells(conn: sa.Connection, run_ids: Sequence[str]) -> list[run_cells.Packed]:
    """Read the cells of ``run_ids`` (as ``get_run`` does) and pack each run."""
    return [
        run_cells.pack(run_id, data.metrics, data.params, data.tags)
        for run_id, data in load_run_data(conn, run_ids).items()
    ]


def _groups(rows: Sequence[run_cells.Packed]) -> Iterator[_Group]:
    """Group packed rows by their key lists, as ``_GROUPS`` would return them."""
    by_keys: dict[tuple[str, str, str], list[run_cells.Packed]] = {}
    for row in rows:
        by_keys.setdefault((row[1], row[3], row[5]), []).append(row)
    for (metric_keys, param_keys, tag_keys), group in by_keys.items():
        yield (
            metric_keys,
            param_keys,
            tag_keys,
            json.dumps([row[0] for row in group]),
            "".join(row[2].hex() for row in group),
            "[" + ",".join(row[4][1:-1] for row in group) + "]",
            "[" + ",".join(row[6][1:-1] for row in group) + "]",
        )


def _keep(conn: sa.Connection, rows: Sequence[run_cells.Packed]) -> None:
    """Write ``rows`` in the read's transaction, or not at all if SQLite refuses.

    Without waiting: a busy store (another writer) or a read-only one just keeps reading
    these runs cell by cell. Outside a transaction the cells may have changed since they
    were read, so nothing is written.
    """
    if not conn.in_transaction():
        return
    try:
        raw.execute(conn, "PRAGMA busy_timeout = 0")
        try:
            run_cells.store(conn, rows)
        finally:
            raw.execute(conn, f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        conn.commit()
    except (sa.exc.DBAPIError, conn.dialect.loaded_dbapi.Error) as exc:
        logger.debug("packed run cells not kept: %s", exc)
        conn.rollback()
