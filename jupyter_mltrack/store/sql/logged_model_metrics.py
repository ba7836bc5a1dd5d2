"""Metric points of logged models: written with the run's own points, read with the model.

MLflow's ``log_metric(..., model_id=...)`` logs a point to the run and records it on the model,
with the run id and the dataset it was measured on. Here both happen in the run write's own
transaction (``write_model_points``), so a point is never on the model without being in the
run's history, or the other way round. A batch may repeat a point; it is stored once, as MLflow
does (points identical in every field are one point).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from jupyter_mltrack._validation import (
    validate_key,
    validate_metric_value,
    validate_step,
    validate_timestamp,
)
from jupyter_mltrack.entities.logged_model import LoggedModelMetric
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError
from jupyter_mltrack.store.base import MetricPoint
from jupyter_mltrack.store.sql import raw, schema
from jupyter_mltrack.store.sql.logged_model_schema import (
    DIGEST_LENGTH,
    NAME_LENGTH,
    logged_model_metrics,
    logged_models,
)

__all__ = ["check_model_points", "load_model_metrics", "write_model_points"]

LMM = logged_model_metrics.c
_INSERT = (
    "INSERT INTO logged_model_metrics (model_id, {key}, {value}, kind, timestamp_ms, step, "
    "run_uuid, dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: A model row as written: model id, key, stored value, kind, timestamp, step, dataset, digest.
_Row = tuple[str, str, float, int, int, int, str | None, str | None]


def _dataset_field(name: str, value: str | None, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidParameterError(
            f"Metric {name} must be a string of at most {limit} characters, got {value!r:.80}"
        )
    return value


def check_model_points(
    metrics: Sequence[LoggedModelMetric],
) -> tuple[list[MetricPoint], list[_Row]]:
    """Validate points; return them as run points and as model rows (duplicates dropped)."""
    points: list[MetricPoint] = []
    rows: dict[_Row, None] = {}
    for metric in metrics:
        key = validate_key("Metric", metric.key)
        value = validate_metric_value(key, metric.value)
        timestamp = validate_timestamp(key, metric.timestamp)
        step = validate_step(key, metric.step)
        if not isinstance(metric.model_id, str) or not metric.model_id:
            raise InvalidParameterError(
                f"Metric {key!r} names no model_id; log it with log_batch instead"
            )
        points.append((key, value, timestamp, step))
        stored, kind = schema.encode_metric_value(value)
        dataset = _dataset_field("dataset_name", metric.dataset_name, NAME_LENGTH)
        digest = _dataset_field("dataset_digest", metric.dataset_digest, DIGEST_LENGTH)
        rows[(metric.model_id, key, stored, kind, timestamp, step, dataset, digest)] = None
    return points, list(rows)


def write_model_points(conn: sa.Connection, run_id: str, rows: Sequence[_Row]) -> None:
    """Record points on their models (in the caller's transaction); skip stored ones.

    Raises:
        NotFoundError: A model id is unknown (nothing is written: the caller rolls back).
    """
    wanted = sorted({row[0] for row in rows})
    known = set(
        conn.execute(
            sa.select(logged_models.c.model_id).where(logged_models.c.model_id.in_(wanted))
        ).scalars()
    )
    missing = [model_id for model_id in wanted if model_id not in known]
    if missing:
        raise NotFoundError(
            f"Logged model {missing[0]!r} not found; metrics can be logged only to logged "
            "models of this store (create_logged_model, or search_logged_models to find one)"
        )
    stored = _stored_points(conn, run_id, wanted, {row[1] for row in rows})
    new = [(*row[:6], run_id, *row[6:]) for row in rows if row not in stored]
    raw.executemany(conn, _INSERT, new)


def _stored_points(
    conn: sa.Connection, run_id: str, model_ids: Iterable[str], keys: set[str]
) -> set[_Row]:
    """The points of this run already on these models (a retried batch writes nothing twice)."""
    columns = (LMM.model_id, LMM.key, LMM.value, LMM.kind, LMM.timestamp_ms, LMM.step)
    query = sa.select(*columns, LMM.dataset_name, LMM.dataset_digest).where(
        LMM.run_uuid == run_id, LMM.model_id.in_(list(model_ids)), LMM.key.in_(sorted(keys))
    )
    return {tuple(row) for row in conn.execute(query)}  # type: ignore[misc]


def load_model_metrics(
    conn: sa.Connection, model_ids: Sequence[str]
) -> dict[str, list[LoggedModelMetric]]:
    """Return each model's points, by key, then timestamp, step and insertion order."""
    found: dict[str, list[LoggedModelMetric]] = {model_id: [] for model_id in model_ids}
    if not model_ids:
        return found
    query = (
        sa.select(logged_model_metrics)
        .where(LMM.model_id.in_(list(model_ids)))
        .order_by(LMM.model_id, LMM.key, LMM.timestamp_ms, LMM.step, LMM.id)
    )
    for row in conn.execute(query).mappings():
        found[row["model_id"]].append(
            LoggedModelMetric(
                key=row["key"],
                value=schema.decode_metric_value(row["value"], row["kind"]),
                timestamp=row["timestamp_ms"],
                step=row["step"],
                model_id=row["model_id"],
                run_id=row["run_uuid"],
                dataset_name=row["dataset_name"],
                dataset_digest=row["dataset_digest"],
            )
        )
    return found
