"""Wide metric batches on SQLite: appended to a log table first, folded into the history later.

A training step logged as one batch of a thousand keys touches a thousand series. The history
(``metrics``) is clustered by series, so writing the batch straight into it dirties a page per
series, and committing those ~1,000 pages to the WAL was most of the batch's time (4.4 of
10.5 ms; plain sqlite3 doing only that work stops at ~85,000 points/s). The latest values
(``latest_metrics`` and its search index) cost as much again.

So on SQLite a batch over at least :data:`MIN_KEYS` keys, each point past its series' latest
known point (one step from ``client.log_batch``, or the several steps the fluent writer sends at
once; see ``metric_writes.py``), is appended to ``metric_tail``: a rowid table without an
index, whose rows are the history's rows in the order they were logged. Its commit writes a
handful of pages. Once the tail holds :data:`FOLD_POINTS` points, the batch that crossed the
mark also *folds* it in its transaction: the points are copied in key order to a TEMP table and
the tail is emptied, one ``INSERT ... SELECT`` moves them into the history (each series' page
is written once for ~130 steps instead of once per step, on pages the tail just freed) and one
``UPDATE`` moves each series' latest value to its last point.

Nothing ever reads the tail: whatever reads the history or the latest values folds it first.
``SqlBase._read`` folds a pending tail before it hands out a connection, a metric batch that is
not only new points folds before it looks at its series' stored points, and purging runs folds
before it deletes theirs. A point is durable when its batch commits, as before; only where it
is stored changes. PostgreSQL and MySQL are unchanged (this was measured on SQLite only).

Two writers may append points of one series that collide (another process logged the same
(step, timestamp) after this one's cache last saw the series). The bulk fold then fails on the
history's primary key; it is rolled back to a savepoint and the tail is moved row by row,
numbering each colliding point past the stored ones (``seq``, as the general path does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from jupyter_mltrack.store.base import MetricPoint
from jupyter_mltrack.store.sql import raw, schema

__all__ = [
    "FOLD_POINTS",
    "MIN_KEYS",
    "append",
    "append_points",
    "fold",
    "fold_pending",
    "install",
    "pending",
]

#: A batch of new points over at least this many keys (series) goes to the tail: fewer series
#: dirty few enough pages to be written straight into the history.
MIN_KEYS = 128
#: The tail is folded once it holds this many points (~3 MB of rows, folded in ~0.2 s, the most a
#: read waits for). Folds of 65,536 to 262,144 points measured the same rate for 1,000-key steps.
FOLD_POINTS = 131_072

# ``value`` is the logged float as SQLite binds it: a NaN becomes NULL, +/-inf stay infinite.
# The fold turns it into the history's (seq, value) (see schema.py): the kind in ``seq``'s low
# bits and the value clamped to +/-DOUBLE_MAX, NaN stored as 0.
DDL = (
    "CREATE TABLE IF NOT EXISTS metric_tail ("
    "series_id INTEGER NOT NULL, step BIGINT NOT NULL, ts_offset BIGINT NOT NULL, value FLOAT)"
)
_APPEND = "INSERT INTO metric_tail (series_id, step, ts_offset, value) VALUES (?, ?, ?, ?)"
_PENDING = "SELECT 1 FROM metric_tail LIMIT 1"
# Rowids count up from 1 again once the tail is emptied, so the largest is its size.
_SIZE = "SELECT MAX(rowid) FROM metric_tail"
_BIG = repr(schema.DOUBLE_MAX)
_HISTORY_ROW = (
    "series_id, step, ts_offset, "
    f"CASE WHEN value IS NULL THEN {schema.KIND_NAN} WHEN value > {_BIG} THEN "
    f"{schema.KIND_POS_INF} WHEN value < -{_BIG} THEN {schema.KIND_NEG_INF} ELSE "
    f"{schema.KIND_FINITE} END, IFNULL(MIN(MAX(value, -{_BIG}), {_BIG}), 0.0)"
)
# The fold first copies the tail, sorted into the history's order, to a per-connection TEMP
# table (in memory: temp_store=MEMORY) and empties the tail, so the history's new pages reuse
# the tail's freed ones instead of growing the file by the tail's size at every fold.
_STAGE_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS mltrack_fold (logged INTEGER NOT NULL, "
    "series_id INTEGER NOT NULL, step BIGINT NOT NULL, ts_offset BIGINT NOT NULL, "
    "seq INTEGER NOT NULL, value FLOAT NOT NULL)"
)
_STAGE = (
    f"INSERT INTO temp.mltrack_fold SELECT rowid, {_HISTORY_ROW} FROM metric_tail "
    "ORDER BY series_id, step, ts_offset"
)
_HISTORY_COLUMNS = "series_id, step, ts_offset, seq, value"
_MOVE = (
    f"INSERT INTO metrics ({_HISTORY_COLUMNS}) "
    f"SELECT {_HISTORY_COLUMNS} FROM temp.mltrack_fold ORDER BY rowid"
)
# Each folded series' latest value becomes its history's last point (highest step, timestamp
# and seq), found by two index seeks; the WHERE clause moves a latest value forward only. A
# NaN's latest value is DOUBLE_MAX where its history value is 0 (see schema.py); the
# history's +/-inf are already stored as +/-DOUBLE_MAX.
_LAST_POINT = (
    "FROM metrics WHERE metrics.series_id = latest_metrics.series_id "
    "ORDER BY step DESC, ts_offset DESC, seq DESC LIMIT 1"
)
_MOVE_LATEST = (
    "UPDATE latest_metrics SET (value, kind, timestamp, step) = ("
    f"SELECT CASE WHEN seq & 3 = {schema.KIND_NAN} THEN {_BIG} ELSE value END, "
    f"seq & 3, latest_metrics.ts_base + ts_offset, step {_LAST_POINT}) "
    "WHERE series_id IN (SELECT series_id FROM temp.mltrack_fold) AND (step, timestamp) <= "
    f"(SELECT step, latest_metrics.ts_base + ts_offset {_LAST_POINT})"
)
_EMPTY = "DELETE FROM metric_tail"
_UNSTAGE = "DELETE FROM temp.mltrack_fold"
_ROWS = f"SELECT {_HISTORY_COLUMNS} FROM temp.mltrack_fold ORDER BY logged"
_ADD_POINT = (
    "INSERT INTO metrics (series_id, step, ts_offset, seq, value) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
_MAX_SEQ = "SELECT MAX(seq) FROM metrics WHERE series_id = ? AND step = ? AND ts_offset = ?"


def install(conn: sa.Connection) -> None:
    """Create the tail on a SQLite store (nothing elsewhere)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(DDL)


