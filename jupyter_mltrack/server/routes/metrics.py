"""Metric endpoints: ``runs/log-metric``, ``runs/log-batch`` and ``metrics/get-history``.

These are the hot paths (a training loop logs through them), so the request parsing below is a
tight loop over plain dicts that builds one ``(key, value, timestamp, step)`` tuple per point and
hands them to the store's metric fast path; no entity objects are built for metrics-only batches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from starlette.routing import Route

from jupyter_mltrack._validation import (
    MAX_BATCH_METRICS,
    validate_key,
    validate_param_value,
    validate_tag_value,
)
from jupyter_mltrack.entities import Metric, Param, RunTag
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.server._http import (
    API,
    INT64_MAX,
    INT64_MIN,
    blocking,
    get_float,
    get_int,
    get_list,
    get_page_token,
    get_str,
    json_body,
    ok,
    page_token_decode,
    page_token_encode,
    paged,
    query_params,
    run_id_of,
    to_float,
)
from jupyter_mltrack.server.openapi import (
    INT64,
    KEY,
    NONEMPTY,
    RUN_ID_FIELDS,
    STR,
    array,
    double,
    get,
    obj,
    post,
    run_message,
)
from jupyter_mltrack.server.openapi import ref as schema_ref
from jupyter_mltrack.server.routes.logged_model_messages import (
    model_metric,
    split_model_points,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from jupyter_mltrack.server.context import ServerContext
    from jupyter_mltrack.store.base import MetricPoint

__all__ = ["MAX_BATCH_PARAMS", "MAX_BATCH_TAGS", "OPENAPI", "routes"]

#: MLflow's log-batch limits: 1,000 metrics, 100 params and 100 tags per request.
MAX_BATCH_PARAMS = 100
MAX_BATCH_TAGS = 100


def routes(ctx: ServerContext) -> list[Route]:
    """Return the metric routes bound to ``ctx``."""
    store = ctx.store

    async def log_metric(request: Request) -> Response:
        msg = await json_body(request, ctx)
        run_id = run_id_of(msg)
        point = (
            validate_key("Metric", get_str(msg, "key")),
            get_float(msg, "value"),
            get_int(msg, "timestamp"),  # required, as in MLflow
            get_int(msg, "step", required=False, default=0),
        )
        if msg.get("model_id"):  # also recorded on the logged model (logged_model_messages.py)
            model_point = model_metric(msg, point, run_id)
            await blocking(ctx.logged_models.log_model_metrics, run_id, [model_point])
            return ok()
        await blocking(store.log_metric_points, run_id, [point])
        return ok()

    async def log_batch(request: Request) -> Response:
        msg = await json_body(request, ctx)
        run_id = run_id_of(msg)
        metrics_json: list[Any] = get_list(msg, "metrics")
        points, for_models = split_model_points(metrics_json, _points(metrics_json), run_id)
        params = [
            Param(key=k, value=validate_param_value(k, v))
            for k, v in _pairs(msg, "params", "Param", MAX_BATCH_PARAMS)
        ]
        tags = [
            RunTag(key=k, value=validate_tag_value(k, v))
            for k, v in _pairs(msg, "tags", "Tag", MAX_BATCH_TAGS)
        ]
        if for_models:  # points with a model_id: logged to the run and recorded on the model
            await blocking(ctx.logged_models.log_model_metrics, run_id, for_models)
        if params or tags:
            metrics = [Metric(key=k, value=v, timestamp=t, step=s) for k, v, t, s in points]
            await blocking(store.log_batch, run_id, metrics, params, tags)
        elif points:
            await blocking(store.log_metric_points, run_id, points)
        elif not for_models:  # an empty batch still names a run that must exist, as in MLflow
            await blocking(store.get_run, run_id)
        return ok()

    async def get_history(request: Request) -> Response:
        msg = query_params(request)
        run_id = run_id_of(msg)
        key = get_str(msg, "metric_key")
        max_results = get_int(msg, "max_results", required=False)
        offset = page_token_decode(get_page_token(msg))
        if max_results is not None and max_results < 1:
            raise InvalidParameterError(f"max_results must be positive, got {max_results}")
        history = await blocking(store.get_metric_history, run_id, key)
        token = None
        if max_results is not None or offset:
            end = len(history) if max_results is None else offset + max_results
            if end < len(history):
                token = page_token_encode(end)
            history = history[offset:end]
        return ok(paged("metrics", [m.to_dict() for m in history], token))

    return [
        Route(f"{API}/runs/log-metric", log_metric, methods=["POST"]),
        Route(f"{API}/runs/log-batch", log_batch, methods=["POST"]),
        Route(f"{API}/metrics/get-history", get_history, methods=["GET"]),
    ]


def _points(metrics: list[Any]) -> list[MetricPoint]:
    """Parse log-batch metrics into store points; the common, well-typed case costs little."""
    if len(metrics) > MAX_BATCH_METRICS:
        raise InvalidParameterError(
            f"A log-batch request may hold at most {MAX_BATCH_METRICS} metrics, got "
            f"{len(metrics)}; split it into several requests"
        )
    points: list[MetricPoint] = []
    append = points.append
    for index, metric in enumerate(metrics):
        if type(metric) is not dict:
            raise InvalidParameterError(
                f"Each entry of 'metrics' must be an object, got {metric!r}"
            )
        key = metric.get("key")
        if type(key) is not str:
            key = get_str(metric, "key") if key is not None else _missing_in(index, "key")
        validate_key("Metric", key)
        value = metric.get("value")
        if type(value) is not float:
            value = to_float("value", value) if value is not None else _missing_in(index, "value")
        timestamp = metric.get("timestamp")
        if type(timestamp) is not int or not INT64_MIN <= timestamp <= INT64_MAX:
            timestamp = get_int(metric, "timestamp", required=False)
            if timestamp is None:  # required, as in MLflow (its clients always send one)
                _missing_in(index, "timestamp")
        step = metric.get("step", 0)
        if type(step) is not int or not INT64_MIN <= step <= INT64_MAX:
            step = get_int(metric, "step", required=False, default=0)
        append((key, value, timestamp, step))
    return points


def _missing_in(index: int, field: str) -> NoReturn:
    """Refuse a log-batch metric without ``field``, naming it as MLflow does."""
    raise InvalidParameterError(
        f"Missing value for required parameter 'metrics[{index}].{field}'. "
        "See the API docs for more information about request parameters."
    )


def _pairs(msg: dict[str, Any], field: str, kind: str, limit: int) -> list[tuple[str, str]]:
    entries: list[Any] = get_list(msg, field)
    if len(entries) > limit:
        raise InvalidParameterError(
            f"A log-batch request may hold at most {limit} {field}, got {len(entries)}; "
            "split it into several requests"
        )
    out = []
    for index, entry in enumerate(entries):
        if type(entry) is not dict:
            raise InvalidParameterError(f"Each entry of {field!r} must be an object, got {entry!r}")
        raw_key = get_str(entry, "key", required=False)
        if not raw_key:
            raise InvalidParameterError(
                f"Missing value for required parameter '{field}[{index}].key'. "
                "See the API docs for more information about request parameters."
            )
        key = validate_key(kind, raw_key)
        out.append((key, get_str(entry, "value", required=False, default="")))
    return out


_TAG = "runs"
_RUN_ID = RUN_ID_FIELDS
_MODEL_FIELDS = {"model_id": STR, "dataset_name": STR, "dataset_digest": STR}
_POINT = obj(
    ("key", "value", "timestamp"),
    key=KEY,
    value=double(),
    timestamp=INT64,
    step=INT64,
    **_MODEL_FIELDS,
)
_KV = obj(("key",), key=KEY, value=STR)

OPENAPI: dict[str, dict[str, Any]] = {
    f"{API}/runs/log-metric": {
        "post": post(
            'Log one metric point (value may be "NaN", "Infinity" or "-Infinity")',
            _TAG,
            run_message(
                ("key", "value", "timestamp"),
                key=KEY,
                value=double(),
                timestamp=INT64,
                step=INT64,
                **_MODEL_FIELDS,
            ),
        )
    },
    f"{API}/runs/log-batch": {
        "post": post(
            "Log up to 1,000 metric points, 100 params and 100 tags atomically",
            _TAG,
            run_message(
                metrics=array(_POINT, maxItems=MAX_BATCH_METRICS),
                params=array(_KV, maxItems=MAX_BATCH_PARAMS),
                tags=array(_KV, maxItems=MAX_BATCH_TAGS),
            ),
        )
    },
    f"{API}/metrics/get-history": {
        "get": get(
            "Get every point of a metric, ordered by step then timestamp (paged on request)",
            "metrics",
            {
                **_RUN_ID,
                "metric_key": NONEMPTY,
                "max_results": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                "page_token": STR,
            },
            obj(metrics=array(schema_ref("Metric")), next_page_token=STR),
            required=("metric_key",),
        )
    },
}
