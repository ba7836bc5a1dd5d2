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

_METRIC_COLUMNS = ("run_uuid", "key", "value", "kind", "timestamp", "step")
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
    rows = []
    append = rows.append
    isfinite = math.isfinite
    latest: dict[str, tuple[int, int, float]] = {}
    for key, value, timestamp, step in points:
        if isfinite(value):
            append((run_id, key, value, 0, timestamp, step))
        elif value != value:
            append((run_id, key, 0.0, 1, timestamp, step))
        else:
            append((run_id, key, _MAX if value > 0 else -_MAX, 2 if value > 0 else 3, timestamp, step))
        best = latest.get(key)
        if best is None or (step, timestamp) >= best[:2]:
            latest[key] = (step, timestamp, value)
    insert_tuples(conn, schema.metrics, _METRIC_COLUMNS, rows)
    _update_latest(conn, run_id, latest)


def _update_latest(
    conn: sa.Connection, run_id: str, latest: dict[str, tuple[int, int, float]]
) -> None:
    stored = {
        key: (step, timestamp)
        for key, step, timestamp in conn.execute(
            sa.select(LM.key, LM.step, LM.timestamp).where(
                LM.run_uuid == run_id, LM.key.in_(list(latest))
            )
        )
    }
    rows = []
    for key, (step, timestamp, value) in latest.items():
        old = stored.get(key)
        if old is None or (step, timestamp) >= old:
            stored_value, kind = schema.encode_metric_value(value)
            rows.append(
                {
                    "run_uuid": run_id,
                    "key": key,
                    "value": stored_value,
                    "kind": kind,
                    "timestamp": timestamp,
                    "step": step,
                }
            )
    upsert(conn, schema.latest_metrics, rows, ["value", "kind", "timestamp", "step"])
