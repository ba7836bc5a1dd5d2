"""The store interfaces: a small abstract core plus concrete conveniences.

Every backend (``SqlStore`` for SQLite/PostgreSQL/MySQL, ``RestStore`` for a tracking server)
implements :class:`TrackingStore`; the contract suite in ``tests/contract`` runs unchanged against
each. Stores validate nothing the caller-facing layers already validated except what only the
store can know (existence, lifecycle state, immutability of params).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from jupyter_mltrack.entities import (
    Experiment,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mltrack.entities.metric import MetricHistoryArrays

# One metric point on the fast path: (key, value, timestamp_ms, step). Avoids building a Metric
# object per point when the background writer flushes hundreds of thousands of them.
MetricPoint = tuple[str, float, int, int]

SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_LIMIT = 100_000_000
# Runs per search page when counting by paging: MLflow servers accept at most 50,000.
_COUNT_PAGE = 50_000


class TrackingStore(ABC):
    """Persistence of experiments and runs. Ids are strings; times are int milliseconds."""

    #: The URI this store was opened with, with any password masked.
    uri: str = ""

    # -- experiments ------------------------------------------------------------------------
    @abstractmethod
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create an experiment and return its id; raise AlreadyExistsError on a taken name."""

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return the experiment or raise ExperimentNotFound."""

    @abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this name (active or deleted), or None."""

    @abstractmethod
    def search_experiments(
        self,
        *,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Return one page of experiments (filter on ``name``/``tags.*``, order by attributes)."""

    @abstractmethod
    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""

    @abstractmethod
    def restore_experiment(self, experiment_id: str) -> None:
        """Undo :meth:`delete_experiment`."""

    @abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new unique name."""

    @abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set (or overwrite) an experiment tag."""

    @abstractmethod
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Delete an experiment tag; :class:`NotFoundError` if the experiment has no such tag."""

    # -- runs ----------------------------------------------------------------------------------
    @abstractmethod
    def create_run(
        self,
        *,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Mapping[str, str],
        run_name: str,
        run_id: str | None = None,
        status: RunStatus = RunStatus.RUNNING,
    ) -> Run:
        """Create a run in an active experiment and return it."""

    @abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Return the run with its latest metrics, params and tags, or raise RunNotFound."""

    @abstractmethod
    def update_run_info(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time or name and return the new info."""

    @abstractmethod
    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run (hidden from searches unless asked for)."""

    @abstractmethod
    def restore_run(self, run_id: str) -> None:
        """Undo :meth:`delete_run`."""

    @abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Atomically log metrics, params and tags to a run that is not deleted."""

    @abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run; raise NotFoundError if it has no such tag."""

    @abstractmethod
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every logged point of a metric, ordered by step then timestamp."""

    @abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Return one page of runs matching the filter language of ``store/search.py``."""

    @abstractmethod
    def list_deleted_run_ids(self, *, older_than_ms: int | None = None) -> list[str]:
        """Return the ids of soft-deleted runs (deleted before ``older_than_ms`` if given)."""

    @abstractmethod
    def purge_runs(self, run_ids: Sequence[str]) -> None:
        """Permanently remove soft-deleted runs and all their data (not their artifacts)."""

    # -- conveniences built on the core ---------------------------------------------------------
    def log_metric(self, run_id: str, metric: Metric) -> None:
        """Log one metric point."""
        self.log_batch(run_id, metrics=[metric])

    def log_param(self, run_id: str, param: Param) -> None:
        """Log one param."""
        self.log_batch(run_id, params=[param])

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        """Set one tag."""
        self.log_batch(run_id, tags=[tag])

    def log_metric_points(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        """Log many metric points given as ``(key, value, timestamp, step)`` tuples.

        Backends override this with a path that builds no entity per point.
        """
        self.log_batch(
            run_id,
            metrics=[Metric(key=k, value=v, timestamp=t, step=s) for k, v, t, s in points],
        )

    def get_metric_history_arrays(
        self, run_id: str, key: str, *, max_points: int | None = None
    ) -> MetricHistoryArrays:
        """Return a metric's history as numpy arrays, optionally reduced to ``max_points``.

        Without ``max_points`` the arrays hold every point, ordered by step then timestamp,
        exactly as :meth:`get_metric_history` returns them. With it, a longer series comes back
        as its min/max envelope over ``max_points // 2`` buckets (``store/downsample.py``): at
        most ``max_points`` points (plus up to two per bucket holding NaN or infinite values),
        always including the global min and max and the first and last steps. ``total_points``
        counts every stored point either way. An unknown metric gives empty arrays; an unknown
        run raises RunNotFound.

        The default builds on :meth:`get_metric_history` and reduces in numpy; SQL backends
        override it with a columnar read that reduces in the database. Every backend returns
        the same arrays for the same stored points.
        """
        from jupyter_mltrack.store.downsample import (
            check_max_points,
            downsample_history,
            history_from_metrics,
        )

        limit = check_max_points(max_points)
        history = history_from_metrics(self.get_metric_history(run_id, key))
        return history if limit is None else downsample_history(history, limit)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        """Return how many runs :meth:`search_runs` would return for these arguments.

        The default pages through :meth:`search_runs` (only the page sizes are kept); SQL
        backends override it with one ``SELECT COUNT(*)`` built by the same search compiler,
        and the REST store asks the server's count endpoint when it has one.
        """
        count, token = 0, None
        while True:
            page = self.search_runs(
                experiment_ids, filter_string, run_view_type, _COUNT_PAGE, None, token
            )
            count += len(page)
            token = page.token
            if not token:
                return count

    def search_runs_frame(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_LIMIT,
        order_by: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Return the matching runs as a DataFrame (columns as in ``store.frames``).

        The default pages through :meth:`search_runs`; SQL backends override it with a columnar
        query that builds no Run objects.
        """
        from jupyter_mltrack.store.frames import runs_to_frame

        runs: list[Run] = []
        token: str | None = None
        while len(runs) < max_results:
            page = self.search_runs(
                experiment_ids,
                filter_string,
                run_view_type,
                min(max_results - len(runs), 50_000),
                order_by,
                token,
            )
            runs.extend(page)
            token = page.token
            if not token:
                break
        return runs_to_frame(runs)

    def import_runs(self, runs: Sequence[Run]) -> list[str]:
        """Store whole runs at once: the bulk path for imports and large benchmark stores.

        Each run keeps its info (experiment, name, user, status, times; an empty
        ``artifact_uri`` gets the experiment's default) and its data: every metric becomes one
        point at step 0 and the run's start time, params and tags as given. The experiments must
        exist and be active. Returns the stored runs' ids in order: SQL stores keep the given
        (new, 32-character) ids and write all runs in one transaction; this default creates the
        runs one by one and lets the store choose ids (a tracking server assigns its own).
        """
        run_ids = []
        for run in runs:
            info, data = run.info, run.data
            run_id = self.create_run(
                experiment_id=info.experiment_id,
                user_id=info.user_id,
                start_time=info.start_time,
                tags=data.tags,
                run_name=info.run_name,
                status=info.status,
            ).info.run_id
            start = info.start_time
            metrics = [Metric(key=k, value=v, timestamp=start) for k, v in data.metrics.items()]
            params = [Param(key=k, value=v) for k, v in data.params.items()]
            self.log_batch(run_id, metrics=metrics, params=params)
            if info.end_time is not None:
                self.update_run_info(run_id, end_time=info.end_time)
            run_ids.append(run_id)
        return run_ids

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing to close
        """Release connections; the store must not be used afterwards."""
