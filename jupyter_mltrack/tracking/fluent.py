"""The fluent API: runs started with ``start_run`` and logged to without passing ids.

Metrics go through the background writer (:mod:`~jupyter_mltrack.tracking.batching`); params and
tags are written at the call, after pending metrics. Calling a ``log_*`` function with no active
run starts one. Runs left active at interpreter exit are ended as FINISHED after a final flush.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, overload

import jupyter_mltrack.tracking.heartbeat as heartbeat
import jupyter_mltrack.tracking.liveness as liveness
import jupyter_mltrack.tracking.system_metrics as system_metrics
import jupyter_mltrack.tracking.tags as t
from jupyter_mltrack._types import TagsInput
from jupyter_mltrack.entities import LifecycleStage, Run, RunStatus, RunTag, ViewType
from jupyter_mltrack.errors import InvalidParameterError, InvalidStateError
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_DEFAULT
from jupyter_mltrack.tracking.active import (
    ActiveRun,
    current_run,
    current_stack,
    forget_run,
    live_runs,
    pop_run,
    push_run,
)
from jupyter_mltrack.tracking.batching import BATCHER
from jupyter_mltrack.tracking.client import TrackingClient
from jupyter_mltrack.tracking.fluent_experiments import current_experiment_id
from jupyter_mltrack.tracking.run_operations import ENV_ASYNC_LOGGING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ENV_ASYNC_LOGGING",
    "ENV_RUN_ID",
    "active_run",
    "end_run",
    "end_run_object",
    "flush",
    "get_run",
    "last_active_run",
    "raise_writer_error",
    "search_runs",
    "start_run",
]

ENV_RUN_ID = "MLTRACK_RUN_ID"

_state_lock = threading.Lock()
_last_run: tuple[TrackingClient, str] | None = None
_atexit_registered = False
SEARCH_MAX_RESULTS_FLUENT = 100_000


# -- runs -------------------------------------------------------------------------------------
def start_run(
    run_id: str | None = None,
    *,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: TagsInput = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a new run, or resume ``run_id``, and make it the active run.

    Use the result as a context manager to end the run when the block exits (FAILED if the block
    raises). With env ``MLTRACK_RUN_ID`` set, a top-level ``start_run()`` resumes that run.
    ``log_system_metrics`` samples CPU, memory, disk, network and GPU into ``system/*`` metrics
    while the run is active (None: ``MLTRACK_ENABLE_SYSTEM_METRICS_LOGGING`` decides).

    Raises:
        InvalidStateError: A run is already active and ``nested`` is False, or ``run_id`` names
            a deleted run.
        MissingDependencyError: ``log_system_metrics=True`` without psutil installed.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> with mlt.start_run(run_name="baseline"):  # doctest: +SKIP
        ...     mlt.log_param("lr", 0.01)
        ...     with mlt.start_run(nested=True):
        ...         mlt.log_metric("loss", 0.3, step=1)
    """
    raise_writer_error()
    stack = current_stack()
    if stack and not nested:
        raise InvalidStateError(
            f"Run {stack[-1].run_id!r} is already active. End it with end_run() first, or pass "
            "nested=True to start a child run inside it."
        )
    parent = stack[-1] if stack else None
    sample_system = system_metrics.wanted(log_system_metrics)  # raises before any write
    # A child run lives in its parent's store, even if the tracking URI changed in between.
    client = parent.client if parent is not None else TrackingClient()
    if run_id is None and parent is None:
        run_id = os.environ.get(ENV_RUN_ID, "").strip() or None
    liveness.sweep_once(client.store)  # runs whose process died: once per process and store
    if run_id is not None:
        run = _resume(client, run_id, experiment_id, run_name, tags, description)
    else:
        run = _create(client, experiment_id, run_name, tags, description, parent)
    active = ActiveRun(
        run_id=run.info.run_id,
        experiment_id=run.info.experiment_id,
        artifact_uri=run.info.artifact_uri,
        client=client,
        params=dict(run.data.params),
        async_logging=_async_logging_enabled(),
        end=end_run_object,
    )
    push_run(active)
    if sample_system:
        system_metrics.track(client.store, run)
    if liveness.liveness_enabled():
        heartbeat.track(client.store, active.run_id)
    _remember(client, active.run_id)
    _register_atexit()
    return active


