"""The write path of the SqlStore: log_batch and the metric fast path.

Metric points go to the history table with the driver's executemany; the per-run "latest value"
table is maintained in the same transaction so search and get_run never scan the history.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import sqlalchemy as sa

from jupyter_mltrack.entities import Metric, Param, RunTag
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.base import MetricPoint
from jupyter_mltrack.store.sql import schema
from jupyter_mltrack.store.sql._base import SqlBase
from jupyter_mltrack.store.sql.dialect import insert_tuples, upsert

_METRIC_COLUMNS = ("series_id", "step", "timestamp", "value", "kind")
_MAX = schema.DOUBLE_MAX
LM = schema.latest_metrics.c
P = schema.params.c


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
                rows = [{"run_uuid": run_id, "key": t.key, "value": t.value} for t in tags]
                upsert(conn, schema.tags, _last_per_key(rows), ["value"])
            if points:
                write_metric_points(conn, run_id, points)

    def log_metric_points(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        if not points:
            return
        with self._write() as conn:
            self._check_run_writable(conn, run_id)
            write_metric_points(conn, run_id, points)


def _last_per_key(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    # Upserting the same key twice in one statement is an error on PostgreSQL; last one wins.
    return list({row["key"]: row for row in rows}.values())


def _write_params(conn: sa.Connection, run_id: str, params: Sequence[Param]) -> None:
    wanted: dict[str, str] = {}
    for param in params:
        previous = wanted.setdefault(param.key, param.value)
        if previous != param.value:
            raise _param_conflict(run_id, param.key, previous, param.value)
    existing = dict(
        conn.execute(
            sa.select(P.key, P.value).where(P.run_uuid == run_id, P.key.in_(list(wanted)))
        ).all()
    )
    for key, value in wanted.items():
        if key in existing and existing[key] != value:
            raise _param_conflict(run_id, key, existing[key], value)
    new_rows = [(run_id, k, v) for k, v in wanted.items() if k not in existing]
    insert_tuples(conn, schema.params, ("run_uuid", "key", "value"), new_rows)


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
    rows = []
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
    insert_tuples(conn, schema.metrics, _METRIC_COLUMNS, rows)


def _series_ids(
    conn: sa.Connection, run_id: str, latest: dict[str, tuple[int, int, float]]
) -> dict[str, int]:
    """Return the series id of each key, creating series and moving latest values forward."""
    query = sa.select(LM.series_id, LM.key, LM.step, LM.timestamp).where(
        LM.run_uuid == run_id, LM.key.in_(list(latest))
    )
    stored = {key: (series_id, (step, ts)) for series_id, key, step, ts in conn.execute(query)}
    updates = []
    for key, (series_id, old) in stored.items():
        step, timestamp, value = latest[key]
        if (step, timestamp) >= old:
            stored_value, kind = schema.encode_metric_value(value)
            updates.append(
                {"sid": series_id, "v": stored_value, "k": kind, "t": timestamp, "s": step}
            )
    if updates:
        conn.execute(_UPDATE_LATEST, updates)
    missing = [key for key in latest if key not in stored]
    if missing:
        conn.execute(
            sa.insert(schema.latest_metrics), [_latest_row(run_id, k, latest[k]) for k in missing]
        )
        stored.update(
            (key, (series_id, (0, 0)))
            for series_id, key, _, _ in conn.execute(query.where(LM.key.in_(missing)))
        )
    return {key: value[0] for key, value in stored.items()}


def _latest_row(run_id: str, key: str, point: tuple[int, int, float]) -> dict[str, object]:
    step, timestamp, value = point
    stored_value, kind = schema.encode_metric_value(value)
    return {
        "run_uuid": run_id,
        "key": key,
        "value": stored_value,
        "kind": kind,
        "timestamp": timestamp,
        "step": step,
    }


_UPDATE_LATEST = (
    sa.update(schema.latest_metrics)
    .where(LM.series_id == sa.bindparam("sid"))
    .values(
        value=sa.bindparam("v"),
        kind=sa.bindparam("k"),
        timestamp=sa.bindparam("t"),
        step=sa.bindparam("s"),
    )
)
