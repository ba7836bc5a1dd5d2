"""SQLite's packed run cells: each run's metrics, params and tags in one row, for the DataFrame.

``search_runs_frame`` of 10,000 runs reads ~130,000 (run, key, value) cells from
``latest_metrics``, ``params`` and ``tags``. However SQLite groups them (a pivot, JSON objects),
the statements alone cost ~65 ms and their Python objects as much again. This table holds a
run's cells packed once, keyed by run, so the frame reads one row per run and most of the work
is C (``json.loads`` of a few texts, ``numpy.frombuffer``):

- ``metric_keys``: the run's metric keys, sorted, as a JSON array (``[]`` for none);
  ``metric_values``: their latest values as little-endian float64s in that order (NaN and
  +/-inf exact, which no SQLite text before 3.43 carries for every double);
- ``param_keys``/``param_values`` and ``tag_keys``/``tag_values``: JSON arrays, values in key
  order.

Runs in a sweep share their key lists, so the frame groups runs by them and each group's values
come as one block (see ``frame_cells.py``).

The row is a cache that is never stale: triggers delete it whenever one of the run's cells is
inserted, changed or deleted, and when the run is deleted. Rows are written by
``import_runs`` and by the frame read itself for the runs it found without one (in the read's
own transaction, so a write that came in between makes SQLite refuse it). A run being logged
to thus has no row and is read cell by cell, and a run that stopped changing gets one on the
next frame. The triggers cost ~0.4 µs per written cell (~3% of a 1,000-key ``log_batch`` step).

Only SQLite stores have the table: PostgreSQL's frame groups the cells on the server instead
(``frame_keyed.py``). New stores get it from :func:`install`, older ones from migration
``0011_run_cells``. SQLite drops a table's triggers with the table, so a later migration that
rebuilds ``latest_metrics``, ``params``, ``tags`` or ``runs`` must empty ``run_cells`` and
create that table's triggers again (``tests/contract/test_migrations_contract.py`` compares an
upgraded store's triggers with a new store's).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from jupyter_mltrack.store.sql import raw

__all__ = ["DDL", "Packed", "install", "pack", "store"]

_TABLE = (
    "CREATE TABLE run_cells ("
    " run_uuid VARCHAR(32) NOT NULL PRIMARY KEY,"
    " metric_keys TEXT NOT NULL, metric_values BLOB NOT NULL,"
    " param_keys TEXT NOT NULL, param_values TEXT NOT NULL,"
    " tag_keys TEXT NOT NULL, tag_values TEXT NOT NULL"
    ") WITHOUT ROWID"
)
_DROP = "DELETE FROM run_cells WHERE run_uuid = {which}.run_uuid;"
# (table, the columns besides run_uuid whose change changes a frame cell)
_CELL_TABLES = (
    ("latest_metrics", "key, value, kind"),
    ("params", "key, value"),
    ("tags", "key, value"),
)
# A run id moving (never done, but possible in SQL) drops the old id's row; ``IN (OLD, NEW)``
# in one trigger would cost five times as much per written cell (an ephemeral table per row).
_EVENTS = (
    ("insert", "INSERT", "NEW"),
    ("update", "UPDATE OF run_uuid, {columns}", "NEW"),
    ("move", "UPDATE OF run_uuid", "OLD"),
    ("delete", "DELETE", "OLD"),
)


def _trigger(name: str, event: str, table: str, which: str) -> str:
    return f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {_DROP.format(which=which)} END"


def _triggers() -> list[str]:
    statements = [
        _trigger(f"run_cells_{table}_{name}", event.format(columns=columns), table, which)
        for table, columns in _CELL_TABLES
        for name, event, which in _EVENTS
    ]
    statements.append(_trigger("run_cells_runs_delete", "DELETE", "runs", "OLD"))
    return statements


#: The statements that create the table and its triggers (SQLite only).
DDL = (_TABLE, *_triggers())
_STORE = "INSERT OR REPLACE INTO run_cells VALUES (?, ?, ?, ?, ?, ?, ?)"

#: One run's row: (run id, metric keys, metric values, param keys, param values, tag keys,
#: tag values), as stored.
Packed = tuple[str, str, bytes, str, str, str, str]


def install(conn: sa.Connection) -> None:
    """Create the table and its triggers on a SQLite store (nothing elsewhere)."""
    if conn.dialect.name != "sqlite":
        return
    for statement in DDL:
        conn.exec_driver_sql(statement)


def _json(values: Iterable[Any]) -> str:
    return json.dumps(list(values), separators=(",", ":"))


def pack(
    run_id: str,
    metrics: Mapping[str, float],
    params: Mapping[str, str],
    tags: Mapping[str, str],
) -> Packed:
    """Return the row of a run with these latest metric values, params and tags."""
    metric_keys = sorted(metrics)
    param_keys, tag_keys = sorted(params), sorted(tags)
    return (
        run_id,
        _json(metric_keys),
        struct.pack(f"<{len(metric_keys)}d", *map(metrics.__getitem__, metric_keys)),
        _json(param_keys),
        _json(map(params.__getitem__, param_keys)),
        _json(tag_keys),
        _json(map(tags.__getitem__, tag_keys)),
    )


def store(conn: sa.Connection, rows: Sequence[Packed]) -> None:
    """Write packed rows (after the cells they pack, whose triggers would delete them)."""
    if rows:
        raw.executemany(conn, _STORE, rows)
