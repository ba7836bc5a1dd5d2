"""``metrics/get-history-bulk-interval``: one metric of up to 100 runs, sampled, as MLflow has it.

MLflow's UI and clients draw charts of many runs with it: each run's history of ``metric_key``
(optionally only steps ``start_step``..``end_step``) is cut into ``max_results`` (default and
at most 2,500) equal buckets of points ordered by step, timestamp and value; the first point of
each bucket is kept, and the run's last point always is (it replaces the last sample when the
sample is full). That is what MLflow's SQL store does with ``NTILE``; :func:`sample_history`
does the same in Python on the run's history, so the answers are the same point for point.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from jupyter_mltrack.errors import InvalidParameterError, RunNotFound
from jupyter_mltrack.server._http import (
    API,
    blocking,
    get_int,
    get_list,
    get_str,
    ok,
    query_params,
)
from jupyter_mltrack.server.openapi import INT64, NONEMPTY, STR, array, get, obj
from jupyter_mltrack.server.openapi import ref as schema_ref

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.requests import Request
    from starlette.responses import Response

    from jupyter_mltrack.entities import Metric
    from jupyter_mltrack.server.context import ServerContext

__all__ = ["MAX_RESULTS_PER_RUN", "MAX_RUNS", "OPENAPI", "OPENAPI_SCHEMAS", "routes"]

#: MLflow's limits: at most 100 runs per request and 2,500 points per run (also the default).
MAX_RUNS = 100
MAX_RESULTS_PER_RUN = 2500
_PATH = f"{API}/metrics/get-history-bulk-interval"
#: MLflow ends the messages of its request-schema checks (not of its later ones) with this.
_SEE_DOCS = " See the API docs for more information about request parameters."


def routes(ctx: ServerContext) -> list[Route]:
    """Return the bulk-interval route bound to ``ctx``."""
    store = ctx.store

    async def get_history_bulk_interval(request: Request) -> Response:
        run_ids, key, max_results, steps = parse_request(query_params(request))
        metrics: list[dict[str, Any]] = []
        for run_id in run_ids:
            try:
                history = await blocking(store.get_metric_history, run_id, key)
            except RunNotFound:  # MLflow answers with the other runs' points, without an error
                continue
            for metric in sample_history(history, max_results, steps):
                metrics.append({**metric.to_dict(), "run_id": run_id})
        return ok({"metrics": metrics} if metrics else None)

    return [Route(_PATH, get_history_bulk_interval, methods=["GET"])]


def parse_request(msg: dict[str, Any]) -> tuple[list[str], str, int, tuple[int, int] | None]:
    """Check a request as MLflow does, in its order: run ids, key, steps, max_results.

    A run named twice is answered twice, and unknown or deleted runs are no error, as in MLflow.
    """
    run_ids: list[str] = get_list(msg, "run_ids", required=True, item=str)
    if len(run_ids) > MAX_RUNS:
        raise InvalidParameterError(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_RUNS} run_ids. "
            f"Received {len(run_ids)} run_ids.{_SEE_DOCS}"
        )
    key = get_str(msg, "metric_key")
    start = get_int(msg, "start_step", required=False)
    end = get_int(msg, "end_step", required=False)
    max_results = get_int(msg, "max_results", required=False, default=MAX_RESULTS_PER_RUN)
    if not 1 <= max_results <= MAX_RESULTS_PER_RUN:
        raise InvalidParameterError(
            f"max_results must be between 1 and {MAX_RESULTS_PER_RUN}.{_SEE_DOCS}"
        )
    if start is not None and end is not None:
        if start > end:
            raise InvalidParameterError(
                "end_step must be greater than start_step. "
                f"Found start_step={start} and end_step={end}."
            )
        return run_ids, key, max_results, (start, end)
    if start is not None or end is not None:
        raise InvalidParameterError(
            "If either start step or end step are specified, both must be specified."
        )
    return run_ids, key, max_results, None


def _order(metric: Metric) -> tuple[int, int, float, bool]:
    """MLflow's point order: step, timestamp, value (NaN stored as 0 and flagged last)."""
    nan = math.isnan(metric.value)
    return metric.step, metric.timestamp, 0.0 if nan else metric.value, nan


def sample_history(
    history: Sequence[Metric], max_results: int, steps: tuple[int, int] | None
) -> list[Metric]:
    """Return at most ``max_results`` points of a run's history, as MLflow samples them."""
    points = sorted(
        (m for m in history if steps is None or steps[0] <= m.step <= steps[1]), key=_order
    )
    total = len(points)
    if total <= max_results:
        return points
    # NTILE(max_results): the first total % max_results buckets hold one point more.
    size, bigger = divmod(total, max_results)
    sample = [points[b * size + min(b, bigger)] for b in range(max_results)]
    sample[-1] = points[-1]  # the last point stays: the chart ends where the run did
    return sample


_POINT = obj(
    ("key", "value", "timestamp", "step", "run_id"),
    key=STR,
    value={"oneOf": [{"type": "number"}, {"type": "string"}]},
    timestamp=INT64,
    step=INT64,
    run_id=STR,
)
OPENAPI_SCHEMAS: dict[str, dict[str, Any]] = {"MetricWithRunId": _POINT}
OPENAPI: dict[str, dict[str, Any]] = {
    _PATH: {
        "get": get(
            "Get one metric of up to 100 runs, each sampled to at most max_results points "
            "(first point of each of max_results equal buckets, and the last point)",
            "metrics",
            {
                "run_ids": {"type": "array", "items": STR, "minItems": 1, "maxItems": MAX_RUNS},
                "metric_key": NONEMPTY,
                "start_step": INT64,
                "end_step": INT64,
                "max_results": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS_PER_RUN},
            },
            obj(metrics=array(schema_ref("MetricWithRunId"))),
            required=("run_ids", "metric_key"),
        )
    },
}
