"""The write path of the SqlStore: log_batch and the metric fast path.

Metric points go through ``metric_writes.py`` (history rows in bulk, series ids cached per
store); params and tags are written here. Every statement runs once per batch at most and goes
through ``raw.py`` (see why there).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from jupyter_mltrack.entities import Metric, Param, RunTag
from jupyter_mltrack.errors import InvalidParameterError, StoreError
from jupyter_mltrack.store.base import MetricPoint
from jupyter_mltrack.store.sql import raw
from jupyter_mltrack.store.sql._base import SqlBase
from jupyter_mltrack.store.sql.metric_writes import (
    SeriesCache,
    StaleSeriesCache,
    write_metric_points,
)

__all__ = ["WritesMixin", "is_deadlock", "upsert_tags", "write_metric_points"]

INSERT_PARAMS = "INSERT INTO params (run_uuid, {key}, {value}) VALUES (?, ?, ?)"
# Two processes may log the same param at the same instant: the second insert waits for the
# first one's commit and then skips the row; the values are compared afterwards (_write_params).
# MySQL has no DO NOTHING; a no-op update is its equivalent (IGNORE would also swallow errors).
_ADD_PARAMS = INSERT_PARAMS + " ON CONFLICT (run_uuid, {key}) DO NOTHING"
_ADD_PARAMS_MYSQL = INSERT_PARAMS + " ON DUPLICATE KEY UPDATE {key} = {key}"
_SELECT_PARAMS = "SELECT {key}, {value} FROM params WHERE run_uuid = ? AND {key} IN ("

#: A write transaction the database aborted to break a deadlock is run again this many times.
DEADLOCK_RETRIES = 8


def upsert_tags(conn: sa.Connection, run_id: str, tags: dict[str, str]) -> None:
    """Insert or overwrite run tags (in key order: concurrent writers lock rows in one order)."""
    template = raw.upsert_template(conn, "tags", ("run_uuid", "key"), ("value",))
    raw.executemany(conn, template, [(run_id, k, tags[k]) for k in sorted(tags)])


def is_deadlock(exc: BaseException) -> bool:
    """Return whether a write failed only because the database chose it as a deadlock victim
    (PostgreSQL 40P01 / serialization failure 40001, MySQL 1213): running it again succeeds."""
    cause = exc.__cause__
    driver = getattr(cause, "orig", cause)
    if getattr(driver, "sqlstate", None) in ("40P01", "40001"):  # psycopg
        return True
    args: tuple[object, ...] = getattr(driver, "args", ())
    return bool(args) and args[0] == 1213 and "pymysql" in type(driver).__module__


class WritesMixin(SqlBase):
    """log_batch and friends."""

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        points = [(m.key, m.value, m.timestamp, m.step) for m in metrics]

        def write(conn: sa.Connection, cache: SeriesCache | None) -> dict[str, list[int]]:
            self._check_run_writable(conn, run_id)
            if params:
                _write_params(conn, run_id, params)
            if tags:
                # Last one wins when a batch sets a tag twice.
                upsert_tags(conn, run_id, {t.key: t.value for t in tags})
            if not points:
                return {}
            return write_metric_points(conn, run_id, points, cache, self.uses_metric_tail)

        self._write_points(run_id, write)

    def log_metric_points(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        if not points:
            return

        def write(conn: sa.Connection, cache: SeriesCache | None) -> dict[str, list[int]]:
            self._check_run_writable(conn, run_id)
            return write_metric_points(conn, run_id, points, cache, self.uses_metric_tail)

        self._write_points(run_id, write)

    def _write_points(
        self,
        run_id: str,
        write: Callable[[sa.Connection, SeriesCache | None], dict[str, list[int]]],
    ) -> None:
        """Run ``write`` in one transaction; on a stale cache, once more without the cache.

        A transaction aborted as a deadlock victim (writers of one run on PostgreSQL or MySQL)
        rolled back entirely, so it is run again, after a short random pause.
        """
        cache = self.series_cache
        use_cache: SeriesCache | None = cache
        stale = deadlocks = 0
        while True:
            try:
                with self._write() as conn:
                    series = write(conn, use_cache)
                break
            except StaleSeriesCache as exc:
                cache.forget([run_id])
                use_cache, stale = None, stale + 1
                if stale > DEADLOCK_RETRIES:  # other writers kept taking the same points
                    raise StoreError(
                        f"Metric points of run {run_id!r} collided {stale} times with points "
                        f"other writers stored at the same moment ({exc}); log them again."
                    ) from exc
                if stale > 1:  # a careful insert raced another one: let that one finish
                    time.sleep(random.uniform(0.001, 0.01) * stale)
            except StoreError as exc:
                deadlocks += 1
                if deadlocks > DEADLOCK_RETRIES or not is_deadlock(exc):
                    raise
                time.sleep(random.uniform(0.005, 0.05) * deadlocks)
        cache.update(run_id, series)


def _write_params(conn: sa.Connection, run_id: str, params: Sequence[Param]) -> None:
    """Add the run's new params; an equal value logged again (by anyone) is no conflict."""
    wanted: dict[str, str] = {}
    for param in params:
        previous = wanted.setdefault(param.key, param.value)
        if previous != param.value:
            raise _param_conflict(run_id, param.key, previous, param.value)
    keys = sorted(wanted)  # one lock order for every writer
    rows = [(run_id, key, wanted[key]) for key in keys]
    mysql = conn.dialect.name in ("mysql", "mariadb")
    inserted = raw.executemany(conn, _ADD_PARAMS_MYSQL if mysql else _ADD_PARAMS, rows)
    if not mysql and inserted == len(rows):
        return  # every row went in as given (MySQL counts a skipped row as changed)
    # A key stored before (earlier, or by another writer meanwhile) kept its row: compare.
    select = _SELECT_PARAMS + raw.marks(len(keys)) + ")"
    existing = dict(raw.fetchall(conn, select, (run_id, *keys)))
    for key in keys:
        if existing.get(key, wanted[key]) != wanted[key]:
            raise _param_conflict(run_id, key, existing[key], wanted[key])


def _param_conflict(run_id: str, key: str, old: str, new: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"Param {key!r} of run {run_id!r} was already logged with value {old!r}; it cannot be "
        f"changed to {new!r}. Params are immutable: log the new value under another key or "
        "start a new run."
    )
