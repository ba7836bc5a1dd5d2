"""RestStore: the tracking store of a tracking server, spoken to over MLflow's REST API 2.0.

Works against ``mltrack server`` and against a real ``mlflow server``: every call is one of the
endpoints of the protocol document; mltrack-only details (registry history, a model version's
signature) use extension fields that an MLflow server ignores. Registry and logged-model calls
live in the mixins of ``registry.py`` and ``logged_models.py``; downsampled histories and run
counts use mltrack's own endpoints when the server has them (``mltrack_api.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jupyter_mltrack.store.rest.codec as codec
from jupyter_mltrack._validation import validate_name
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
    float_to_json,
)
from jupyter_mltrack.errors import (
    ExperimentNotFound,
    InvalidStateError,
    NotFoundError,
    RunNotFound,
    StoreError,
)
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_DEFAULT, MetricPoint, TrackingStore
from jupyter_mltrack.store.registry_base import RegistryStore
from jupyter_mltrack.store.rest.http import (
    HttpClient,
    forget_client,
    remember_server,
    shared_client,
)
from jupyter_mltrack.store.rest.logged_models import LoggedModelsMixin
from jupyter_mltrack.store.rest.mltrack_api import MltrackApiMixin
from jupyter_mltrack.store.rest.offline_log import OfflineLog, offline_log_for, offline_run_info
from jupyter_mltrack.store.rest.registry import RegistryMixin

__all__ = ["MAX_METRICS_PER_BATCH", "MAX_PARAMS_PER_BATCH", "MAX_TAGS_PER_BATCH", "RestStore"]


# MLflow's log-batch limits (a real mlflow server refuses bigger batches).
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000


class RestStore(MltrackApiMixin, LoggedModelsMixin, RegistryMixin, TrackingStore, RegistryStore):
    """Experiments, runs, the model registry and logged models of a tracking server.

    Args:
        uri: ``http://host:port`` or ``https://host:port[/prefix]`` of an ``mltrack server``
            or ``mlflow server``.
        http: The HTTP client to use (e.g. with other retry settings); by default the
            process-wide client of ``uri``, shared with the artifact repositories.

    Example:
        >>> store = RestStore("http://127.0.0.1:5000")  # doctest: +SKIP
        >>> store.get_experiment("0").name  # doctest: +SKIP
        'Default'
    """

    def __init__(self, uri: str, *, http: HttpClient | None = None) -> None:
        self.http: HttpClient = http if http is not None else shared_client(uri)
        self.uri = self.http.base_url
        self.lacking_endpoints: set[str] = set()  # mltrack endpoints an MLflow server lacks
        # Writes into runs go to the offline journal while the server is unreachable.
        self.offline: OfflineLog | None = offline_log_for(uri, self.http)
        self._infos: dict[str, RunInfo] = {}  # last known info per run, for offline updates
        remember_server(uri)

    def __repr__(self) -> str:
        return f"RestStore({self.uri!r})"

    def close(self) -> None:
        """Close the server's pooled connections; the next store for it starts a new client."""
        forget_client(self.http)

    def call(
        self,
        method: str,
        endpoint: str,
        message: Mapping[str, Any] | None = None,
        *,
        not_found: Callable[[str], NotFoundError] | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Call an MLflow endpoint; a RESOURCE_DOES_NOT_EXIST error becomes ``not_found(msg)``."""
        try:
            return self.http.call(method, endpoint, message, request_id=request_id)
        except NotFoundError as exc:
            if not_found is None or type(exc) is not NotFoundError:
                raise
            raise not_found(exc.message) from None

    def run_write(
        self, run_id: str, endpoint: str, message: dict[str, Any]
    ) -> dict[str, Any] | None:
        """POST a write into a run; None when it went to the offline journal instead."""
        not_found = _run_not_found(run_id)

        def send(request_id: str | None = None) -> dict[str, Any]:
            return self.call("POST", endpoint, message, not_found=not_found, request_id=request_id)

        return (
            send() if self.offline is None else self.offline.write(run_id, endpoint, message, send)
        )

    def _known(self, info: RunInfo) -> RunInfo:
        if len(self._infos) > 10_000:  # a bound, not a cache policy: only offline ends use it
            self._infos.clear()
        self._infos[info.run_id] = info
        return info

    # -- experiments ------------------------------------------------------------------------
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        message: dict[str, Any] = {"name": validate_name("Experiment", name)}
        if artifact_location:
            message["artifact_location"] = artifact_location
        if tags:
            message["tags"] = codec.pairs_to_json(tags)
        return str(self.call("POST", "experiments/create", message)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        answer = self.call(
            "GET",
            "experiments/get",
            {"experiment_id": experiment_id},
            not_found=_experiment_not_found(experiment_id),
        )
        return codec.experiment_from_json(answer["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            answer = self.call("GET", "experiments/get-by-name", {"experiment_name": name})
        except NotFoundError:
            return None
        return codec.experiment_from_json(answer["experiment"])

    def search_experiments(
        self,
        *,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        message: dict[str, Any] = {
            "max_results": max_results,
            "view_type": ViewType.parse(view_type).value,
        }
        _put(message, filter=filter_string, order_by=list(order_by or ()), page_token=page_token)
        answer = self.call("POST", "experiments/search", message)
        experiments = [codec.experiment_from_json(e) for e in answer.get("experiments") or ()]
        return PagedList(experiments, answer.get("next_page_token") or None)

    def delete_experiment(self, experiment_id: str) -> None:
        self._experiment_call("experiments/delete", experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self._experiment_call("experiments/restore", experiment_id)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        new_name = validate_name("Experiment", new_name)
        self._experiment_call("experiments/update", experiment_id, new_name=new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self._experiment_call("experiments/set-experiment-tag", experiment_id, key=key, value=value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self.call(
            "POST",
            "experiments/delete-experiment-tag",
            {"experiment_id": experiment_id, "key": key},
        )

    def _experiment_call(self, endpoint: str, experiment_id: str, **fields: Any) -> None:
        message = {"experiment_id": experiment_id, **fields}
        self.call("POST", endpoint, message, not_found=_experiment_not_found(experiment_id))

    # -- runs ----------------------------------------------------------------------------------
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
        message: dict[str, Any] = {
            "experiment_id": experiment_id,
            "user_id": user_id,
            "start_time": start_time,
            "tags": codec.pairs_to_json(codec.with_mlflow_mirrors(tags)),
        }
        _put(message, run_name=run_name, run_id=run_id)
        answer = self.call(
            "POST", "runs/create", message, not_found=_experiment_not_found(experiment_id)
        )
        run = codec.run_from_json(answer["run"])
        self._known(run.info)
        if run_id is not None and run.info.run_id != run_id:
            raise StoreError(
                f"The server at {self.uri} does not let clients choose run ids (asked for "
                f"{run_id!r}, got {run.info.run_id!r}); create the run without a run_id"
            )
        if RunStatus.parse(status) is not run.info.status:
            self.update_run_info(run.info.run_id, status=RunStatus.parse(status))
            return self.get_run(run.info.run_id)
        return run

    def get_run(self, run_id: str) -> Run:
        answer = self.call(
            "GET", "runs/get", _run_message(run_id), not_found=_run_not_found(run_id)
        )
        run = codec.run_from_json(answer["run"])
        self._known(run.info)
        return run

    def update_run_info(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        message = _run_message(run_id)
        _put(
            message,
            status=None if status is None else RunStatus.parse(status).value,
            end_time=end_time,
            run_name=run_name,
        )
        answer = self.run_write(run_id, "runs/update", message)
        if answer is None:  # journaled: the server applies it later; answer what it will hold
            return offline_run_info(self._infos.get(run_id), run_id, status, end_time, run_name)
        info = answer.get("run_info")
        if not info:  # an MLflow server answering an empty update may omit it
            return self.get_run(run_id).info
        return self._known(codec.run_info_from_json(info))

    def delete_run(self, run_id: str) -> None:
        self.call("POST", "runs/delete", {"run_id": run_id}, not_found=_run_not_found(run_id))

    def restore_run(self, run_id: str) -> None:
        self.call("POST", "runs/restore", {"run_id": run_id}, not_found=_run_not_found(run_id))

    def delete_tag(self, run_id: str, key: str) -> None:
        self.call("POST", "runs/delete-tag", {"run_id": run_id, "key": key})
        mirror = codec.MLFLOW_MIRRORS.get(key)
        if mirror is not None:
            with contextlib.suppress(NotFoundError):  # written by an older client, or not at all
                self.call("POST", "runs/delete-tag", {"run_id": run_id, "key": mirror})

    # -- logging -----------------------------------------------------------------------------
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Log in requests of at most 1,000 metrics, 100 params and 100 tags (MLflow's limits).

        Each request is atomic on the server; a batch that needs several requests is not.
        """
        metric_rows = [codec.metric_to_json(m) for m in metrics]
        param_rows = [codec.param_to_json(p) for p in params]
        tag_rows = codec.pairs_to_json(codec.with_mlflow_mirrors({t.key: t.value for t in tags}))
        self._log_rows(run_id, metric_rows, param_rows, tag_rows)

    def log_metric_points(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        rows = [
            {"key": k, "value": float_to_json(v), "timestamp": t, "step": s}
            for k, v, t, s in points
        ]
        self._log_rows(run_id, rows, [], [])

    def _log_rows(
        self,
        run_id: str,
        metrics: list[dict[str, Any]],
        params: list[dict[str, Any]],
        tags: list[dict[str, Any]],
    ) -> None:
        m = p = t = 0
        while True:  # at least one request, so an empty batch still checks the run
            batch_params = params[p : p + MAX_PARAMS_PER_BATCH]
            batch_tags = tags[t : t + MAX_TAGS_PER_BATCH]
            room = MAX_ENTITIES_PER_BATCH - len(batch_params) - len(batch_tags)
            batch_metrics = metrics[m : m + min(MAX_METRICS_PER_BATCH, room)]
            message: dict[str, Any] = {"run_id": run_id}
            _put(message, metrics=batch_metrics, params=batch_params, tags=batch_tags)
            self.run_write(run_id, "runs/log-batch", message)
            m, p, t = m + len(batch_metrics), p + len(batch_params), t + len(batch_tags)
            if m >= len(metrics) and p >= len(params) and t >= len(tags):
                return

    def log_metric(self, run_id: str, metric: Metric) -> None:
        message = {**_run_message(run_id), **codec.metric_to_json(metric)}
        self.run_write(run_id, "runs/log-metric", message)

    def log_param(self, run_id: str, param: Param) -> None:
        message = {**_run_message(run_id), "key": param.key, "value": param.value}
        self.run_write(run_id, "runs/log-parameter", message)

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        if tag.key in codec.MLFLOW_MIRRORS:  # the tag and its MLflow twin, in one request
            self.log_batch(run_id, tags=[tag])
            return
        message = {**_run_message(run_id), "key": tag.key, "value": tag.value}
        self.run_write(run_id, "runs/set-tag", message)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        # No max_results: both servers then answer the whole history at once; a server that
        # pages anyway gets its next_page_token followed.
        message: dict[str, Any] = {**_run_message(run_id), "metric_key": key}
        history: list[Metric] = []
        while True:
            answer = self.call(
                "GET", "metrics/get-history", message, not_found=_run_not_found(run_id)
            )
            history.extend(codec.history_from_json(answer.get("metrics") or (), key, run_id))
            token = answer.get("next_page_token")
            if not token:
                return history
            message["page_token"] = token

    # -- search ------------------------------------------------------------------------------
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        message: dict[str, Any] = {
            "experiment_ids": list(experiment_ids),
            "run_view_type": ViewType.parse(run_view_type).value,
            "max_results": max_results,
        }
        _put(message, filter=filter_string, order_by=list(order_by or ()), page_token=page_token)
        answer = self.call("POST", "runs/search", message)
        runs = [codec.run_from_json(r) for r in answer.get("runs") or ()]
        return PagedList(runs, answer.get("next_page_token") or None)

    # -- maintenance ---------------------------------------------------------------------------
    def list_deleted_run_ids(self, *, older_than_ms: int | None = None) -> list[str]:
        raise self._server_side_only("Listing deleted runs for purging")

    def purge_runs(self, run_ids: Sequence[str]) -> None:
        raise self._server_side_only("Purging deleted runs")

    def _server_side_only(self, what: str) -> InvalidStateError:
        return InvalidStateError(
            f"{what} is not available over HTTP ({self.uri}): the REST API has no endpoint for "
            "it. Run 'mltrack gc' on the server host with the server's database as the "
            "tracking URI, e.g. MLTRACK_TRACKING_URI=postgresql://... mltrack gc"
        )


def _run_message(run_id: str) -> dict[str, Any]:
    # Both names, as the MLflow client sends them: older servers read run_uuid only.
    return {"run_id": run_id, "run_uuid": run_id}


def _put(message: dict[str, Any], **fields: Any) -> None:
    """Add the fields that are set (not None, not empty), as proto-JSON leaves defaults out."""
    for key, value in fields.items():
        if value is not None and value != "" and value != []:
            message[key] = value


def _run_not_found(run_id: str) -> Callable[[str], NotFoundError]:
    # The server speaks MLflow's words; our users get the same message as from a local store.
    return lambda _message: RunNotFound.for_id(run_id)


def _experiment_not_found(experiment_id: str) -> Callable[[str], NotFoundError]:
    return lambda _message: ExperimentNotFound(
        f"Experiment with id {experiment_id!r} not found", experiment_id=experiment_id
    )