def _create(
    client: TrackingClient,
    experiment_id: str | None,
    run_name: str | None,
    tags: TagsInput,
    description: str | None,
    parent: ActiveRun | None,
) -> Run:
    merged = {**liveness.owner_tags(), **{str(k): v for k, v in (tags or {}).items()}}
    if parent is not None:
        merged[t.PARENT_RUN_ID] = parent.run_id
    if description is not None:
        merged[t.NOTE] = description
    if experiment_id is None:
        experiment_id = parent.experiment_id if parent else current_experiment_id(client)
    return client.create_run(experiment_id, tags=merged, run_name=run_name)


def _resume(
    client: TrackingClient,
    run_id: str,
    experiment_id: str | None,
    run_name: str | None,
    tags: TagsInput,
    description: str | None,
) -> Run:
    if any(r.run_id == run_id for r in current_stack()):
        raise InvalidStateError(f"Run {run_id!r} is already active in this context")
    run = client.get_run(run_id)
    if run.info.lifecycle_stage is LifecycleStage.DELETED:
        raise InvalidStateError(
            f"Run {run_id!r} is deleted; restore it with TrackingClient().restore_run() "
            "before resuming it"
        )
    if experiment_id is not None and str(experiment_id) != run.info.experiment_id:
        raise InvalidParameterError(
            f"Run {run_id!r} belongs to experiment {run.info.experiment_id!r}, not "
            f"{experiment_id!r}; omit experiment_id when resuming a run"
        )
    client.update_run(run_id, status=RunStatus.RUNNING, name=run_name)
    extra = {**liveness.resume_tags(run.data.tags), **{str(k): v for k, v in (tags or {}).items()}}
    if description is not None:
        extra[t.NOTE] = description
    if extra:
        client.log_batch(run_id, tags=[RunTag(key=k, value=str(v)) for k, v in extra.items()])
    return client.get_run(run_id)


def active_run() -> ActiveRun | None:
    """Return the innermost active run of this thread/context, or None.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.active_run() is None
        True
    """
    return current_run()


def last_active_run() -> Run | None:
    """Return the active run, else the run most recently started or ended here, or None.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.last_active_run().info.status  # doctest: +SKIP
        <RunStatus.FINISHED: 'FINISHED'>
    """
    active = current_run()
    if active is not None:
        BATCHER.flush()
        return active.client.get_run(active.run_id)
    last = _last_run
    if last is None:
        return None
    BATCHER.flush()
    return last[0].get_run(last[1])


def end_run(status: RunStatus | str = RunStatus.FINISHED) -> None:
    """End the innermost active run (and write its pending metrics); no-op without one.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> run = mlt.start_run()  # doctest: +SKIP
        >>> mlt.end_run("KILLED")  # doctest: +SKIP
    """
    parsed = RunStatus.parse(status)
    if not parsed.is_terminal:
        raise InvalidParameterError(
            f"end_run needs a terminal status (FINISHED, FAILED or KILLED), got {parsed.value}"
        )
    active = current_run()
    if active is None:
        raise_writer_error()
        return
    end_run_object(active, parsed)


def end_run_object(run: ActiveRun, status: RunStatus) -> None:
    """End ``run`` and any runs still active inside it, after flushing pending metrics."""
    ended = pop_run(run)
    if not ended:
        # Ended already in this context (end_run() inside its `with` block), or not ours.
        if run not in live_runs():
            return
        forget_run(run)
        ended = (run,)
    for item in ended:  # their last system metrics go out with the flush below
        system_metrics.untrack(item.run_id)
    BATCHER.flush()
    writer_error = BATCHER.take_error()
    errors: list[Exception] = []
    for item in ended:
        try:
            heartbeat.terminate(item.client, item.run_id, status)
        except Exception as exc:
            errors.append(exc)
    _remember(run.client, run.run_id)
    if writer_error is not None:
        raise writer_error
    if errors:
        raise errors[0]


def get_run(run_id: str) -> Run:
    """Return a run by id with its latest metrics, params and tags (after a flush).

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.get_run(run_id).data.params  # doctest: +SKIP
        {'lr': '0.01'}
    """
    flush()
    return TrackingClient().get_run(run_id)


