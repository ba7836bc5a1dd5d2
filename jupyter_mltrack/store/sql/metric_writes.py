"""The metric write path: history rows in bulk, with series ids remembered per process.

A training loop logs the same keys again and again, often a thousand of them per step. What a
batch costs is then mostly per key, so the path is built to do per-key work once:

- :class:`SeriesCache` keeps each (run, key)'s series id, timestamp base and latest (step,
  timestamp) in the process, so a batch of known keys runs no lookup query at all;
- one pass over the points finds each key's latest point and whether its points can be appended
  as they are; the history rows are then inserted with one ``executemany``;
- a series' latest value is updated only when the batch goes past what is known, and the update
  itself checks in SQL that it moves forward (another process may have written the run);
- a batch of one point per cached key, each past its series' latest (``client.log_batch`` of a
  training step), is checked and turned into rows in a single pass (:func:`_append_known`);
- on SQLite a wide batch of such new points is appended to the metric tail instead, and folded
  into the history and the latest values in bulk later (``metric_tail.py``).

Appending is safe when a key's points increase strictly in (step, timestamp) and start after the
series' known latest point: none can then share (series, step, timestamp) with a stored point.
Other keys (re-logged steps, out-of-order points, duplicates) take a careful path that numbers
each point past the rows it ties with (the ``seq`` column, see ``schema.py``). If another
process appended to the series since our cache last saw it, the insert hits the primary key;
the store then retries the batch with the cache dropped (:class:`StaleSeriesCache`).

Several processes may create one (run, key) series at the same instant. The series rows are
inserted in key order (so concurrent writers take their row locks in one order and cannot
deadlock on them) with the unique constraint's conflicts ignored (``ON CONFLICT DO NOTHING``,
MySQL's ``INSERT IGNORE``): the database makes a second creator wait for the first one's commit
and then skip the row, and the select that follows finds it. Only when every row was inserted
by this call are the series known to be empty; otherwise each is treated as existing.

``ts_offset`` is stored relative to the series' base (its first timestamp, if that is a normal
epoch time). Offsets fit int64 except for timestamps within the base of ``-2**63``; a batch with
such a point first rebases its series to 0 (moving the rows through negative series ids, so no
statement ever sees two rows with one key). A process that cached the old base would then
store wrong offsets: such timestamps are not clock readings, and the case is left at that.
"""

from __future__ import annotations

import math
import operator
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from jupyter_mltrack.errors import RunNotFound, StoreError
from jupyter_mltrack.store.base import MetricPoint
from jupyter_mltrack.store.sql import metric_tail, raw, schema

__all__ = ["SeriesCache", "StaleSeriesCache", "write_metric_points"]

_MAX = schema.DOUBLE_MAX
_SERIES_ID = operator.itemgetter(0)
_UPDATE_SERIES_ID = operator.itemgetter(4)
_TIMESTAMP = operator.itemgetter(2)
_encode = schema.encode_metric_value
_INT64_MIN = -(2**63)
#: A series' first timestamp becomes its base if it lies in [0, _BASE_LIMIT) (any epoch time).
_BASE_LIMIT = 2**53

