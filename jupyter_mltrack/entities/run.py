"""Run, RunInfo, RunData, and a run's inputs (datasets, models) and outputs (models)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_mltrack.entities.dataset import DatasetInput
from jupyter_mltrack.entities.enums import LifecycleStage, RunStatus
from jupyter_mltrack.entities.logged_model import ModelInput, ModelOutput
from jupyter_mltrack.entities.metric import float_to_json


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """A run's attributes: identity, status, times and where its artifacts live."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        """The run id under MLflow's legacy name."""
        return self.run_id

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form (defaults omitted)."""
        out: dict[str, Any] = {
            "run_uuid": self.run_id,
            "experiment_id": self.experiment_id,
            "run_name": self.run_name,
            "user_id": self.user_id,
            "status": self.status.value,
            "start_time": self.start_time,
            "artifact_uri": self.artifact_uri,
            "lifecycle_stage": self.lifecycle_stage.value,
            "run_id": self.run_id,
        }
        if self.end_time is not None:
            out["end_time"] = self.end_time
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RunData:
    """A run's data: the latest value of each metric, its params and its tags."""

    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    #: ``{key: (timestamp, step)}`` of each latest metric, where the store knows them; MLflow's
    #: REST JSON carries both. Not part of equality: stores that lack it hold the same data.
    metric_points: Mapping[str, tuple[int, int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form (each latest metric with its timestamp and step,
        when ``metric_points`` has them)."""
        out: dict[str, Any] = {}
        if self.metrics:
            points = self.metric_points
            out["metrics"] = [_latest_json(k, v, points.get(k)) for k, v in self.metrics.items()]
        if self.params:
            out["params"] = [{"key": k, "value": v} for k, v in self.params.items()]
        if self.tags:
            out["tags"] = [{"key": k, "value": v} for k, v in self.tags.items()]
        return out


def _latest_json(key: str, value: float, point: tuple[int, int] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "value": float_to_json(value)}
    if point is not None:
        out["timestamp"], out["step"] = point
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInputs:
    """What a run consumed: datasets and logged models."""

    dataset_inputs: tuple[DatasetInput, ...] = ()
    model_inputs: tuple[ModelInput, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form (``{}`` when empty)."""
        out: dict[str, Any] = {}
        if self.dataset_inputs:
            out["dataset_inputs"] = [d.to_dict() for d in self.dataset_inputs]
        if self.model_inputs:
            out["model_inputs"] = [m.to_dict() for m in self.model_inputs]
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutputs:
    """What a run produced: logged models, each at a step."""

    model_outputs: tuple[ModelOutput, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form (``{}`` when empty)."""
        if not self.model_outputs:
            return {}
        return {"model_outputs": [m.to_dict() for m in self.model_outputs]}


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """A run: its :class:`RunInfo`, :class:`RunData`, :class:`RunInputs` and :class:`RunOutputs`."""

    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form; ``outputs`` appears only when the run has some."""
        out = {"info": self.info.to_dict(), "data": self.data.to_dict()}
        out["inputs"] = self.inputs.to_dict()
        if self.outputs.model_outputs:
            out["outputs"] = self.outputs.to_dict()
        return out
