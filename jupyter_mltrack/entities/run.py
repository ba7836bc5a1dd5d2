"""Run, RunInfo and RunData."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_mltrack.entities.enums import LifecycleStage, RunStatus
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

    def to_dict(self) -> dict[str, Any]:
        """Return the MLflow REST JSON form; latest metrics carry no step/timestamp here."""
        out: dict[str, Any] = {}
        if self.metrics:
            out["metrics"] = [
                {"key": k, "value": float_to_json(v)} for k, v in self.metrics.items()
            ]
        if self.params:
            out["params"] = [{"key": k, "value": v} for k, v in self.params.items()]
        if self.tags:
            out["tags"] = [{"key": k, "value": v} for k, v in self.tags.items()]
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """A run: its :class:`RunInfo` and :class:`RunData`."""

    info: RunInfo
    data: RunData = field(default_factory=RunData)

    def to_dict(self) -> dict[str, Any]:
        return {"info": self.info.to_dict(), "data": self.data.to_dict(), "inputs": {}}