INSERT_POINTS = (
    "INSERT INTO metrics (series_id, step, ts_offset, seq, {value}) VALUES (?, ?, ?, ?, ?)"
)
_MAX_SEQ = "SELECT MAX(seq) FROM metrics WHERE series_id = ? AND step = ? AND ts_offset = ?"
# The run's experiment and stage are copied into the series row (the search read model, see
# schema.py); the series is created once per (run, key), so the run lookup is off the hot path.
_SERIES_ROW = (
    "INTO latest_metrics (run_uuid, {key}, {value}, kind, {timestamp}, step, ts_base, "
    "experiment_id, lifecycle_stage) SELECT ?, ?, ?, ?, ?, ?, ?, experiment_id, lifecycle_stage "
    "FROM runs WHERE run_uuid = ?"
)
#: Creates series that nobody else can be creating (``bulk.py`` imports whole runs).
INSERT_SERIES = "INSERT " + _SERIES_ROW
# Creates series while other writers may create the same ones: their rows are skipped (see the
# module docstring). The run's columns are read first instead of INSERT ... SELECT: on MySQL that
# form holds the table's AUTO-INC lock for the whole statement, and two writers, each holding
# one of it and a row lock the other waits for, hang there undetected. MySQL has no ON CONFLICT,
# and its ON DUPLICATE KEY UPDATE reports a skipped row as one changed row (SQLAlchemy's driver
# sets CLIENT_FOUND_ROWS); INSERT IGNORE reports 0. That IGNORE would truncate a too-long key
# instead of failing does not bite: keys are validated before they get here, and every key is
# looked up again after the insert.
_SERIES_VALUES = (
    "INTO latest_metrics (run_uuid, {key}, {value}, kind, {timestamp}, step, ts_base, "
    "experiment_id, lifecycle_stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_CREATE_SERIES = "INSERT " + _SERIES_VALUES + " ON CONFLICT (run_uuid, {key}) DO NOTHING"
_CREATE_SERIES_MYSQL = "INSERT IGNORE " + _SERIES_VALUES
_RUN_PLACE = "SELECT experiment_id, lifecycle_stage FROM runs WHERE run_uuid = ?"
# Moves the latest value forward only: another process may have logged a later point.
UPDATE_SERIES = (
    "UPDATE latest_metrics SET {value} = ?, kind = ?, {timestamp} = ?, step = ? "
    "WHERE series_id = ? AND (step < ? OR (step = ? AND {timestamp} <= ?))"
)
_SELECT_SERIES = "SELECT {key}, series_id, ts_base, step, {timestamp} FROM latest_metrics "
_REBASE_OUT = "UPDATE metrics SET series_id = ? WHERE series_id = ?"
_REBASE_IN = "UPDATE metrics SET series_id = ?, ts_offset = ts_offset + ? WHERE series_id = ?"
_ZERO_BASE = "UPDATE latest_metrics SET ts_base = 0 WHERE series_id = ?"


class StaleSeriesCache(Exception):
    """A history insert collided with a row this process did not know of; retry the batch."""


class SeriesCache:
    """Per-store memory of each run's ``key -> [series_id, ts_base, step, timestamp]``.

    Entries change only after the transaction that wrote them committed (:meth:`update`), so a
    rolled-back write never leaves the cache ahead of the database.
    """

    #: Entries kept at most; beyond it the cache starts afresh (one lookup per key again).
    LIMIT = 200_000

    def __init__(self) -> None:
        self._runs: dict[str, dict[str, list[int]]] = {}
        self._size = 0
        self._lock = threading.Lock()

    def of_run(self, run_id: str) -> dict[str, list[int]]:
        """Return the run's entries (read-only: copy an entry before changing it)."""
        return self._runs.get(run_id) or {}

    def update(self, run_id: str, entries: dict[str, list[int]]) -> None:
        """Record what a committed write left in the database."""
        if not entries:
            return
        with self._lock:
            if self._size + len(entries) > self.LIMIT:
                self._runs, self._size = {}, 0
            known = self._runs.setdefault(run_id, {})
            self._size += len(entries.keys() - known.keys())
            known.update(entries)

    def forget(self, run_ids: Iterable[str]) -> None:
        """Drop the entries of runs that were purged, recreated or written elsewhere."""
        with self._lock:
            for run_id in run_ids:
                self._size -= len(self._runs.pop(run_id, ()))


def write_metric_points(
    conn: sa.Connection,
    run_id: str,
    points: Sequence[MetricPoint],
    cache: SeriesCache | None = None,
    tail: bool = False,
) -> dict[str, list[int]]:
    """Append points to the history and move the run's latest values, in ``conn``'s txn.

    With ``tail`` (SQLite), a wide batch of new points goes to ``metric_tail`` instead. A
    batch that is not only new points first folds what the tail holds, on SQLite, since it
    reads the stored points (see ``metric_tail.py``). Returns the series entries to hand to
    ``cache.update`` once the transaction has committed.

    Raises:
        StaleSeriesCache: A point collided with a row another writer stored after the cache
            last saw the series; roll back and call again without the run's cache entries.
    """
    if cache is not None:
        appended = _append_known(conn, run_id, points, cache, tail)
        if appended is not None:
            return appended
    seen, lowest = _scan(points)
    far = lowest < _INT64_MIN + _BASE_LIMIT
    wide = tail and not far and len(seen) >= metric_tail.MIN_KEYS
    if wide and all(entry[5] for entry in seen.values()):
        # Only new points go to the tail: judged against what may be stale while the tail
        # holds points of these series (another writer's), which the fold reconciles.
        series, created = _series(conn, run_id, seen, cache)
        if _all_new(series, seen):
            metric_tail.append_points(conn, series, points)
            return _moved(series, seen)
        existing = [key for key in seen if key not in created]
        if metric_tail.fold_pending(conn) and existing:  # their stored points moved: read again
            series.update(_select_series(conn, run_id, existing))
    else:
        metric_tail.fold_pending(conn)  # the steps below read the stored points (SQLite only)
        series, created = _series(conn, run_id, seen, cache)
    if far:
        _rebase_far_series(conn, series, points)
    _insert_points(conn, series, seen, points)
    # Last: the update row-locks each series until the commit, and writers of one run queue
    # on that lock (the history inserts above take no lock another writer waits for).
    _move_latest(conn, series, {k: v for k, v in seen.items() if k not in created})
    return _moved(series, seen)


def _scan(points: Sequence[MetricPoint]) -> tuple[dict[str, list[Any]], int]:
    """Return ``key -> [last step, last timestamp, last value, first step, first timestamp,
    appendable]`` (appendable: the key's points increase strictly) and the lowest timestamp."""
    seen: dict[str, list[Any]] = {}
    lowest = 0
    for key, value, timestamp, step in points:
        entry = seen.get(key)
        if entry is None:
            seen[key] = [step, timestamp, value, step, timestamp, True]
        elif step > entry[0] or (step == entry[0] and timestamp > entry[1]):
            entry[0], entry[1], entry[2] = step, timestamp, value
        else:
            entry[5] = False
            if step == entry[0] and timestamp == entry[1]:  # the point logged last wins a tie
                entry[2] = value
        if timestamp < lowest:
            lowest = timestamp
    return seen, lowest


def _all_new(series: dict[str, list[int]], seen: dict[str, list[Any]]) -> bool:
    """Whether every key's first point lies past its series' known latest point."""
    return all((entry[3], entry[4]) > tuple(series[key][2:]) for key, entry in seen.items())


def _moved(series: dict[str, list[int]], seen: dict[str, list[Any]]) -> dict[str, list[int]]:
    """Return the series entries once the batch is stored (new lists: the cache's own entries
    are never changed)."""
    for key, entry in seen.items():
        sid, base, known_step, known_ts = series[key]
        if entry[0] > known_step or (entry[0] == known_step and entry[1] > known_ts):
            series[key] = [sid, base, entry[0], entry[1]]
    return series


def _append_known(
    conn: sa.Connection,
    run_id: str,
    points: Sequence[MetricPoint],
    cache: SeriesCache,
    tail: bool,
) -> dict[str, list[int]] | None:
    """Write a batch of one point per cached key, each past its series' latest, in one pass.

    That is what ``client.log_batch`` of one training step sends; the general path's three
    passes over the points would do the same work. With ``tail``, a batch of at least
    ``metric_tail.MIN_KEYS`` points (keys) is appended to the tail (the fold moves the latest
    values). Returns None, having written nothing, for any other batch.
    """
    known = cache.of_run(run_id)
    if len(known) < len(points) or min(map(_TIMESTAMP, points)) < _INT64_MIN + _BASE_LIMIT:
        return None
    moved: dict[str, list[int]] = {}
    to_tail = tail and len(points) >= metric_tail.MIN_KEYS
    rows: list[tuple[Any, ...]] = []
    for key, value, timestamp, step in points:
        entry = known.get(key)
        if entry is None:
            return None
        sid, base, known_step, known_ts = entry
        if not (step > known_step or (step == known_step and timestamp > known_ts)):
            return None  # a point at or before the latest: the careful path
        moved[key] = [sid, base, step, timestamp]
        if to_tail:  # the value as it is (the fold encodes it)
            rows.append((sid, step, timestamp - base, value))
        elif value - value == 0.0:  # finite (see _insert_points)
            rows.append((sid, step, timestamp - base, 0, value))
        else:
            rows.append((sid, step, timestamp - base, *_history_value(value)))
    if len(moved) < len(points):  # a key twice: the careful path
        return None
    if to_tail:
        metric_tail.append(conn, rows)
        return moved
    updates = []
    for key, value, timestamp, step in points:
        stored, kind = _latest_value(value)
        updates.append((stored, kind, timestamp, step, moved[key][0], step, step, timestamp))
    rows.sort(key=_SERIES_ID)
    try:
        raw.executemany(conn, INSERT_POINTS, rows)
    except conn.dialect.loaded_dbapi.IntegrityError as exc:
        raise StaleSeriesCache(str(exc)) from exc
    updates.sort(key=_UPDATE_SERIES_ID)  # every writer row-locks series in one order
    raw.executemany(conn, UPDATE_SERIES, updates)
    return moved


def _series(
    conn: sa.Connection, run_id: str, seen: dict[str, list[Any]], cache: SeriesCache | None
) -> tuple[dict[str, list[int]], set[str]]:
    """Return ``key -> [series_id, ts_base, step, timestamp]`` and the keys whose series this
    call created (with the batch's latest value already in place). Entries may be the cache's
    own lists: replace them, never change them."""
    series: dict[str, list[int]] = {}
    unknown = []
    known = cache.of_run(run_id) if cache is not None else {}
    for key in seen:
        entry = known.get(key)
        if entry is None:
            unknown.append(key)
        else:
            series[key] = entry
    if not unknown:
        return series, set()
    series.update(_select_series(conn, run_id, unknown))
    missing = sorted(key for key in unknown if key not in series)  # one lock order for all
    if not missing:
        return series, set()
    place = raw.fetchone(conn, _RUN_PLACE, (run_id,))
    if place is None:  # the run was purged meanwhile
        raise RunNotFound.for_id(run_id)
    rows = []
    for key in missing:
        last_step, last_ts, value, _, first_ts, _ = seen[key]
        base = first_ts if 0 <= first_ts < _BASE_LIMIT else 0
        rows.append((run_id, key, *_encode(value), last_ts, last_step, base, *place))
    mysql = conn.dialect.name in ("mysql", "mariadb")
    inserted = raw.executemany(conn, _CREATE_SERIES_MYSQL if mysql else _CREATE_SERIES, rows)
    found = _select_series(conn, run_id, missing)
    if len(found) < len(missing):  # the insert skipped a row for another reason than its key
        lost = sorted(set(missing) - found.keys())
        raise StoreError(
            f"Metric series {lost} of run {run_id!r} could not be created; "
            "check the keys' length and characters"
        )
    series.update(found)
    if inserted != len(missing):  # another writer created some: each one may hold points
        return series, set()
    for key in missing:
        entry = series[key]
        entry[2], entry[3] = _INT64_MIN, _INT64_MIN  # its points are all new to it
    return series, set(missing)


def _select_series(conn: sa.Connection, run_id: str, keys: list[str]) -> dict[str, list[int]]:
    if len(keys) > 500:  # the run's every series beats a long IN list
        rows = raw.fetchall(conn, _SELECT_SERIES + "WHERE run_uuid = ?", (run_id,))
    else:
        where = "WHERE run_uuid = ? AND {key} IN (" + raw.marks(len(keys)) + ")"
        rows = raw.fetchall(conn, _SELECT_SERIES + where, (run_id, *keys))
    return {key: [sid, base, step, ts] for key, sid, base, step, ts in rows}


def _move_latest(
    conn: sa.Connection, series: dict[str, list[int]], seen: dict[str, list[Any]]
) -> None:
    updates = []
    for key, (step, timestamp, value, *_) in seen.items():
        sid, _, known_step, known_ts = series[key]
        if step > known_step or (step == known_step and timestamp >= known_ts):
            stored, kind = _latest_value(value)
            updates.append((stored, kind, timestamp, step, sid, step, step, timestamp))
    updates.sort(key=_UPDATE_SERIES_ID)  # every writer row-locks series in one order
    raw.executemany(conn, UPDATE_SERIES, updates)


def _insert_points(
    conn: sa.Connection,
    series: dict[str, list[int]],
    seen: dict[str, list[Any]],
    points: Sequence[MetricPoint],
) -> None:
    appendable: dict[str, tuple[int, int]] = {}
    careful: list[tuple[int, int, int, int, float]] = []
    for key, entry in seen.items():
        sid, base, known_step, known_ts = series[key]
        first = (entry[3], entry[4])
        if entry[5] and first > (known_step, known_ts):
            appendable[key] = (sid, base)
    rows: list[tuple[int, int, int, int, float]]
    if len(appendable) == len(seen):  # the usual case, as one comprehension ("v - v" is 0.0
        # exactly for finite floats: NaN and infinities take _history_value)
        rows = [
            (tg[0], step, timestamp - tg[1], 0, value)
            if value - value == 0.0
            else (tg[0], step, timestamp - tg[1], *_history_value(value))
            for key, value, timestamp, step in points
            for tg in (appendable[key],)
        ]
    else:
        rows = []
        for key, value, timestamp, step in points:
            target = appendable.get(key)
            if target is None:
                sid, base = series[key][:2]
                careful.append((sid, step, timestamp - base, *_history_value(value)))
            else:
                rows.append((target[0], step, timestamp - target[1], *_history_value(value)))
    # In key order the inserts walk the table's pages once instead of hopping between the
    # series' tails (a thousand keys: a fifth less time, the sort included).
    rows.sort(key=_SERIES_ID)  # stable: a series' points stay in their (step) order
    try:
        raw.executemany(conn, INSERT_POINTS, rows)
    except conn.dialect.loaded_dbapi.IntegrityError as exc:
        raise StaleSeriesCache(str(exc)) from exc
    for sid, step, offset, kind, value in careful:
        last = raw.fetchone(conn, _MAX_SEQ, (sid, step, offset))[0]
        seq = kind if last is None else (last // schema.SEQ_KINDS + 1) * schema.SEQ_KINDS + kind
        raw.execute(conn, INSERT_POINTS, (sid, step, offset, seq, value))


def _latest_value(value: float) -> tuple[float, int]:
    """Return ``(stored value, kind)`` of a latest value (see ``schema.py``)."""
    return (value, 0) if value - value == 0.0 else _encode(value)


def _history_value(value: float) -> tuple[int, float]:
    """Return ``(kind, stored value)`` of a history point (see ``schema.py``)."""
    if math.isfinite(value):
        return schema.KIND_FINITE, value
    if value != value:
        return schema.KIND_NAN, 0.0
    return (schema.KIND_POS_INF, _MAX) if value > 0 else (schema.KIND_NEG_INF, -_MAX)


def _rebase_far_series(
    conn: sa.Connection, series: dict[str, list[int]], points: Sequence[MetricPoint]
) -> None:
    """Rebase to 0 every series whose offsets would not fit int64 (see the module docstring)."""
    far = {key for key, _, timestamp, _ in points if timestamp - series[key][1] < _INT64_MIN}
    for key in far:
        sid, base = series[key][:2]
        raw.execute(conn, _REBASE_OUT, (-sid, sid))
        raw.execute(conn, _REBASE_IN, (sid, base, -sid))
        raw.execute(conn, _ZERO_BASE, (sid,))
        series[key] = [sid, 0, *series[key][2:]]
