"""TrackingClient: experiments and runs addressed by explicit ids, written at the call.

The client is the validating boundary in front of a :class:`~jupyter_mltrack.store.base.
TrackingStore`: keys, values, steps, timestamps and lengths are checked here and refused with
:class:`~jupyter_mltrack.errors.InvalidParameterError`; existence and lifecycle rules are the
store's (``RunNotFound``, ``ExperimentNotFound``, ``InvalidStateError`` for deleted runs).
The logging methods live in :mod:`~jupyter_mltrack.tracking.client_logging`, the history reads in
:mod:`~jupyter_mltrack.tracking.client_history`, the artifacts in
:mod:`~jupyter_mltrack.tracking.client_artifacts`.
"""

from __future__ import annotations

from collections.abc import Sequence

import jupyter_mltrack.tracking.tags as t
from jupyter_mltrack._time import now_ms
from jupyter_mltrack._types import PathLike, TagsInput
from jupyter_mltrack._validation import (
    validate_key,
    validate_name,
    validate_tag_value,
    validate_tags,
    validate_timestamp,
)
from jupyter_mltrack.entities import (
    Experiment,
    PagedList,
    Run,
    RunStatus,
    ViewType,
)
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_DEFAULT, TrackingStore
from jupyter_mltrack.tracking.client_artifacts import ArtifactMethods
from jupyter_mltrack.tracking.client_checks import (
    check_experiment_id,
    check_max_results,
    check_run_id,
)
from jupyter_mltrack.tracking.client_history import HistoryMethods
from jupyter_mltrack.tracking.client_logging import LoggingMethods

__all__ = ["TrackingClient"]


