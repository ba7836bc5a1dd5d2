"""JSON <-> entities for the REST store: MLflow's REST shapes, read leniently.

Readers accept what both an mltrack server and a real MLflow server send: ids and versions as
strings or numbers, doubles as numbers or the strings ``"NaN"``/``"Infinity"``/``"-Infinity"``,
and fields left at their defaults omitted. mltrack-only fields (e.g. a model version's
``signature``/``flavors``, registry history events) are read when present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_mltrack.entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    ModelStage,
    ModelVersion,
    ModelVersionEvent,
    Param,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    float_to_json,
    metrics_from_points,
)
from jupyter_mltrack.entities.dataset import DatasetInput
from jupyter_mltrack.entities.logged_model import LoggedModel, ModelInput, ModelOutput
from jupyter_mltrack.entities.run import RunInputs, RunOutputs
from jupyter_mltrack.store.rest.wire import float_from_json

__all__ = [
    "event_from_json",
    "experiment_from_json",
    "file_info_from_json",
    "history_from_json",
    "logged_model_from_json",
    "metric_from_json",
    "metric_to_json",
    "model_version_from_json",
    "pairs_to_json",
    "registered_model_from_json",
    "run_from_json",
    "run_info_from_json",
    "run_inputs_from_json",
    "run_outputs_from_json",
    "tags_from_json",
    "with_mlflow_mirrors",
    "without_mlflow_mirrors",
]


#: jupyter_mltrack's system tags and MLflow's names for them. Runs are written with both, so
#: MLflow clients and UIs see names, users, sources and nesting; on reading, an MLflow tag that
#: only repeats its jupyter_mltrack twin is dropped, so a run reads as from a local store.
MLFLOW_MIRRORS = {
    f"mltrack.{name}": f"mlflow.{name}"
    for name in (
        "runName",
        "parentRunId",
        "user",
        "source.name",
        "source.type",
        "source.git.commit",
        "source.git.branch",
        "source.git.repoURL",
        "note.content",
    )
}
_NO_INPUTS = RunInputs()
_NO_OUTPUTS = RunOutputs()


def with_mlflow_mirrors(tags: Mapping[str, str]) -> dict[str, str]:
    """Return ``tags`` plus MLflow's name of each system tag that has one (unless set)."""
    out = dict(tags)
    for ours, theirs in MLFLOW_MIRRORS.items():
        if ours in tags and theirs not in tags:
            out[theirs] = tags[ours]
    return out


def without_mlflow_mirrors(tags: dict[str, str]) -> dict[str, str]:
    """Drop the MLflow tags that only repeat their jupyter_mltrack twin (in place)."""
    for ours, theirs in MLFLOW_MIRRORS.items():
        if theirs in tags and tags[theirs] == tags.get(ours):
            del tags[theirs]
    return tags


