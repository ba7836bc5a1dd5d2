"""Entities: frozen, slotted dataclasses that cross every layer boundary."""

from jupyter_mltrack.entities.dataset import DatasetInput
from jupyter_mltrack.entities.enums import LifecycleStage, RunStatus, SourceType, ViewType
from jupyter_mltrack.entities.experiment import Experiment
from jupyter_mltrack.entities.logged_model import (
    LoggedModel,
    LoggedModelMetric,
    LoggedModelStatus,
    ModelInput,
    ModelOutput,
)
from jupyter_mltrack.entities.metric import (
    ExperimentTag,
    FileInfo,
    Metric,
    MetricHistoryArrays,
    Param,
    RunTag,
    float_to_json,
    metrics_from_points,
)
from jupyter_mltrack.entities.paged import PagedList
from jupyter_mltrack.entities.registry import (
    ModelStage,
    ModelVersion,
    ModelVersionEvent,
    RegisteredModel,
)
from jupyter_mltrack.entities.run import Run, RunData, RunInfo, RunInputs, RunOutputs

__all__ = [
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelMetric",
    "LoggedModelStatus",
    "Metric",
    "MetricHistoryArrays",
    "ModelInput",
    "ModelOutput",
    "ModelStage",
    "ModelVersion",
    "ModelVersionEvent",
    "PagedList",
    "Param",
    "RegisteredModel",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "SourceType",
    "ViewType",
    "float_to_json",
    "metrics_from_points",
]
