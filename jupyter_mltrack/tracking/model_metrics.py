"""Metric points logged against a logged model (MLflow 3's ``log_metric(..., model_id=...)``).

Such a point goes to the run's history like any other *and* is recorded on the model with the
run id and the dataset it was measured on, in one store write (``log_model_metrics``). These
points never take the background batcher: they are rare (an evaluation, not a training loop),
and an unknown model id must be refused at the call, not a second later on the writer thread.
The plain ``log_metric`` path never reaches this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from jupyter_mltrack.entities import DatasetInput, Metric, Param
from jupyter_mltrack.entities.logged_model import LoggedModelMetric
from jupyter_mltrack.errors import InvalidParameterError, StoreFeatureMissing
from jupyter_mltrack.tracking.client_checks import checked_points, unique_params

if TYPE_CHECKING:
    from jupyter_mltrack.store.base import MetricPoint, TrackingStore
    from jupyter_mltrack.store.logged_model_base import LoggedModelStore

__all__ = [
    "DatasetLike",
    "check_model_id",
    "dataset_identity",
    "link_run_inputs",
    "log_model_metrics",
    "log_model_points_of_batch",
    "log_points_to_model",
]


class DatasetLike(Protocol):
    """Anything with a dataset's ``name`` and ``digest``: a DatasetInput, an MLflow Dataset."""

    @property
    def name(self) -> str: ...

    @property
    def digest(self) -> str: ...


def check_model_id(model_id: object) -> str:
    """Return ``model_id`` if it can be a logged model's id (whether it exists is the store's)."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise InvalidParameterError(
            f"model_id must be a logged model's id (a non-empty string such as "
            f"model.model_id), got {model_id!r}"
        )
    return model_id


def dataset_identity(dataset: DatasetLike | None) -> tuple[str | None, str | None]:
    """Return ``(name, digest)`` of a dataset (``(None, None)`` without one)."""
    if dataset is None:
        return None, None
    name, digest = getattr(dataset, "name", None), getattr(dataset, "digest", None)
    if not isinstance(name, str) or not isinstance(digest, str) or not name:
        raise InvalidParameterError(
            f"dataset must have a string name and digest (a DatasetInput or an MLflow Dataset), "
            f"got {dataset!r:.120}"
        )
    return name, digest


def _model_store(store: TrackingStore) -> LoggedModelStore:
    # Imported here: only callers that log against a model pay for it.
    from jupyter_mltrack.store.logged_model_base import LoggedModelStore

    if not isinstance(store, LoggedModelStore):
        raise StoreFeatureMissing(
            f"The tracking store {type(store).__name__} cannot hold logged models, so metrics "
            "cannot be logged with a model_id; use a database store (sqlite://, postgresql://, "
            "mysql://) or an mltrack server"
        )
    return store


def log_points_to_model(
    store: TrackingStore,
    run_id: str,
    points: Sequence[MetricPoint],
    model_id: str,
    dataset_name: str | None = None,
    dataset_digest: str | None = None,
) -> None:
    """Log validated points to the run and record them on logged model ``model_id``.

    Raises:
        NotFoundError: No logged model has this id (nothing is written).
        StoreFeatureMissing: The store has no logged models.
    """
    model_metrics = [
        LoggedModelMetric(
            key=key,
            value=value,
            timestamp=timestamp,
            step=step,
            model_id=model_id,
            run_id=run_id,
            dataset_name=dataset_name,
            dataset_digest=dataset_digest,
        )
        for key, value, timestamp, step in points
    ]
    if model_metrics:
        _model_store(store).log_model_metrics(run_id, model_metrics)


def log_model_metrics(
    store: TrackingStore, run_id: str, metrics: Sequence[LoggedModelMetric]
) -> None:
    """Check model points as run points are checked, then log them to the run and their models.

    Raises:
        NotFoundError: A model id names no logged model (nothing is written).
    """
    for metric in metrics:
        check_model_id(metric.model_id)
    checked = [
        replace(m, key=key, value=value, timestamp=timestamp, step=step, run_id=run_id)
        for m, (key, value, timestamp, step) in zip(metrics, checked_points(metrics), strict=True)
    ]
    if checked:
        _model_store(store).log_model_metrics(run_id, checked)


def log_model_points_of_batch(
    store: TrackingStore,
    run_id: str,
    metrics: Sequence[Metric | LoggedModelMetric],
    params: Sequence[Param],
) -> list[Metric]:
    """Write a ``log_batch``'s model points (once the rest passed its checks); return the rest."""
    model_points = [m for m in metrics if isinstance(m, LoggedModelMetric)]
    plain = [m for m in metrics if not isinstance(m, LoggedModelMetric)]
    checked_points(plain)  # a bad run point or param must fail before the model points land
    unique_params(params)
    log_model_metrics(store, run_id, model_points)
    return plain


def link_run_inputs(
    store: TrackingStore, run_id: str, model_id: str | None, dataset: DatasetLike | None
) -> None:
    """Record the model and dataset as inputs of the run unless it already has them, as MLflow.

    MLflow's fluent ``log_metric(..., model_id=..., dataset=...)`` makes the model a run input
    when the run neither consumed nor produced it, and a full dataset (one with a source) a
    dataset input; a bare name and digest cannot be logged as an input. A process remembers
    what it linked, so an evaluation loop reads the run once per model and dataset.
    """
    seen = (run_id, model_id, dataset_identity(dataset))
    if seen in _LINKED:
        return
    run = store.get_run(run_id)
    known_models = {m.model_id for m in run.inputs.model_inputs}
    known_models.update(m.model_id for m in run.outputs.model_outputs)
    models = [model_id] if model_id is not None and model_id not in known_models else []
    datasets: list[DatasetInput] = []
    if isinstance(dataset, DatasetInput):
        known = {(d.name, d.digest) for d in run.inputs.dataset_inputs}
        if (dataset.name, dataset.digest) not in known:
            datasets.append(dataset)
    if models or datasets:
        _model_store(store).log_inputs(run_id, datasets, models)
    if len(_LINKED) >= _LINKED_LIMIT:
        _LINKED.clear()
    _LINKED.add(seen)


#: (run, model, dataset) triples already linked by this process; bounded, cleared when full.
_LINKED: set[tuple[str, str | None, tuple[str | None, str | None]]] = set()
_LINKED_LIMIT = 10_000