def tags_from_json(pairs: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``[{"key", "value"}, ...]`` -> dict (a missing value is the empty string)."""
    return {str(p["key"]): str(p.get("value") or "") for p in pairs or ()}


def pairs_to_json(items: Mapping[str, str] | None) -> list[dict[str, str]]:
    """dict -> ``[{"key", "value"}, ...]``."""
    return [{"key": k, "value": v} for k, v in (items or {}).items()]


def _opt_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def experiment_from_json(d: Mapping[str, Any]) -> Experiment:
    """Read an ``experiment`` object."""
    return Experiment(
        experiment_id=str(d["experiment_id"]),
        name=str(d.get("name", "")),
        artifact_location=str(d.get("artifact_location", "")),
        lifecycle_stage=LifecycleStage.parse(d.get("lifecycle_stage") or "active"),
        tags=tags_from_json(d.get("tags")),
        creation_time=_opt_int(d.get("creation_time")),
        last_update_time=_opt_int(d.get("last_update_time")),
    )


def run_info_from_json(d: Mapping[str, Any]) -> RunInfo:
    """Read a ``run_info`` (or ``run.info``) object; ``run_uuid`` is the legacy id field."""
    return RunInfo(
        run_id=str(d.get("run_id") or d["run_uuid"]),
        experiment_id=str(d.get("experiment_id", "")),
        run_name=str(d.get("run_name") or ""),
        user_id=str(d.get("user_id") or ""),
        status=RunStatus.parse(d.get("status") or "RUNNING"),
        start_time=int(d.get("start_time") or 0),
        end_time=_opt_int(d.get("end_time")),
        artifact_uri=str(d.get("artifact_uri") or ""),
        lifecycle_stage=LifecycleStage.parse(d.get("lifecycle_stage") or "active"),
    )


def run_from_json(d: Mapping[str, Any]) -> Run:
    """Read a ``run`` object: info, data (latest metrics, params, tags), inputs, outputs."""
    data = d.get("data") or {}
    info = run_info_from_json(d["info"])
    tags = tags_from_json(data.get("tags"))
    if info.run_name and "mltrack.runName" not in tags:
        # Our server leaves this tag out for MLflow clients; the store keeps it with the name.
        tags["mltrack.runName"] = info.run_name
    tags = without_mlflow_mirrors(tags)
    metrics = data.get("metrics") or ()
    run_data = RunData(
        metrics={str(m["key"]): float_from_json(m.get("value")) for m in metrics},
        params=tags_from_json(data.get("params")),
        tags=tags,
        metric_points={
            str(m["key"]): (int(m["timestamp"]), int(m.get("step") or 0))
            for m in metrics
            if m.get("timestamp") is not None
        },
    )
    return Run(
        info=info,
        data=run_data,
        inputs=run_inputs_from_json(d.get("inputs") or {}),
        outputs=run_outputs_from_json(d.get("outputs") or {}),
    )


def run_inputs_from_json(d: Mapping[str, Any]) -> RunInputs:
    """Read a run's ``inputs``: dataset inputs and model inputs."""
    if not d:
        return _NO_INPUTS
    return RunInputs(
        dataset_inputs=tuple(DatasetInput.from_dict(i) for i in d.get("dataset_inputs") or ()),
        model_inputs=tuple(
            ModelInput(model_id=str(m["model_id"])) for m in d.get("model_inputs") or ()
        ),
    )


def run_outputs_from_json(d: Mapping[str, Any]) -> RunOutputs:
    """Read a run's ``outputs``: the logged models it produced, with their steps."""
    if not d:
        return _NO_OUTPUTS
    return RunOutputs(
        model_outputs=tuple(
            ModelOutput(model_id=str(m["model_id"]), step=int(m.get("step") or 0))
            for m in d.get("model_outputs") or ()
        )
    )


def metric_from_json(d: Mapping[str, Any], run_id: str | None = None) -> Metric:
    """Read one metric point."""
    return Metric(
        key=str(d["key"]),
        value=float_from_json(d.get("value")),
        timestamp=int(d.get("timestamp") or 0),
        step=int(d.get("step") or 0),
        run_id=run_id,
    )


def history_from_json(items: Iterable[Mapping[str, Any]], key: str, run_id: str) -> list[Metric]:
    """Read a ``get-history`` page of one metric in bulk (histories run to millions of points)."""
    points = (
        (
            float(v) if (v := m.get("value")) is not None else 0.0,
            int(m.get("timestamp") or 0),
            int(m.get("step") or 0),
        )
        for m in items
    )
    return metrics_from_points(key, run_id, points)


def metric_to_json(m: Metric) -> dict[str, Any]:
    """Write one metric point (non-finite values as MLflow's strings)."""
    return {"key": m.key, "value": float_to_json(m.value), "timestamp": m.timestamp, "step": m.step}


def param_to_json(p: Param) -> dict[str, str]:
    """Write one param."""
    return {"key": p.key, "value": p.value}


def model_version_from_json(d: Mapping[str, Any]) -> ModelVersion:
    """Read a ``model_version`` object (``version`` may be a string or a number)."""
    flavors = d.get("flavors") or ()
    return ModelVersion(
        name=str(d["name"]),
        version=int(d["version"]),
        creation_timestamp=int(d.get("creation_timestamp") or 0),
        last_updated_timestamp=int(d.get("last_updated_timestamp") or 0),
        description=str(d.get("description") or ""),
        user_id=str(d.get("user_id") or ""),
        current_stage=ModelStage.parse(d.get("current_stage") or "None"),
        source=str(d.get("source") or ""),
        run_id=d.get("run_id") or None,
        run_link=d.get("run_link") or None,
        experiment_id=None if d.get("experiment_id") is None else str(d["experiment_id"]),
        status=str(d.get("status") or "READY"),
        tags=tags_from_json(d.get("tags")),
        aliases=tuple(sorted(str(a) for a in d.get("aliases") or ())),
        signature=d.get("signature") or None,
        flavors=tuple(str(f) for f in flavors),
    )


def registered_model_from_json(d: Mapping[str, Any]) -> RegisteredModel:
    """Read a ``registered_model`` object with its latest versions, tags and aliases."""
    return RegisteredModel(
        name=str(d["name"]),
        creation_timestamp=int(d.get("creation_timestamp") or 0),
        last_updated_timestamp=int(d.get("last_updated_timestamp") or 0),
        description=str(d.get("description") or ""),
        tags=tags_from_json(d.get("tags")),
        aliases={
            str(a["alias"]): int(a["version"])
            for a in sorted(d.get("aliases") or (), key=lambda a: str(a["alias"]))
        },
        latest_versions=tuple(model_version_from_json(v) for v in d.get("latest_versions") or ()),
    )


def event_from_json(d: Mapping[str, Any]) -> ModelVersionEvent:
    """Read one registry history event (mltrack's extension; the shape of ``to_dict``)."""
    return ModelVersionEvent(
        name=str(d["name"]),
        version=int(d["version"]),
        kind=str(d["kind"]),
        from_value=d.get("from"),
        to_value=d.get("to"),
        user_id=str(d.get("user_id") or ""),
        timestamp=int(d.get("timestamp") or 0),
        comment=d.get("comment"),
        evidence_uri=d.get("evidence_uri"),
        metrics={str(k): float_from_json(v) for k, v in (d.get("metrics") or {}).items()},
        alias=d.get("alias"),
    )


def file_info_from_json(d: Mapping[str, Any], directory: str) -> FileInfo:
    """Read one artifact listing entry; its ``path`` is made relative to the repository root."""
    name = str(d["path"]).rstrip("/").rsplit("/", 1)[-1]
    is_dir = bool(d.get("is_dir"))
    size = d.get("file_size")
    return FileInfo(
        path=f"{directory}/{name}" if directory else name,
        is_dir=is_dir,
        file_size=None if is_dir or size is None else int(size),
    )


def logged_model_from_json(d: Mapping[str, Any]) -> LoggedModel:
    """Read a ``model`` object (``{"info": ..., "data": ...}``)."""
    return LoggedModel.from_dict(d)
