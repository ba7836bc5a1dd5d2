"""MLflow 3 logged models: LoggedModelStatus, LoggedModel and the run links ModelInput/ModelOutput.

A logged model is a model with its own id (``m-<32 hex>``) and artifact location
(``<experiment artifact location>/models/<model_id>/artifacts``), created before its files are
uploaded (``PENDING``) and finalized afterwards (``READY`` or ``UPLOAD_FAILED``). Runs point at
the models they produced (outputs, with the step) and consumed (inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self

from jupyter_mltrack.entities.metric import float_to_json
from jupyter_mltrack.errors import InvalidParameterError

__all__ = [
    "LoggedModel",
    "LoggedModelMetric",
    "LoggedModelStatus",
    "ModelInput",
    "ModelOutput",
    "new_model_id",
]

MODEL_ID_PREFIX = "m-"


def new_model_id() -> str:
    """Return a new logged-model id: ``m-`` and 32 hex digits, as MLflow makes them."""
    import uuid

    return f"{MODEL_ID_PREFIX}{uuid.uuid4().hex}"


class LoggedModelStatus(StrEnum):
    """The upload state of a logged model (MLflow's ``LoggedModelStatus`` enum strings)."""

    PENDING = "LOGGED_MODEL_PENDING"
    READY = "LOGGED_MODEL_READY"
    FAILED = "LOGGED_MODEL_UPLOAD_FAILED"

    @classmethod
    def parse(cls, value: object) -> Self:
        """Return the status for ``value``: a member, its wire name or its short name.

        Example:
            >>> LoggedModelStatus.parse("ready")
            <LoggedModelStatus.READY: 'LOGGED_MODEL_READY'>
        """
        if isinstance(value, cls):
            return value
        wanted = str(value).strip().upper()
        for member in cls:
            if wanted in (member.value, member.name, member.value.removeprefix("LOGGED_MODEL_")):
                return member
        allowed = ", ".join(m.value for m in cls)
        raise InvalidParameterError(
            f"Invalid logged model status {value!r}; use one of: {allowed} "
            "(or the short forms PENDING, READY, UPLOAD_FAILED)"
        )


def _pairs(items: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in items.items()]


def _mapping(pairs: object) -> dict[str, str]:
    if not pairs:
        return {}
    if isinstance(pairs, Mapping):
        return {str(k): str(v) for k, v in pairs.items()}
    return {str(p["key"]): str(p.get("value", "")) for p in pairs}  # type: ignore[attr-defined]


def _float(value: object) -> float:
    """Read a JSON metric value: a number or MLflow's ``"NaN"``/``"Infinity"`` strings."""
    return float(value)  # type: ignore[arg-type]  # float("NaN"), float("-Infinity") work


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedModelMetric:
    """A metric point logged against a logged model, by a run, optionally on a dataset.

    What MLflow's ``log_metric(..., model_id=..., dataset=...)`` records on the model; the same
    point is also in the run's own metric history.
    """

    key: str
    value: float
    timestamp: int
    step: int = 0
    model_id: str
    run_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return MLflow's REST form (a ``Metric`` message; unset optional fields omitted)."""
        out: dict[str, Any] = {
            "key": self.key,
            "value": float_to_json(self.value),
            "timestamp": self.timestamp,
            "step": self.step,
            "model_id": self.model_id,
        }
        for name in ("dataset_name", "dataset_digest", "run_id"):
            if value := getattr(self, name):
                out[name] = value
        return out

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> LoggedModelMetric:
        """Build a point from :meth:`to_dict`'s form (also MLflow's server responses)."""
        return cls(
            key=str(payload["key"]),
            value=_float(payload.get("value", 0.0)),
            timestamp=int(payload.get("timestamp") or 0),
            step=int(payload.get("step") or 0),
            model_id=str(payload.get("model_id") or ""),
            run_id=payload.get("run_id") or None,
            dataset_name=payload.get("dataset_name") or None,
            dataset_digest=payload.get("dataset_digest") or None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedModel:
    """A model logged to an experiment, with its own id, artifacts, tags and params."""

    model_id: str
    experiment_id: str
    name: str
    artifact_uri: str
    status: LoggedModelStatus = LoggedModelStatus.PENDING
    model_type: str = ""
    source_run_id: str | None = None
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    #: Every point logged against the model, by key, then timestamp and step.
    metrics: tuple[LoggedModelMetric, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return MLflow's REST form ``{"info": {...}, "data": {...}}`` (empty parts omitted)."""
        info: dict[str, Any] = {
            "model_id": self.model_id,
            "experiment_id": self.experiment_id,
            "name": self.name,
            "creation_timestamp_ms": self.creation_timestamp_ms,
            "last_updated_timestamp_ms": self.last_updated_timestamp_ms,
            "artifact_uri": self.artifact_uri,
            "status": self.status.value,
            "model_type": self.model_type,
        }
        if self.source_run_id:
            info["source_run_id"] = self.source_run_id
        if self.tags:
            info["tags"] = _pairs(self.tags)
        data: dict[str, Any] = {"params": _pairs(self.params)} if self.params else {}
        if self.metrics:
            data["metrics"] = [m.to_dict() for m in self.metrics]
        return {"info": info, "data": data}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> LoggedModel:
        """Build a LoggedModel from :meth:`to_dict`'s form (also MLflow's server responses)."""
        info = payload.get("info", payload)
        data = payload.get("data") or {}
        return cls(
            model_id=str(info["model_id"]),
            experiment_id=str(info["experiment_id"]),
            name=str(info.get("name", "")),
            artifact_uri=str(info.get("artifact_uri", "")),
            status=LoggedModelStatus.parse(info.get("status") or LoggedModelStatus.PENDING),
            model_type=str(info.get("model_type") or ""),
            source_run_id=info.get("source_run_id") or None,
            creation_timestamp_ms=int(info.get("creation_timestamp_ms") or 0),
            last_updated_timestamp_ms=int(info.get("last_updated_timestamp_ms") or 0),
            tags=_mapping(info.get("tags")),
            params=_mapping(data.get("params")),
            metrics=tuple(
                LoggedModelMetric.from_dict({"model_id": info["model_id"], **m})
                for m in data.get("metrics") or ()
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelOutput:
    """A run produced this logged model at this step."""

    model_id: str
    step: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form."""
        return {"model_id": self.model_id, "step": self.step}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInput:
    """A run consumed this logged model (e.g. evaluated it)."""

    model_id: str

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form."""
        return {"model_id": self.model_id}
