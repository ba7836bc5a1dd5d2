"""mltrack's own endpoints, beside MLflow's API: ``/api/2.0/mltrack/*``.

They answer questions MLflow's REST API can only answer by shipping everything to the client:

- ``GET metrics/get-history-arrays``: a metric's history as three parallel lists (steps,
  timestamps, values), downsampled in the database to ``max_points`` when asked, with the count
  of every stored point. A 100,000-point series plotted at 8,000 points costs one small answer
  instead of 100,000 JSON objects.
- ``POST runs/count``: how many runs a search would return, as one ``SELECT COUNT(*)``.

An MLflow server answers 404 here; :class:`~jupyter_mltrack.store.rest.store.RestStore` then
falls back to the MLflow endpoints. Values follow the protocol's conventions: non-finite floats
are the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from jupyter_mltrack.entities import ViewType
from jupyter_mltrack.server._http import (
    blocking,
    get_int,
    get_str,
    json_body,
    ok,
    query_params,
    run_id_of,
)
from jupyter_mltrack.server.openapi import (
    INT64,
    NONEMPTY,
    NONNEG_INT64,
    RUN_ID_FIELDS,
    STR,
    array,
    double,
    get,
    obj,
    post,
)
from jupyter_mltrack.server.routes.runs import _experiment_ids

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from jupyter_mltrack.entities.metric import MetricHistoryArrays
    from jupyter_mltrack.server.context import ServerContext

__all__ = ["MLTRACK_API", "OPENAPI", "history_arrays_to_json", "routes"]

#: The path prefix of mltrack's extension endpoints (the role rule in ``server/auth/roles.py``
#: knows it too).
MLTRACK_API = "/api/2.0/mltrack"


def history_arrays_to_json(key: str, history: MetricHistoryArrays) -> dict[str, Any]:
    """The answer of ``metrics/get-history-arrays``: parallel lists, non-finite values as text."""
    import numpy as np

    values: list[Any] = history.values.tolist()
    finite = np.isfinite(history.values)
    if not finite.all():  # rare: patch only the few non-finite entries
        for index in np.flatnonzero(~finite).tolist():
            value = values[index]
            values[index] = "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    return {
        "metric_key": key,
        "steps": history.steps.tolist(),
        "timestamps": history.timestamps.tolist(),
        "values": values,
        "total_points": history.total_points,
    }


def routes(ctx: ServerContext) -> list[Route]:
    """Return the extension routes bound to ``ctx``."""
    store = ctx.store

    async def get_history_arrays(request: Request) -> Response:
        from jupyter_mltrack.store.downsample import check_max_points

        msg = query_params(request)
        run_id = run_id_of(msg)
        key = get_str(msg, "metric_key")
        max_points = check_max_points(get_int(msg, "max_points", required=False))
        history = await blocking(
            store.get_metric_history_arrays, run_id, key, max_points=max_points
        )
        return ok(history_arrays_to_json(key, history))

    async def count_runs(request: Request) -> Response:
        msg = await json_body(request, ctx)
        count = await blocking(
            store.count_runs,
            _experiment_ids(msg),
            get_str(msg, "filter", required=False, default=""),
            ViewType.parse(get_str(msg, "run_view_type", required=False) or "ACTIVE_ONLY"),
        )
        return ok({"count": count})

    return [
        Route(f"{MLTRACK_API}/metrics/get-history-arrays", get_history_arrays, methods=["GET"]),
        Route(f"{MLTRACK_API}/runs/count", count_runs, methods=["POST"]),
    ]


_TAG = "mltrack"

OPENAPI: dict[str, dict[str, Any]] = {
    f"{MLTRACK_API}/metrics/get-history-arrays": {
        "get": get(
            "Get a metric's history as parallel lists, downsampled to max_points (mltrack only)",
            _TAG,
            {
                **RUN_ID_FIELDS,
                "metric_key": NONEMPTY,
                "max_points": {"type": "integer", "minimum": 2, "maximum": 2**63 - 1},
            },
            obj(
                ("metric_key", "steps", "timestamps", "values", "total_points"),
                metric_key=STR,
                steps=array(INT64),
                timestamps=array(INT64),
                values=array(double()),
                total_points=NONNEG_INT64,
            ),
            required=("metric_key",),
        )
    },
    f"{MLTRACK_API}/runs/count": {
        "post": post(
            "Count the runs a runs/search with this filter would return (mltrack only)",
            _TAG,
            obj(
                experiment_ids=array(STR),
                filter=STR,
                run_view_type={"type": "string", "enum": ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]},
            ),
            obj(("count",), count=NONNEG_INT64),
        )
    },
}
