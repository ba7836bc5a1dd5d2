"""The write path of the SqlStore: log_batch and the metric fast path.

Metric points go to the history table with the driver's executemany; the per-run "latest value"
rows are maintained in the same transaction so search and get_run never scan the history. Every
statement here runs once per batch at most and goes through ``raw.py`` (see why there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import sqlalchemy as sa

from jupyter_mltrack.entities import Metric, Param, RunTag
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.base import MetricPoint
from jupyter_mltrack.store.sql import raw, schema
from jupyter_mltrack.store.sql._base import SqlBase

_MAX = schema.DOUBLE_MAX
_encode = schema.encode_metric_value

INSERT_METRICS = (
    "INSERT INTO metrics (series_id, step, {timestamp}, {value}, kind) VALUES (?, ?, ?, ?, ?)"
)
INSERT_SERIES = (
    "INSERT INTO latest_metrics (run_uuid, {key}, {value}, kind, {timestamp}, step) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
UPDATE_SERIES = (
    "UPDATE latest_metrics SET {value} = ?, kind = ?, {timestamp} = ?, step = ? WHERE series_id = ?"
)
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
        with self._write() as conn:
            self._check_run_writable(conn, run_id)
            if params:
                _write_params(conn, run_id, params)
            if tags:
                # Last one wins when a batch sets a tag twice.
                upsert_tags(conn, run_id, {t.key: t.value for t in tags})
            if points:
                write_metric_points(conn, run_id, points)

    def log_metric_points(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        if not points:
            return
        with self._write() as conn:
            self._check_run_writable(conn, run_id)
            write_metric_points(conn, run_id, points)


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


def write_metric_points(conn: sa.Connection, run_id: str, points: Sequence[MetricPoint]) -> None:
    """Append points to the history and refresh the run's latest values, in ``conn``'s txn."""
    latest: dict[str, tuple[int, int, float]] = {}
    for key, value, timestamp, step in points:
        best = latest.get(key)
        # ">=" so that on a (step, timestamp) tie the point logged last is the latest.
        if best is None or (step, timestamp) >= best[:2]:
            latest[key] = (step, timestamp, value)
    series = _series_ids(conn, run_id, latest)
    rows: list[tuple[int, int, int, float, int]] = []
    append = rows.append
    isfinite = math.isfinite
    for key, value, timestamp, step in points:
        series_id = series[key]
        if isfinite(value):
            append((series_id, step, timestamp, value, 0))
        elif value != value:
            append((series_id, step, timestamp, 0.0, 1))
        elif value > 0:
            append((series_id, step, timestamp, _MAX, 2))
        else:
            append((series_id, step, timestamp, -_MAX, 3))
    raw.executemany(conn, INSERT_METRICS, rows)


def _select_series(
    conn: sa.Connection, run_id: str, keys: Sequence[str]
) -> list[tuple[int, str, int, int]]:
    query = (
        "SELECT series_id, {key}, step, {timestamp} FROM latest_metrics "
        "WHERE run_uuid = ? AND {key} IN (" + raw.marks(len(keys)) + ")"
    )
    return raw.fetchall(conn, query, (run_id, *keys))


def _series_ids(
    conn: sa.Connection, run_id: str, latest: dict[str, tuple[int, int, float]]
) -> dict[str, int]:
    """Return the series id of each key, creating series and moving latest values forward."""
    ids: dict[str, int] = {}
    updates = []
    for series_id, key, old_step, old_timestamp in _select_series(conn, run_id, list(latest)):
        ids[key] = series_id
        step, timestamp, value = latest[key]
        if (step, timestamp) >= (old_step, old_timestamp):
            updates.append((*_encode(value), timestamp, step, series_id))
    raw.executemany(conn, UPDATE_SERIES, updates)
    missing = [key for key in latest if key not in ids]
    if missing:
        rows = []
        for key in missing:
            step, timestamp, value = latest[key]
            rows.append((run_id, key, *_encode(value), timestamp, step))
        raw.executemany(conn, INSERT_SERIES, rows)
        ids.update((key, sid) for sid, key, _, _ in _select_series(conn, run_id, missing))
    return ids