def flush() -> None:
    """Write every pending metric point now; raise StoreError if a background write failed.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.flush()
    """
    BATCHER.flush()
    BATCHER.raise_error()


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    *,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS_FLUENT,
    order_by: Sequence[str] | None = None,
    output_format: Literal["pandas"] = "pandas",
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    *,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS_FLUENT,
    order_by: Sequence[str] | None = None,
    output_format: Literal["list"],
    experiment_names: Sequence[str] | None = None,
) -> list[Run]: ...


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    *,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS_FLUENT,
    order_by: Sequence[str] | None = None,
    output_format: Literal["pandas", "list"] = "pandas",
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Search runs, by default of the current experiment, as a DataFrame or a list of Run.

    The DataFrame has the columns ``run_id, experiment_id, status, artifact_uri, start_time,
    end_time, run_name`` and ``metrics.*``, ``params.*``, ``tags.*``. Pending metrics are written
    first, so what was just logged is found.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> df = mlt.search_runs(filter_string="metrics.acc > 0.9", order_by=["metrics.acc DESC"])
        >>> df[["run_id", "metrics.acc"]].head()  # doctest: +SKIP
    """
    if output_format not in ("pandas", "list"):
        raise InvalidParameterError(
            f"output_format must be 'pandas' or 'list', got {output_format!r}"
        )
    flush()
    client = TrackingClient()
    if isinstance(experiment_ids, str):
        experiment_ids = [experiment_ids]
    ids = [str(i) for i in experiment_ids or ()]
    for name in experiment_names or ():
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            ids.append(experiment.experiment_id)
    if experiment_ids is None and experiment_names is None:
        ids = [current_experiment_id(client)]
    view = ViewType.parse(run_view_type)
    order = list(order_by) if order_by else None
    if output_format == "pandas":
        return client.store.search_runs_frame(ids, filter_string or "", view, max_results, order)
    runs: list[Run] = []
    token: str | None = None
    while len(runs) < max_results:
        page = client.search_runs(
            ids,
            filter_string,
            run_view_type=view,
            max_results=min(max_results - len(runs), SEARCH_MAX_RESULTS_DEFAULT),
            order_by=order,
            page_token=token,
        )
        runs.extend(page)
        token = page.token
        if not token:
            break
    return runs


# -- helpers ---------------------------------------------------------------------------------
def raise_writer_error() -> None:
    """Raise the background writer's pending failure as StoreError, if any."""
    if BATCHER.error is not None:
        BATCHER.raise_error()


def _async_logging_enabled() -> bool:
    value = os.environ.get(ENV_ASYNC_LOGGING, "").strip().lower()
    return value not in ("0", "false", "no", "off")


def _remember(client: TrackingClient, run_id: str) -> None:
    global _last_run
    with _state_lock:
        _last_run = (client, run_id)


def _register_atexit() -> None:
    global _atexit_registered
    with _state_lock:
        if _atexit_registered:
            return
        _atexit_registered = True
    # Registered after the store is opened, so this runs before any store cleanup hook.
    atexit.register(_at_exit)


def _at_exit() -> None:
    """Flush pending metrics and end runs left active, as FINISHED."""
    BATCHER.close()
    errors: list[Exception] = []
    for run in live_runs():
        system_metrics.untrack(run.run_id)
        heartbeat.untrack(run.run_id)
        try:
            run.client.set_terminated(run.run_id, RunStatus.FINISHED)
        except Exception as exc:
            errors.append(exc)
        else:
            heartbeat.retire(run.store, run.run_id)
        forget_run(run)
    error = BATCHER.take_error()
    if error is not None:
        raise error
    if errors:
        raise errors[0]


def _reset() -> None:
    """Forget active runs, experiment, URI and listeners without ending anything (tests)."""
    global _last_run
    import jupyter_mltrack.tracking.active as active
    import jupyter_mltrack.tracking.fluent_experiments as fluent_experiments
    import jupyter_mltrack.tracking.listeners as listeners
    import jupyter_mltrack.tracking.uri as uri

    BATCHER.flush()
    BATCHER.take_error()
    BATCHER.reopen()
    active._reset()
    heartbeat._reset()
    fluent_experiments._reset()
    listeners._reset()
    system_metrics._reset()
    uri._reset()
    _last_run = None