class TrackingClient(LoggingMethods, ArtifactMethods, HistoryMethods):
    """Read and write experiments, runs and artifacts of one tracking store.

    Args:
        tracking_uri: The store to use; defaults to the current tracking URI
            (:func:`~jupyter_mltrack.get_tracking_uri`). Plain paths become SQLite URIs.
        store: An already opened store to use instead (tests, custom backends).

    Example:
        >>> from jupyter_mltrack import TrackingClient
        >>> client = TrackingClient("sqlite:///mltrack.db")  # doctest: +SKIP
        >>> run = client.create_run("0", run_name="manual")  # doctest: +SKIP
        >>> client.log_metric(run.info.run_id, "loss", 0.25, step=1)  # doctest: +SKIP
    """

    def __init__(
        self, tracking_uri: PathLike | None = None, *, store: TrackingStore | None = None
    ) -> None:
        from jupyter_mltrack.tracking.uri import get_tracking_uri, normalize_tracking_uri

        if store is not None:
            self.tracking_uri = store.uri or str(tracking_uri or "")
            self.store = store
            return
        uri = get_tracking_uri() if tracking_uri is None else normalize_tracking_uri(tracking_uri)
        from jupyter_mltrack.store.registry import get_tracking_store

        self.tracking_uri = uri
        self.store = get_tracking_store(uri)

    def __repr__(self) -> str:
        from jupyter_mltrack.store.redact import redact_uri

        return f"TrackingClient({redact_uri(self.tracking_uri)!r})"

    # -- experiments ----------------------------------------------------------------------------
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: TagsInput = None,
    ) -> str:
        """Create an experiment and return its id.

        Example:
            >>> exp_id = client.create_experiment("churn")  # doctest: +SKIP
        """
        name = validate_name("Experiment", name)
        return self.store.create_experiment(name, artifact_location, validate_tags(tags))

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment by id; raise ExperimentNotFound if there is none.

        Example:
            >>> client.get_experiment("0").name  # doctest: +SKIP
            'Default'
        """
        return self.store.get_experiment(check_experiment_id(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this name (active or deleted), or None.

        Example:
            >>> client.get_experiment_by_name("churn")  # doctest: +SKIP
        """
        return self.store.get_experiment_by_name(validate_name("Experiment", name))

    def search_experiments(
        self,
        *,
        view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Return one page of experiments; pass ``page.token`` back for the next page.

        Example:
            >>> page = client.search_experiments(filter_string="name LIKE 'c%'")  # doctest: +SKIP
        """
        return self.store.search_experiments(
            view_type=ViewType.parse(view_type),
            max_results=check_max_results(max_results),
            filter_string=filter_string or "",
            order_by=list(order_by) if order_by else None,
            page_token=page_token,
        )

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs (undo with :meth:`restore_experiment`).

        Example:
            >>> client.delete_experiment(exp_id)  # doctest: +SKIP
        """
        self.store.delete_experiment(check_experiment_id(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment.

        Example:
            >>> client.restore_experiment(exp_id)  # doctest: +SKIP
        """
        self.store.restore_experiment(check_experiment_id(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new, unique name.

        Example:
            >>> client.rename_experiment(exp_id, "churn-v2")  # doctest: +SKIP
        """
        name = validate_name("Experiment", new_name)
        self.store.rename_experiment(check_experiment_id(experiment_id), name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: object) -> None:
        """Set (or overwrite) a tag of an experiment.

        Example:
            >>> client.set_experiment_tag(exp_id, "owner", "ana")  # doctest: +SKIP
        """
        key = validate_key("Tag", key)
        self.store.set_experiment_tag(
            check_experiment_id(experiment_id), key, validate_tag_value(key, value)
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Delete a tag of an experiment (:class:`NotFoundError` if it has no such tag).

        Example:
            >>> client.delete_experiment_tag(exp_id, "owner")  # doctest: +SKIP
        """
        self.store.delete_experiment_tag(check_experiment_id(experiment_id), key)

    # -- runs -------------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        *,
        start_time: int | None = None,
        tags: TagsInput = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a RUNNING run with context tags (user, source, git ...) and a name.

        Without ``run_name`` (or a ``mltrack.runName`` tag) the run gets a generated name.

        Example:
            >>> run = client.create_run("0", run_name="baseline")  # doctest: +SKIP
        """
        from jupyter_mltrack.tracking.context import current_user, resolve_context_tags
        from jupyter_mltrack.tracking.names import generate_run_name

        merged = validate_tags(resolve_context_tags(validate_tags(tags)))
        name = run_name if run_name is not None else merged.get(t.RUN_NAME) or generate_run_name()
        merged[t.RUN_NAME] = validate_name("Run", name)
        start = now_ms() if start_time is None else validate_timestamp("start_time", start_time)
        return self.store.create_run(
            experiment_id=check_experiment_id(experiment_id),
            user_id=merged.get(t.USER) or current_user(),
            start_time=start,
            tags=merged,
            run_name=name,
        )

    def get_run(self, run_id: str) -> Run:
        """Return a run with its latest metrics, params and tags; raise RunNotFound if unknown.

        Example:
            >>> client.get_run(run_id).data.metrics  # doctest: +SKIP
            {'loss': 0.25}
        """
        return self.store.get_run(check_run_id(run_id))

    def update_run(
        self, run_id: str, *, status: RunStatus | str | None = None, name: str | None = None
    ) -> None:
        """Change a run's status and/or name.

        Example:
            >>> client.update_run(run_id, name="tuned")  # doctest: +SKIP
        """
        run_id = check_run_id(run_id)
        parsed = None if status is None else RunStatus.parse(status)
        if name is not None:
            name = validate_name("Run", name)
        # The store keeps the mltrack.runName tag in step with the name.
        self.store.update_run_info(run_id, status=parsed, run_name=name)

    def set_terminated(
        self,
        run_id: str,
        status: RunStatus | str = RunStatus.FINISHED,
        *,
        end_time: int | None = None,
    ) -> None:
        """End a run: set a terminal status (FINISHED, FAILED or KILLED) and the end time.

        Example:
            >>> client.set_terminated(run_id, "FAILED")  # doctest: +SKIP
        """
        parsed = RunStatus.parse(status)
        if not parsed.is_terminal:
            raise InvalidParameterError(
                f"set_terminated needs a terminal status (FINISHED, FAILED or KILLED), got "
                f"{parsed.value}; use update_run(run_id, status=...) for other statuses"
            )
        end = now_ms() if end_time is None else validate_timestamp("end_time", end_time)
        self.store.update_run_info(check_run_id(run_id), status=parsed, end_time=end)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run (hidden from searches; undo with :meth:`restore_run`).

        Example:
            >>> client.delete_run(run_id)  # doctest: +SKIP
        """
        self.store.delete_run(check_run_id(run_id))

    def restore_run(self, run_id: str) -> None:
        """Restore a deleted run.

        Example:
            >>> client.restore_run(run_id)  # doctest: +SKIP
        """
        self.store.restore_run(check_run_id(run_id))

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        *,
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Return one page of runs matching a filter; ``page.token`` fetches the next page.

        Example:
            >>> page = client.search_runs(["0"], "metrics.acc > 0.9")  # doctest: +SKIP
            >>> next_page = client.search_runs(["0"], page_token=page.token)  # doctest: +SKIP
        """
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        return self.store.search_runs(
            [check_experiment_id(i) for i in ids],
            filter_string or "",
            ViewType.parse(run_view_type),
            check_max_results(max_results),
            list(order_by) if order_by else None,
            page_token,
        )

    def count_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        *,
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    ) -> int:
        """Return how many runs :meth:`search_runs` would find for the same arguments.

        One ``COUNT(*)`` on SQL stores and mltrack servers (no run is loaded); against an MLflow
        server the runs are paged through and counted.

        Example:
            >>> client.count_runs(["0"], "metrics.acc > 0.9")  # doctest: +SKIP
            42
        """
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        return self.store.count_runs(
            [check_experiment_id(i) for i in ids],
            filter_string or "",
            ViewType.parse(run_view_type),
        )
