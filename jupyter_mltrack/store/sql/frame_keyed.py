"""PostgreSQL's reads behind the search DataFrame: tables grouped by key, read side by side.

- The server groups a table's cells by key: one row per key holding its runs and values as
  arrays (metrics: and their kinds), fetched in binary. For the params of 10,000 runs that is 5
  rows instead of 50,000, which cut the client's CPU per table from ~18 to ~4 ms at the same
  server time. (A pivot with a column per key, ``FILTER``, made the server sort every run's
  cells and was slower.)
- What is left is the server's time, 20-30 ms per table for 10,000 runs, and on one connection
  the three statements queued behind each other. So the metrics, params and tags statements run
  at the same time, the first on the caller's connection and the others on connections of the
  engine's pool. Under PostgreSQL's READ COMMITTED every statement takes its own snapshot
  anyway, so three statements on three connections see the store as consistently as three on
  one; rows of runs the caller does not list are dropped when the values are placed.
- Values are placed in the frame's run order on the caller's thread (``RunOrder`` keeps state
  between calls and is not shared with the workers).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, NamedTuple

import sqlalchemy as sa

from jupyter_mltrack.store.sql import frame_pivot, raw, schema

__all__ = ["KeyedRead", "fetch_keyed", "keyed_columns", "place_keyed"]

_KEYED_ARRAYS = (
    "SELECT {key}, array_agg(run_uuid), array_agg({value}){kind} FROM {table} WHERE {where} "
    "GROUP BY {key}"
)
#: Reads beside the caller's own: the frame has three tables, the caller takes one.
_WORKER_COUNT = 2
_workers: ThreadPoolExecutor | None = None
_workers_lock = threading.Lock()

#: ``(key, run ids, values)``: a metric's values decoded to floats (NaN, infinities included).
KeyedCells = list[tuple[str, Sequence[str], Any]]


class KeyedRead(NamedTuple):
    """One table's cells for the frame: ``table``'s rows matching ``where`` with ``values``."""

    table: str
    where: str
    values: Sequence[Any]
    metric: bool


def fetch_keyed(conn: sa.Connection, read: KeyedRead) -> KeyedCells:
    """Return ``read``'s cells as one ``(key, run ids, values)`` entry per key."""
    import numpy as np

    kind = ", array_agg(kind)" if read.metric else ""
    query = _KEYED_ARRAYS.format(
        key="{key}", value="{value}", kind=kind, table=read.table, where=read.where
    )
    cursor = conn.connection.driver_connection.cursor(binary=True)  # type: ignore[union-attr]
    try:  # binary: floats and arrays arrive without parsing
        cursor.execute(raw.render(conn, query), tuple(read.values))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not read.metric:
        return [(key, run_ids, cells) for key, run_ids, cells in rows]
    fetched: KeyedCells = []
    for key, run_ids, cells, kinds in rows:
        decoded = np.array(cells, dtype=np.float64)
        codes = np.array(kinds, dtype=np.int16)
        if codes.any():  # NaN and infinities are stored as a code and a placeholder value
            decoded[codes == schema.KIND_NAN] = math.nan
            decoded[codes == schema.KIND_POS_INF] = math.inf
            decoded[codes == schema.KIND_NEG_INF] = -math.inf
        fetched.append((key, run_ids, decoded))
    return fetched


def place_keyed(
    fetched: KeyedCells, order: frame_pivot.RunOrder, *, metric: bool
) -> dict[str, Any]:
    """Return ``{key: column}`` in ``order``'s run order (NaN/None where a run lacks the key)."""
    import numpy as np

    dtype, missing = (np.float64, math.nan) if metric else (object, None)
    return {key: order.place(cells, run_ids, dtype, missing) for key, run_ids, cells in fetched}


def keyed_columns(
    conn: sa.Connection, reads: Sequence[KeyedRead], order: frame_pivot.RunOrder
) -> list[dict[str, Any]]:
    """Return each read's ``{key: column}``: the first read on ``conn``, the others at the same
    time on pooled connections of ``conn``'s engine."""
    engine = conn.engine
    futures: list[Future[KeyedCells]] = [
        _pool().submit(_fetch_on_own_connection, engine, read) for read in reads[1:]
    ]
    try:
        fetched = [fetch_keyed(conn, reads[0])]
    finally:
        wait(futures)  # never leave a worker reading after the caller's transaction ended
    fetched.extend(future.result() for future in futures)  # a worker's error raises here
    return [
        place_keyed(cells, order, metric=read.metric)
        for cells, read in zip(fetched, reads, strict=True)
    ]


def _fetch_on_own_connection(engine: sa.Engine, read: KeyedRead) -> KeyedCells:
    with engine.connect() as conn:
        return fetch_keyed(conn, read)


def _pool() -> ThreadPoolExecutor:
    global _workers
    with _workers_lock:
        if _workers is None:
            _workers = ThreadPoolExecutor(_WORKER_COUNT, thread_name_prefix="mltrack-frame")
        return _workers


def _forget_workers() -> None:
    """In a forked child: the parent's worker threads do not exist here, and an executor that
    believes it has them would queue reads that nobody runs."""
    global _workers, _workers_lock
    _workers, _workers_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_workers)
