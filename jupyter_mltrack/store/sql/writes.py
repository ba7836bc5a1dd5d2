"""The write path of the SqlStore: log_batch and the metric fast path.

Metric points go through ``metric_writes.py`` (history rows in bulk, series ids cached per
store); params and tags are written here. Every statement runs once per batch at most and goes
through ``raw.py`` (see why there).
"""

from __future__ import annotations

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

__all__ = ["WritesMixin", "upsert_tags", "write_metric_points"]

INSERT_PARAMS = "INSERT INTO params (run_uuid, {key}, {value}) VALUES (?, ?, ?)"


def upsert_tags(conn: sa.Connection, run_id: str, tags: dict[str, str]) -> None:
    """Insert or overwrite run tags."""
    template = raw.upsert_template(conn, "tags", ("run_uuid", "key"), ("value",))
    raw.executemany(conn, template, [(run_id, k, v) for k, v in tags.items()])


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
            return write_metric_points(conn, run_id, points, cache) if points else {}

        self._write_points(run_id, write)

    def log_metric_points(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        if not points:
            return

        def write(conn: sa.Connection, cache: SeriesCache | None) -> dict[str, list[int]]:
            self._check_run_writable(conn, run_id)
            return write_metric_points(conn, run_id, points, cache)

        self._write_points(run_id, write)

    def _write_points(
        self,
        run_id: str,
        write: Callable[[sa.Connection, SeriesCache | None], dict[str, list[int]]],
    ) -> None:
        """Run ``write`` in one transaction; on a stale cache, once more without the cache."""
        cache = self.series_cache
        try:
            with self._write() as conn:
                series = write(conn, cache)
        except StaleSeriesCache:
            cache.forget([run_id])
            try:
                with self._write() as conn:
                    series = write(conn, None)
            except StaleSeriesCache as exc:  # another writer raced us twice in a row
                raise StoreError(
                    f"Metric points of run {run_id!r} collided twice with points another "
                    f"writer stored at the same moment ({exc}); log them again."
                ) from exc
        cache.update(run_id, series)


def _write_params(conn: sa.Connection, run_id: str, params: Sequence[Param]) -> None:
    wanted: dict[str, str] = {}
    for param in params:
        previous = wanted.setdefault(param.key, param.value)
        if previous != param.value:
            raise _param_conflict(run_id, param.key, previous, param.value)
    query = (
        "SELECT {key}, {value} FROM params WHERE run_uuid = ? AND {key} IN ("
        + raw.marks(len(wanted))
        + ")"
    )
    existing = dict(raw.fetchall(conn, query, (run_id, *wanted)))
    for key, value in wanted.items():
        if key in existing and existing[key] != value:
            raise _param_conflict(run_id, key, existing[key], value)
    new_rows = [(run_id, k, v) for k, v in wanted.items() if k not in existing]
    raw.executemany(conn, INSERT_PARAMS, new_rows)


def _param_conflict(run_id: str, key: str, old: str, new: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"Param {key!r} of run {run_id!r} was already logged with value {old!r}; it cannot be "
        f"changed to {new!r}. Params are immutable: log the new value under another key or "
        "start a new run."
    )
