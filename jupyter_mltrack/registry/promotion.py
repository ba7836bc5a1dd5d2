"""Validation notebooks: the evidence behind a gated promotion.

:func:`run_validation` executes a notebook with papermill inside a run of its own (experiment
``mltrack-validations``). The kernel gets the same tracking store (env ``MLTRACK_TRACKING_URI``)
and that run (env ``MLTRACK_RUN_ID``, synchronous logging), so ``mlt.log_metric(...)`` in the
notebook logs to the validation run without passing ids. Parameters injected into the notebook's
``parameters`` cell: ``model_uri`` (``models:/<name>/<version>``), ``mltrack_run_id`` and the
caller's ``parameters``. The executed notebook is stored as the run's artifact
``validation/<notebook name>`` whether it passed or not.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    InvalidParameterError,
    PromotionRejected,
)
from jupyter_mltrack.tracking.notebook_exec import (
    KERNEL_NAME,
    execute_notebook,
    import_papermill,
    kernel_env,
)

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "EVIDENCE_DIR",
    "KERNEL_NAME",
    "RESERVED_PARAMETERS",
    "VALIDATION_EXPERIMENT",
    "ValidationEvidence",
    "run_validation",
]

logger = logging.getLogger(__name__)

VALIDATION_EXPERIMENT = "mltrack-validations"
EVIDENCE_DIR = "validation"
RESERVED_PARAMETERS = frozenset({"model_uri", "mltrack_run_id"})
TAG_MODEL_NAME = "mltrack.registry.modelName"
TAG_MODEL_VERSION = "mltrack.registry.modelVersion"
TAG_NOTEBOOK = "mltrack.registry.validationNotebook"


@dataclass(frozen=True, slots=True)
class ValidationEvidence:
    """What a passed validation left behind: its run, the notebook's URI and its metrics."""

    run_id: str
    uri: str
    metrics: dict[str, float] = field(default_factory=dict)


def run_validation(
    tracking: TrackingClient,
    name: str,
    version: int,
    notebook: PathLike,
    parameters: Mapping[str, Any],
) -> ValidationEvidence:
    """Execute a validation notebook for ``name`` version ``version``; raise if a cell fails.

    Raises:
        PromotionRejected: A cell raised (or the kernel failed); the executed notebook is still
            stored and its URI is on the exception.
        MissingDependencyError: papermill is not installed.

    Example:
        >>> evidence = run_validation(client, "churn", 3, "checks.ipynb", {})  # doctest: +SKIP
        >>> evidence.metrics  # doctest: +SKIP
        {'auc': 0.91}
    """
    import_papermill(feature="validation notebooks")  # before a run exists
    path = _notebook_path(notebook)
    injected = {**_checked_parameters(parameters), "model_uri": f"models:/{name}/{version}"}
    run_id = _start_run(tracking, name, version, path)
    injected["mltrack_run_id"] = run_id
    env = kernel_env(tracking.tracking_uri, run_id)
    logger.info("Validating %s version %s with %s in run %s", name, version, path, run_id)
    with tempfile.TemporaryDirectory(prefix="mltrack-validation-") as tmp:
        output = Path(tmp) / path.name
        failure: BaseException | None = None
        try:
            execute_notebook(
                path,
                output,
                parameters=injected,
                kernel_name=KERNEL_NAME,
                env=env,
                cwd=str(path.parent),
            )
        except Exception as exc:  # every failure of the notebook or its kernel rejects
            failure = exc
        uri = _store_notebook(tracking, run_id, output)
    if failure is not None:
        tracking.set_terminated(run_id, RunStatus.FAILED)
        raise _rejection(name, version, path, failure, uri) from failure
    tracking.set_terminated(run_id, RunStatus.FINISHED)
    metrics = dict(tracking.get_run(run_id).data.metrics)
    logger.info("Validation of %s version %s passed: %s", name, version, metrics)
    return ValidationEvidence(run_id=run_id, uri=uri or "", metrics=metrics)


def _notebook_path(notebook: PathLike) -> Path:
    path = Path(os.fspath(notebook)).expanduser().resolve()
    if path.suffix != ".ipynb":
        raise InvalidParameterError(
            f"validate_with must be a Jupyter notebook (.ipynb) path, got {str(notebook)!r}"
        )
    if not path.is_file():
        raise InvalidParameterError(f"Validation notebook {str(path)!r} does not exist")
    return path


def _checked_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(parameters, Mapping):
        raise InvalidParameterError(
            f"parameters must be a mapping of name to value, got {type(parameters).__name__}"
        )
    for key in parameters:
        if not isinstance(key, str) or not key.isidentifier():
            raise InvalidParameterError(
                f"Notebook parameter names must be Python identifiers, got {key!r}"
            )
        if key in RESERVED_PARAMETERS:
            raise InvalidParameterError(
                f"Notebook parameter {key!r} is set by promote() itself; use another name"
            )
    return dict(parameters)


def _start_run(tracking: TrackingClient, name: str, version: int, path: Path) -> str:
    experiment = tracking.get_experiment_by_name(VALIDATION_EXPERIMENT)
    if experiment is not None:
        experiment_id = experiment.experiment_id
    else:
        try:
            experiment_id = tracking.create_experiment(VALIDATION_EXPERIMENT)
        except AlreadyExistsError:  # created by a concurrent promotion
            found = tracking.get_experiment_by_name(VALIDATION_EXPERIMENT)
            assert found is not None
            experiment_id = found.experiment_id
    tags = {TAG_MODEL_NAME: name, TAG_MODEL_VERSION: str(version), TAG_NOTEBOOK: str(path)}
    run = tracking.create_run(experiment_id, tags=tags, run_name=f"validate-{name}-v{version}")
    return run.info.run_id


def _store_notebook(tracking: TrackingClient, run_id: str, output: Path) -> str | None:
    if not output.is_file():  # papermill failed before writing anything
        return None
    tracking.log_artifact(run_id, output, EVIDENCE_DIR)
    return f"runs:/{run_id}/{EVIDENCE_DIR}/{output.name}"


def _rejection(
    name: str, version: int, path: Path, failure: BaseException, uri: str | None
) -> PromotionRejected:
    ename = getattr(failure, "ename", None)
    evalue = getattr(failure, "evalue", None)
    if ename is None:  # papermill or the kernel failed before or between cells
        ename, evalue = type(failure).__name__, str(failure).strip()
        what = "could not be run"
    else:
        cell = getattr(failure, "cell_index", None)
        what = "failed" if cell is None else f"failed in cell {cell}"
    stored = f"; the executed notebook is at {uri}" if uri else ""
    brief = " ".join(str(evalue).split())  # one line, for the CLI and logs
    brief = brief if len(brief) <= 300 else brief[:297] + "..."
    return PromotionRejected(
        f"Validation notebook {path.name!r} {what} ({ename}: {brief}); {name!r} version "
        f"{version} was not promoted{stored}",
        error_name=ename,
        error_value=str(evalue),
        evidence_uri=uri,
    )
