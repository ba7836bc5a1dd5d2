"""The part of :class:`~jupyter_mltrack.store.rest.store.RestStore` that uses mltrack's own
endpoints (``/api/2.0/mltrack/*``, served by ``server/routes/mltrack.py``).

``get_metric_history_arrays`` and ``count_runs`` ask the server to do the work (downsample in
its database, count with one ``SELECT COUNT(*)``). A real ``mlflow server`` has no such endpoint
and answers 404 without MLflow's ``RESOURCE_DOES_NOT_EXIST`` code; the store then remembers that
the endpoint is missing and uses the generic implementation of
:class:`~jupyter_mltrack.store.base.TrackingStore` (whole history over ``metrics/get-history``,
counting by paging ``runs/search``) from then on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.entities import ViewType
from jupyter_mltrack.errors import NotFoundError, RunNotFound, StoreError
from jupyter_mltrack.store.base import TrackingStore

if TYPE_CHECKING:
    import urllib3

    from jupyter_mltrack.entities.metric import MetricHistoryArrays
    from jupyter_mltrack.store.rest.http import HttpClient

__all__ = ["MLTRACK_API", "MltrackApiMixin"]

#: Where an mltrack server serves its own endpoints.
MLTRACK_API = "/api/2.0/mltrack/"


class MltrackApiMixin(TrackingStore):
    """Server-side downsampling and counting, with a fallback for servers without them."""

    http: HttpClient
    #: Endpoints (e.g. ``"runs/count"``) this store's server turned out not to serve.
    lacking_endpoints: set[str]

    def get_metric_history_arrays(
        self, run_id: str, key: str, *, max_points: int | None = None
    ) -> MetricHistoryArrays:
        """Fetch the arrays from ``metrics/get-history-arrays``, downsampled by the server.

        Falls back to the whole history over ``metrics/get-history`` (reduced here) when the
        server lacks the endpoint.
        """
        from jupyter_mltrack.store.downsample import check_max_points

        limit = check_max_points(max_points)
        message: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_points": limit}
        answer = self.mltrack_call(
            "GET",
            "metrics/get-history-arrays",
            message,
            not_found=lambda _text: RunNotFound.for_id(run_id),
        )
        if answer is None:
            return super().get_metric_history_arrays(run_id, key, max_points=limit)
        return _history_from_json(answer, self.http.base_url)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        """Ask ``runs/count``; page through ``runs/search`` when the server lacks it."""
        view = ViewType.parse(run_view_type)
        message: dict[str, Any] = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "run_view_type": view.value,
        }
        if filter_string:
            message["filter"] = filter_string
        answer = self.mltrack_call("POST", "runs/count", message)
        if answer is None:
            return super().count_runs(experiment_ids, filter_string, view)
        count = answer.get("count", 0)  # proto-JSON leaves a zero out
        if isinstance(count, bool) or not isinstance(count, int | str):
            raise StoreError(f"{self.http.base_url} answered runs/count with count={count!r}")
        return int(count)

    def mltrack_call(
        self,
        method: str,
        endpoint: str,
        message: Mapping[str, Any],
        *,
        not_found: Callable[[str], NotFoundError] | None = None,
    ) -> dict[str, Any] | None:
        """Call an mltrack endpoint; None when the server does not serve it (remembered).

        Raises:
            MltrackError: The server answered with an error, as :meth:`HttpClient.call` raises
                it; a ``RESOURCE_DOES_NOT_EXIST`` error becomes ``not_found(message)``.
        """
        if endpoint in self.lacking_endpoints:
            return None
        path = MLTRACK_API + endpoint
        response = self.http.send(method, path, message)
        if _lacks_endpoint(response):
            self.lacking_endpoints.add(endpoint)
            return None
        try:
            return self.http.decode(response, method, path)
        except NotFoundError as exc:
            if not_found is None or type(exc) is not NotFoundError:
                raise
            raise not_found(exc.message) from None


def _lacks_endpoint(response: urllib3.BaseHTTPResponse) -> bool:
    """A 404/405 that is not about a missing resource: the server has no such endpoint.

    mltrack answers ``ENDPOINT_NOT_FOUND`` for unknown paths; MLflow's server an HTML page.
    """
    if response.status not in (404, 405):
        return False
    try:
        payload = json.loads(response.data or b"null")
    except ValueError:
        return True
    return not (
        isinstance(payload, dict) and payload.get("error_code") == "RESOURCE_DOES_NOT_EXIST"
    )


def _history_from_json(answer: Mapping[str, Any], where: str) -> MetricHistoryArrays:
    """Arrays from a ``metrics/get-history-arrays`` answer (values may be "NaN" etc.)."""
    import numpy as np

    from jupyter_mltrack.entities.metric import MetricHistoryArrays

    try:
        steps = np.array(answer.get("steps") or [], dtype=np.int64)
        stamps = np.array(answer.get("timestamps") or [], dtype=np.int64)
        # numpy reads the strings "NaN", "Infinity" and "-Infinity" as float() does.
        values = np.array(answer.get("values") or [], dtype=np.float64)
        total = int(answer.get("total_points") or 0)
    except (TypeError, ValueError, OverflowError) as exc:
        raise StoreError(f"{where} sent a malformed metric history: {exc}") from None
    if not len(steps) == len(stamps) == len(values):
        raise StoreError(
            f"{where} sent a metric history with {len(steps)} steps, {len(stamps)} timestamps "
            f"and {len(values)} values; they must be parallel lists"
        )
    return MetricHistoryArrays(steps, stamps, values, max(total, len(values)))
