"""Fluent experiment functions and the process's current experiment.

The experiment a new top-level run goes to: the one chosen with :func:`set_experiment` (for the
tracking URI it was chosen on) > env ``MLTRACK_EXPERIMENT_ID`` > env ``MLTRACK_EXPERIMENT_NAME``
(created if missing) > ``Default`` (id ``"0"``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from jupyter_mltrack._types import TagsInput
from jupyter_mltrack.entities import Experiment, LifecycleStage, PagedList, ViewType
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    ExperimentNotFound,
    InvalidParameterError,
    InvalidStateError,
)
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_DEFAULT
from jupyter_mltrack.tracking.client import TrackingClient
from jupyter_mltrack.tracking.uri import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    env_experiment,
)

__all__ = [
    "create_experiment",
    "current_experiment_id",
    "delete_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "restore_experiment",
    "search_experiments",
    "set_experiment",
]

_lock = threading.Lock()
# (tracking URI, experiment id) chosen by set_experiment; only valid for that URI.
_current: tuple[str, str] | None = None


def create_experiment(
    name: str, artifact_location: str | None = None, *, tags: TagsInput = None
) -> str:
    """Create an experiment and return its id.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> exp_id = mlt.create_experiment("churn", tags={"team": "growth"})  # doctest: +SKIP
    """
    return TrackingClient().create_experiment(name, artifact_location, tags)


def set_experiment(name: str | None = None, *, experiment_id: str | None = None) -> Experiment:
    """Make an experiment the destination of new runs, creating it (by name) if missing.

    A deleted experiment is not restored silently: restore it with :func:`restore_experiment`.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.set_experiment("churn").name  # doctest: +SKIP
        'churn'
    """
    global _current
    if (name is None) == (experiment_id is None):
        raise InvalidParameterError(
            "set_experiment needs exactly one of name or experiment_id, e.g. "
            "set_experiment('my-experiment')"
        )
    client = TrackingClient()
    if name is not None:
        experiment = _get_or_create(client, name)
    else:
        experiment = client.get_experiment(str(experiment_id))
    _refuse_deleted(experiment)
    with _lock:
        _current = (client.tracking_uri, experiment.experiment_id)
    return experiment


def get_experiment(experiment_id: str) -> Experiment:
    """Return an experiment by id; raise ExperimentNotFound if there is none.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.get_experiment("0").name  # doctest: +SKIP
        'Default'
    """
    return TrackingClient().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """Return the experiment with this name (active or deleted), or None.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.get_experiment_by_name("churn")  # doctest: +SKIP
    """
    return TrackingClient().get_experiment_by_name(name)


def search_experiments(
    *,
    view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
) -> PagedList[Experiment]:
    """Return one page of experiments matching a filter such as ``"name LIKE 'churn%'"``.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> [e.name for e in mlt.search_experiments(order_by=["name"])]  # doctest: +SKIP
        ['Default', 'churn']
    """
    return TrackingClient().search_experiments(
        view_type=view_type,
        max_results=max_results,
        filter_string=filter_string,
        order_by=order_by,
        page_token=page_token,
    )


def delete_experiment(experiment_id: str) -> None:
    """Soft-delete an experiment and its runs.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.delete_experiment(exp_id)  # doctest: +SKIP
    """
    TrackingClient().delete_experiment(experiment_id)


def restore_experiment(experiment_id: str) -> None:
    """Restore a deleted experiment.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.restore_experiment(exp_id)  # doctest: +SKIP
    """
    TrackingClient().restore_experiment(experiment_id)


def current_experiment_id(client: TrackingClient) -> str:
    """Return the id of the experiment new top-level runs of ``client``'s store go to."""
    current = _current
    if current is not None and current[0] == client.tracking_uri:
        return current[1]
    env_id, env_name = env_experiment()
    if env_id is not None:
        return env_id
    if env_name is not None:
        experiment = _get_or_create(client, env_name)
        _refuse_deleted(experiment)
        return experiment.experiment_id
    return _default_experiment_id(client)


def _get_or_create(client: TrackingClient, name: str) -> Experiment:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment
    try:
        return client.get_experiment(client.create_experiment(name))
    except AlreadyExistsError:
        # Another process created it between our read and our write.
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found


def _refuse_deleted(experiment: Experiment) -> None:
    if experiment.lifecycle_stage is LifecycleStage.DELETED:
        raise InvalidStateError(
            f"Experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted; restore "
            f"it with restore_experiment({experiment.experiment_id!r}) or use another name"
        )


def _default_experiment_id(client: TrackingClient) -> str:
    try:
        return client.get_experiment(DEFAULT_EXPERIMENT_ID).experiment_id
    except ExperimentNotFound:
        return _get_or_create(client, DEFAULT_EXPERIMENT_NAME).experiment_id


def _reset() -> None:
    global _current
    with _lock:
        _current = None
