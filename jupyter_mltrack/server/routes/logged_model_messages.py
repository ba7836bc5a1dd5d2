"""Reading the messages of the logged-model routes: datasets, model links, search options,
and the metric points of ``runs/log-metric``/``runs/log-batch`` that name a ``model_id``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.entities import DatasetInput
from jupyter_mltrack.entities.logged_model import LoggedModelMetric
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.server._http import get_bool, get_int, get_list, get_str, get_tags

if TYPE_CHECKING:
    from jupyter_mltrack.store.base import MetricPoint

__all__ = [
    "dataset_filters",
    "datasets_of",
    "model_ids_of",
    "model_metric",
    "order_by_clauses",
    "split_model_points",
]


def model_metric(message: dict[str, Any], point: MetricPoint, run_id: str) -> LoggedModelMetric:
    """The logged-model point of a metric message that names a ``model_id``."""
    key, value, timestamp, step = point
    return LoggedModelMetric(
        key=key,
        value=value,
        timestamp=timestamp,
        step=step,
        model_id=get_str(message, "model_id"),
        run_id=run_id,
        dataset_name=get_str(message, "dataset_name", required=False),
        dataset_digest=get_str(message, "dataset_digest", required=False),
    )


def split_model_points(
    metrics: list[Any], points: list[MetricPoint], run_id: str
) -> tuple[list[MetricPoint], list[LoggedModelMetric]]:
    """Split parsed log-batch points into plain ones and those logged with a ``model_id``."""
    if not any(type(m) is dict and m.get("model_id") for m in metrics):
        return points, []  # the usual batch: one pass, nothing built
    plain, for_models = [], []
    for message, point in zip(metrics, points, strict=True):
        if message.get("model_id"):
            for_models.append(model_metric(message, point, run_id))
        else:
            plain.append(point)
    return plain, for_models


def order_by_clauses(entries: list[Any]) -> list[str | dict[str, Any]] | None:
    """Turn MLflow's ``order_by`` messages (``{"field_name", "ascending"}``) into clauses.

    Plain strings such as ``"name DESC"`` pass through, and so do messages that name a dataset
    (``dataset_name``/``dataset_digest`` limit a ``metrics.<key>`` order to it). MLflow's
    ``ascending`` defaults to true.
    """
    clauses: list[str | dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, str):
            clauses.append(entry)
        elif isinstance(entry, dict):
            field = get_str(entry, "field_name")
            ascending = get_bool(entry, "ascending", default=True)
            dataset = {
                name: get_str(entry, name, required=False)
                for name in ("dataset_name", "dataset_digest")
                if entry.get(name)
            }
            if dataset:
                clauses.append({"field_name": field, "ascending": ascending, **dataset})
            else:
                clauses.append(f"{field} {'ASC' if ascending else 'DESC'}")
        else:
            raise InvalidParameterError(
                f"Invalid order_by entry {entry!r}: expected {{'field_name': ..., "
                "'ascending': true|false}} or a clause like 'creation_timestamp DESC'"
            )
    return clauses or None


def datasets_of(msg: dict[str, Any]) -> list[DatasetInput]:
    out: list[DatasetInput] = []
    entry: Any
    for entry in get_list(msg, "datasets"):
        dataset = entry.get("dataset") if isinstance(entry, dict) else None
        if not isinstance(dataset, dict):
            raise InvalidParameterError(
                f"Invalid dataset input {entry!r:.100}: expected "
                '{"dataset": {"name", "digest", "source_type", "source", ...}, "tags": [...]}'
            )
        for field in ("name", "digest", "source_type"):
            get_str(dataset, field)  # required, and a string
        for field in ("source", "schema", "profile"):
            get_str(dataset, field, required=False)
        out.append(
            DatasetInput(
                name=dataset["name"],
                digest=dataset["digest"],
                source_type=dataset["source_type"],
                source=dataset.get("source") or "",
                schema=dataset.get("schema") or "",
                profile=dataset.get("profile") or "",
                tags=get_tags(entry),
            )
        )
    return out


def model_ids_of(msg: dict[str, Any], name: str) -> list[tuple[str, int]]:
    """Return ``(model_id, step)`` of a ``[{"model_id": ..., "step": ...}]`` field."""
    out: list[tuple[str, int]] = []
    entry: Any
    for entry in get_list(msg, name):
        if not isinstance(entry, dict):
            raise InvalidParameterError(
                f"Invalid {name} entry {entry!r:.100}: expected {{'model_id': 'm-...'}}"
            )
        out.append((get_str(entry, "model_id"), get_int(entry, "step", required=False, default=0)))
    return out


def dataset_filters(msg: dict[str, Any]) -> list[dict[str, str]]:
    """Return the ``datasets`` filter: ``{"dataset_name", "dataset_digest"?}`` objects."""
    filters = []
    entry: Any
    for index, entry in enumerate(get_list(msg, "datasets")):
        if not isinstance(entry, dict):
            raise InvalidParameterError(
                f"Invalid value {json.dumps(entry)[:100]} for parameter 'datasets[{index}]' "
                "supplied: expected an object with dataset_name (and dataset_digest)"
            )
        found = {
            name: get_str(entry, name, required=False)
            for name in ("dataset_name", "dataset_digest")
            if entry.get(name) is not None
        }
        filters.append({k: v for k, v in found.items() if v is not None})
    return filters
