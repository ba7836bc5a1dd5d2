"""PostgreSQL's search DataFrame: each table grouped by key, every statement at the same time.

- The server groups a table's cells by key: one row per key holding its runs and values as
  arrays (metrics: and their kinds), fetched in binary. For the params of 10,000 runs that is 5
  rows instead of 50,000, which cut the client's CPU per table from ~18 to ~4 ms at the same
  server time. (A pivot with a column per key, ``FILTER``, made the server sort every run's
  cells and was slower.)
- What is left is the server's time: 15-30 ms per statement for 10,000 runs, and on one
  connection the runs, metrics, params and tags statements queued behind each other. The cells
  are therefore selected by the search itself (``run_uuid IN (<the search, with its order and
  limit>)``) instead of by the ids the runs statement returns, so nothing waits for it: the three
  cell statements run on pooled connections while the caller's connection reads the runs
  (``side_reads.py``); cells of runs the runs statement did not return (created meanwhile) are
  dropped when placed.
- Values are placed in the frame's run order on the caller's thread (``RunOrder`` keeps state
  between calls and is not shared with the workers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from jupyter_mltrack.store.sql import frame_order, raw_select, schema

__all__ = ["CELL_TABLES", "KeyedCells", "cell_statement", "fetch_keyed", "place_keyed"]

#: The frame's cell tables, and whether each holds metric values.
CELL_TABLES = (("latest_metrics", True), ("params", False), ("tags", False))

#: ``(key, run ids, values)``: a metric's values decoded to floats (NaN, infinities included).
KeyedCells = list[tuple[str, Sequence[str], Any]]


def cell_statement(table_name: str, search: sa.Select[Any], metric: bool) -> sa.Select[Any]:
    """Return the statement of ``table_name``'s cells of the runs ``search`` returns, one row
    per key: ``(key, run ids, values[, kinds])``."""
    table = schema.metadata.tables[table_name]
    found = search.subquery("found")
    columns = [
        table.c.key,
        sa.func.array_agg(table.c.run_uuid),
        sa.func.array_agg(table.c.value),
        *([sa.func.array_agg(table.c.kind)] if metric else []),
    ]
    return (
        sa.select(*columns)
        .where(table.c.run_uuid.in_(sa.select(found.c.run_uuid)))
        .group_by(table.c.key)
    )


def fetch_keyed(conn: sa.Connection, statement: sa.Select[Any], metric: bool) -> KeyedCells:
    """Run a :func:`cell_statement` and return its cells, metric values decoded."""
    import numpy as np

    rows = raw_select.select_rows(conn, statement, binary=True, once=True)
    if not metric:
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
    fetched: KeyedCells, order: frame_order.RunOrder, *, metric: bool
) -> dict[str, Any]:
    """Return ``{key: column}`` in ``order``'s run order (NaN/None where a run lacks the key)."""
    import numpy as np

    dtype, missing = (np.float64, math.nan) if metric else (object, None)
    return {key: order.place(cells, run_ids, dtype, missing) for key, run_ids, cells in fetched}
