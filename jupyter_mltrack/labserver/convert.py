"""Entities to the Lab API's JSON shapes (see ``docs/lab-api.md``).

JSON has no NaN or infinity (``JSON.parse`` rejects them), so every non-finite float becomes
``null`` here; the handlers also serialise with ``allow_nan=False`` so nothing slips through.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.tracking import tags as t

if TYPE_CHECKING:
    from jupyter_mltrack.entities import (
        Experiment,
        FileInfo,
        ModelVersion,
        ModelVersionEvent,
        RegisteredModel,
        Run,
    )
    from jupyter_mltrack.entities.metric import MetricHistoryArrays

__all__ = [
    "event_json",
    "experiment_json",
    "file_json",
    "finite_or_none",
    "history_json",
    "model_json",
    "model_version_json",
    "run_json",
]


def finite_or_none(value: float) -> float | None:
    """Return ``value``, or None when it is NaN or infinite."""
    return value if math.isfinite(value) else None


def experiment_json(experiment: Experiment) -> dict[str, Any]:
    """Return an experiment's JSON."""
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "lifecycle_stage": experiment.lifecycle_stage.value,
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": dict(experiment.tags),
    }


def run_json(run: Run) -> dict[str, Any]:
    """Return RunJSON: info, params, latest metrics (non-finite as null) and tags."""
    info, data = run.info, run.data
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status.value,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "lifecycle_stage": info.lifecycle_stage.value,
        "parent_run_id": data.tags.get(t.PARENT_RUN_ID),
        "user_id": info.user_id,
        "params": dict(data.params),
        "metrics": {key: finite_or_none(value) for key, value in data.metrics.items()},
        "tags": dict(data.tags),
    }


def file_json(info: FileInfo) -> dict[str, Any]:
    """Return an artifact listing entry (``file_size`` null for directories)."""
    return {"path": info.path, "is_dir": info.is_dir, "file_size": info.file_size}


def history_json(run_id: str, key: str, arrays: MetricHistoryArrays) -> dict[str, Any]:
    """Return a metric history as parallel lists (non-finite values as null)."""
    return {
        "run_id": run_id,
        "key": key,
        "steps": arrays.steps.tolist(),
        "values": [finite_or_none(v) for v in arrays.values.tolist()],
        "timestamps": arrays.timestamps.tolist(),
        "total_points": arrays.total_points,
    }


def model_version_json(version: ModelVersion, run_names: Mapping[str, str]) -> dict[str, Any]:
    """Return ModelVersionJSON; ``run_names`` maps run ids to names (missing runs: null)."""
    return {
        "name": version.name,
        "version": str(version.version),
        "stage": version.current_stage.value,
        "aliases": list(version.aliases),
        "run_id": version.run_id,
        "run_name": run_names.get(version.run_id) if version.run_id else None,
        "experiment_id": version.experiment_id,
        "source": version.source,
        "status": version.status,
        "tags": dict(version.tags),
        "description": version.description,
        "user_id": version.user_id,
        "creation_timestamp": version.creation_timestamp,
        "last_updated_timestamp": version.last_updated_timestamp,
    }


def model_json(model: RegisteredModel, run_names: Mapping[str, str]) -> dict[str, Any]:
    """Return a registered model's JSON (aliases map to version strings)."""
    return {
        "name": model.name,
        "description": model.description,
        "tags": dict(model.tags),
        "aliases": {alias: str(number) for alias, number in model.aliases.items()},
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
        "latest_versions": [model_version_json(v, run_names) for v in model.latest_versions],
    }


def event_json(event: ModelVersionEvent) -> dict[str, Any]:
    """Return a history entry: ``kind`` is "stage" or "alias" (``action`` says set or deleted)."""
    is_alias = event.kind.startswith("alias")
    return {
        "version": str(event.version),
        "kind": "alias" if is_alias else "stage",
        "action": event.kind.removeprefix("alias_") if is_alias else "transition",
        "alias": event.alias,
        "from": event.from_value,
        "to": event.to_value,
        "user": event.user_id,
        "timestamp": event.timestamp,
        "comment": event.comment,
    }