def append(conn: sa.Connection, rows: Sequence[tuple[int, int, int, float]]) -> None:
    """Append points ``(series_id, step, ts_offset, value)``, in ``conn``'s transaction; fold
    the tail there too once it has grown to :data:`FOLD_POINTS`."""
    raw.executemany(conn, _APPEND, rows)
    if raw.fetchone(conn, _SIZE)[0] >= FOLD_POINTS:
        fold(conn)


def append_points(
    conn: sa.Connection, series: Mapping[str, Sequence[int]], points: Sequence[MetricPoint]
) -> None:
    """Append ``points`` as :func:`append` does, given each key's ``[series_id, ts_base, ...]``
    (``metric_writes.py``'s series entries)."""
    append(
        conn,
        [
            (sid, step, timestamp - base, value)
            for key, value, timestamp, step in points
            for sid, base in (series[key][:2],)
        ],
    )


def pending(conn: sa.Connection) -> bool:
    """Return whether the tail holds points (it is empty nearly always outside training)."""
    return raw.fetchone(conn, _PENDING) is not None


def fold_pending(conn: sa.Connection) -> bool:
    """Fold the tail if it holds points (on SQLite; nothing elsewhere); return whether it did."""
    if conn.dialect.name == "sqlite" and pending(conn):
        fold(conn)
        return True
    return False


def fold(conn: sa.Connection) -> None:
    """Move the tail's points into the history and the latest values, in ``conn``'s write
    transaction, and empty it."""
    raw.execute(conn, _STAGE_TABLE)
    raw.execute(conn, _STAGE)
    raw.execute(conn, _EMPTY)
    raw.execute(conn, "SAVEPOINT metric_tail_fold")
    try:
        raw.execute(conn, _MOVE)
    except conn.dialect.loaded_dbapi.IntegrityError:
        raw.execute(conn, "ROLLBACK TO metric_tail_fold")
        _move_one_by_one(conn)
    raw.execute(conn, "RELEASE metric_tail_fold")
    raw.execute(conn, _MOVE_LATEST)
    raw.execute(conn, _UNSTAGE)


def _move_one_by_one(conn: sa.Connection) -> None:
    """Move the tail in logged order, numbering a point that shares (series, step, timestamp)
    with a stored one past it (the rare case of two writers' colliding points)."""
    for sid, step, offset, seq, value in raw.fetchall(conn, _ROWS):
        if raw.execute(conn, _ADD_POINT, (sid, step, offset, seq, value)) == 1:
            continue
        last: Any = raw.fetchone(conn, _MAX_SEQ, (sid, step, offset))[0]
        kind = seq % schema.SEQ_KINDS
        numbered = (last // schema.SEQ_KINDS + 1) * schema.SEQ_KINDS + kind
        raw.execute(conn, _ADD_POINT, (sid, step, offset, numbered, value))
