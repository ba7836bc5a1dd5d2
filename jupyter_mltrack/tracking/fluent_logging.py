"""Fluent logging of metrics, params and tags to the active run.

``log_metric`` is the hot path: it validates with the memoised validators, notifies listeners only
if any are registered and appends one tuple to the background writer's buffer. Params and tags are
written at the call, in one transaction with the run's pending metrics (so nothing logged before
them lands after them, and a fluent run commits once less), and errors arrive at the call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from time import time_ns

import jupyter_mltrack.tracking.listeners as listeners
import jupyter_mltrack.tracking.tags as t
from jupyter_mltrack._validation import (
    validate_key,
    validate_metric_value,
    validate_param_value,
    validate_step,
    validate_tag_value,
    validate_timestamp,
)
from jupyter_mltrack.entities import Metric, Param, RunTag
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.tracking.active import ActiveRun, current_run
from jupyter_mltrack.tracking.batching import BATCHER
from jupyter_mltrack.tracking.client_checks import mapping_points
from jupyter_mltrack.tracking.fluent import raise_writer_error as _raise_writer_error
from jupyter_mltrack.tracking.fluent import start_run
from jupyter_mltrack.tracking.model_metrics import (
    DatasetLike,
    check_model_id,
    dataset_identity,
    link_run_inputs,
    log_points_to_model,
)

__all__ = [
    "delete_tag",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_tag",
    "set_tags",
]


def log_metric(
    key: str,
    value: float,
    *,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    model_id: str | None = None,
    dataset: DatasetLike | None = None,
) -> None:
    """Log a metric point to the active run (starting one if needed).

    The point is buffered and written in the background within about a second; pass
    ``synchronous=True`` (or set env ``MLTRACK_ASYNC_LOGGING=false``) to write at the call.

    With ``model_id`` (a logged model's id) the point is also recorded on that model, with the
    ``dataset`` it was measured on (anything with ``name`` and ``digest``: a DatasetInput, an
    MLflow Dataset), and the model (and a full DatasetInput) become inputs of the run, as in
    MLflow. Such points are written at the call.

    Raises:
        NotFoundError: ``model_id`` names no logged model of the store (nothing is written).

    Example:
        >>> import jupyter_mltrack as mlt
        >>> for epoch in range(3):  # doctest: +SKIP
        ...     mlt.log_metric("loss", 1 / (epoch + 1), step=epoch)
        >>> mlt.log_metric("acc", 0.93, model_id=model.model_id)  # doctest: +SKIP
    """
    if BATCHER.error is not None:
        BATCHER.raise_error()
    run = current_run() or start_run()
    key = validate_key("Metric", key)
    number = validate_metric_value(key, value)
    step_ = 0 if step is None else validate_step(key, step)
    when = time_ns() // 1_000_000 if timestamp is None else validate_timestamp(key, timestamp)
    if listeners.LISTENERS:
        listeners.notify(run.run_id, "metric", (key, number, step_, when))
    if model_id is not None or dataset is not None:  # rare: never through the batcher
        _write_model_metrics(run, [(key, number, when, step_)], model_id, dataset)
    elif synchronous or (synchronous is None and not run.async_logging):
        _write_metrics(run, [(key, number, when, step_)])
    else:
        BATCHER.add(run.store, run.run_id, key, number, when, step_)


def log_metrics(
    metrics: Mapping[str, float],
    *,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    model_id: str | None = None,
    dataset: DatasetLike | None = None,
) -> None:
    """Log several metrics at one step and timestamp to the active run.

    ``model_id`` and ``dataset`` record the points on a logged model, as in :func:`log_metric`.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.log_metrics({"loss": 0.3, "acc": 0.91}, step=10)  # doctest: +SKIP
    """
    _raise_writer_error()
    run = current_run() or start_run()
    when = time_ns() // 1_000_000 if timestamp is None else validate_timestamp("metrics", timestamp)
    # One step and timestamp for all keys: checked once, then the keys and values in bulk.
    step_ = 0 if step is None else validate_step(next(iter(metrics), "metrics"), step)
    points = mapping_points(metrics, when, step_)
    if listeners.LISTENERS:
        for key, number, _, _ in points:
            listeners.notify(run.run_id, "metric", (key, number, step_, when))
    if model_id is not None or dataset is not None:
        _write_model_metrics(run, points, model_id, dataset)
    elif synchronous or (synchronous is None and not run.async_logging):
        _write_metrics(run, points)
    elif points:
        BATCHER.add_many(run.store, run.run_id, points)


def log_param(key: str, value: object) -> None:
    """Log a param of the active run; a second value for the same key is refused at the call.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.log_param("lr", 0.01)  # doctest: +SKIP
    """
    log_params({key: value})


def log_params(params: Mapping[str, object]) -> None:
    """Log several params of the active run in one write.

    Raises:
        InvalidParameterError: A key was already logged to this run with another value.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.log_params({"lr": 0.01, "depth": 4})  # doctest: +SKIP
    """
    _raise_writer_error()
    run = current_run() or start_run()
    new: dict[str, str] = {}
    for raw_key, raw_value in params.items():
        key = validate_key("Param", raw_key)
        value = validate_param_value(key, raw_value)
        old = run.params.get(key, new.get(key))
        if old is not None and old != value:
            raise InvalidParameterError(
                f"Param {key!r} of run {run.run_id!r} was already logged with value {old!r}; "
                f"it cannot change to {value!r}. Params are immutable: use a new key or start a "
                "new run."
            )
        if key not in run.params:
            new[key] = value
    if not new:
        return
    _log_with_pending(run, params=[Param(key=k, value=v) for k, v in new.items()])
    run.params.update(new)
    if listeners.LISTENERS:
        for key, value in new.items():
            listeners.notify(run.run_id, "param", (key, value))


def set_tag(key: str, value: object) -> None:
    """Set a tag of the active run (``mltrack.runName`` renames it).

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.set_tag("stage", "tuning")  # doctest: +SKIP
    """
    set_tags({key: value})


def set_tags(tags: Mapping[str, object]) -> None:
    """Set several tags of the active run in one write.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.set_tags({"team": "vision", "stage": "tuning"})  # doctest: +SKIP
    """
    _raise_writer_error()
    run = current_run() or start_run()
    checked = {validate_key("Tag", k): validate_tag_value(k, v) for k, v in tags.items()}
    if not checked:
        return
    _log_with_pending(run, tags=[RunTag(key=k, value=v) for k, v in checked.items()])
    if t.RUN_NAME in checked:
        run.client.update_run(run.run_id, name=checked[t.RUN_NAME])
    if listeners.LISTENERS:
        for key, value in checked.items():
            listeners.notify(run.run_id, "tag", (key, value))


def delete_tag(key: str) -> None:
    """Remove a tag from the active run.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.delete_tag("stage")  # doctest: +SKIP
    """
    _raise_writer_error()
    run = current_run() or start_run()
    _write_through()
    run.client.delete_tag(run.run_id, key)


def _write_through() -> None:
    """Flush pending metrics so a synchronous write lands after them; surface writer errors."""
    if BATCHER.pending():
        BATCHER.flush()
        BATCHER.raise_error()


def _log_with_pending(
    run: ActiveRun, params: Sequence[Param] = (), tags: Sequence[RunTag] = ()
) -> None:
    """Write params or tags together with the run's pending metrics (one commit, not two).

    Should the write fail (a param another process logged with another value), the metrics
    are written on their own before the error is raised: they must not go down with it.
    """
    with BATCHER.drained(run.store, run.run_id) as points:
        metrics = [Metric(key=k, value=v, timestamp=ts, step=s) for k, v, ts, s in points]
        try:
            run.store.log_batch(run.run_id, metrics, params, tags)
        except Exception:
            if points:
                try:
                    run.store.log_metric_points(run.run_id, points)
                except Exception as exc:
                    BATCHER.record_failure(run.store, run.run_id, points, exc)
            raise
    BATCHER.raise_error()  # another run's points, written first, may have failed


def _write_metrics(run: ActiveRun, points: list[tuple[str, float, int, int]]) -> None:
    _write_through()
    run.store.log_metric_points(run.run_id, points)


def _write_model_metrics(
    run: ActiveRun,
    points: list[tuple[str, float, int, int]],
    model_id: str | None,
    dataset: DatasetLike | None,
) -> None:
    """Write points measured on a logged model and/or a dataset at the call, then link them."""
    if model_id is not None:
        model_id = check_model_id(model_id)
    name, digest = dataset_identity(dataset)
    if not points:
        return
    _write_through()
    if model_id is None:  # a dataset alone: plain run points, as MLflow stores them
        run.store.log_metric_points(run.run_id, points)
    else:
        log_points_to_model(run.store, run.run_id, points, model_id, name, digest)
    link_run_inputs(run.store, run.run_id, model_id, dataset)
