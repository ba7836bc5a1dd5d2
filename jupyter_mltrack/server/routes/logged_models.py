"""MLflow 3 logged-model endpoints, plus the run endpoints that link runs to models and datasets.

``/api/2.0/mlflow/logged-models`` (create), ``/logged-models/{model_id}`` (GET, PATCH =
finalize), ``/logged-models/search``, ``/logged-models/{model_id}/tags`` (PATCH) and
``/logged-models/{model_id}/tags/{tag_key}`` (DELETE), as MLflow's server serves them;
``/runs/outputs`` and ``/runs/log-inputs``. Metric points logged with a ``model_id`` through
``runs/log-metric`` and ``runs/log-batch`` are split off in ``logged_model_messages.py``.
A model's files are uploaded by the client through the artifact proxy to its ``artifact_uri``
(``mlflow-artifacts:/<experiment>/models/<model_id>/artifacts`` for server experiments).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.routing import Route

from jupyter_mltrack.entities import LoggedModelStatus
from jupyter_mltrack.server._http import (
    API,
    blocking,
    get_int,
    get_list,
    get_str,
    get_tags,
    json_body,
    ok,
    paged,
    run_id_of,
)
from jupyter_mltrack.server.openapi import (
    INT64,
    KEY,
    NONEMPTY,
    STR,
    array,
    double,
    get,
    obj,
    post,
    ref,
)
from jupyter_mltrack.server.routes.logged_model_messages import (
    dataset_filters,
    datasets_of,
    model_ids_of,
    order_by_clauses,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from jupyter_mltrack.server.context import ServerContext

__all__ = ["OPENAPI", "OPENAPI_SCHEMAS", "routes"]

_LM = f"{API}/logged-models"
_SEARCH_DEFAULT = 100


def _model_id(request: Request) -> str:
    """The ``{model_id}`` of the path; ``search`` there is the search route, used wrongly.

    Starlette matches ``PATCH``/``GET /logged-models/search`` to ``/logged-models/{model_id}``
    (a full match beats the method mismatch of ``POST /logged-models/search``), which would
    answer "invalid status" or "model not found"; a 405 naming POST says what was wrong.
    The HTTPException goes through the app's handler, which answers 405s as JSON.
    """
    model_id: str = request.path_params["model_id"]
    if model_id == "search":
        raise HTTPException(405, headers={"Allow": "POST"})
    return model_id


def routes(ctx: ServerContext) -> list[Route]:
    """Return the logged-model and run-link routes bound to ``ctx``."""

    async def create(request: Request) -> Response:
        msg = await json_body(request, ctx)
        model = await blocking(
            lambda: ctx.logged_models.create_logged_model(
                get_str(msg, "experiment_id"),
                name=get_str(msg, "name", required=False),
                source_run_id=get_str(msg, "source_run_id", required=False),
                tags=get_tags(msg),
                params=get_tags(msg, "params"),
                model_type=get_str(msg, "model_type", required=False, default=""),
            )
        )
        return ok({"model": model.to_dict()})

    async def get_model(request: Request) -> Response:
        model = await blocking(ctx.logged_models.get_logged_model, _model_id(request))
        return ok({"model": model.to_dict()})

    async def finalize(request: Request) -> Response:
        model_id = _model_id(request)  # before the body, whose errors would hide the 405
        msg = await json_body(request, ctx)
        status = LoggedModelStatus.parse(get_str(msg, "status"))
        model = await blocking(ctx.logged_models.finalize_logged_model, model_id, status)
        return ok({"model": model.to_dict()})

    async def search(request: Request) -> Response:
        msg = await json_body(request, ctx)
        page = await blocking(
            lambda: ctx.logged_models.search_logged_models(
                get_list(msg, "experiment_ids", required=True, item=str),
                filter_string=get_str(msg, "filter", required=False),
                datasets=dataset_filters(msg),
                order_by=order_by_clauses(get_list(msg, "order_by")),
                max_results=get_int(msg, "max_results", required=False, default=_SEARCH_DEFAULT),
                page_token=get_str(msg, "page_token", required=False),
            )
        )
        return ok(paged("models", [m.to_dict() for m in page], page.token))

    async def set_tags(request: Request) -> Response:
        msg = await json_body(request, ctx)
        await blocking(
            ctx.logged_models.set_logged_model_tags, request.path_params["model_id"], get_tags(msg)
        )
        return ok()

    async def delete_tag(request: Request) -> Response:
        params = request.path_params
        await blocking(
            ctx.logged_models.delete_logged_model_tag, params["model_id"], params["tag_key"]
        )
        return ok()

    async def log_params(request: Request) -> Response:
        msg = await json_body(request, ctx)
        params = get_tags(msg, "params")
        await blocking(ctx.logged_models.log_logged_model_params, _model_id(request), params)
        return ok()

    async def delete_model(request: Request) -> Response:
        await blocking(ctx.logged_models.delete_logged_model, _model_id(request))
        return ok()

    async def log_outputs(request: Request) -> Response:
        msg = await json_body(request, ctx)
        await blocking(ctx.logged_models.log_outputs, run_id_of(msg), model_ids_of(msg, "models"))
        return ok()

    async def log_inputs(request: Request) -> Response:
        msg = await json_body(request, ctx)
        models = [model_id for model_id, _ in model_ids_of(msg, "models")]
        await blocking(ctx.logged_models.log_inputs, run_id_of(msg), datasets_of(msg), models)
        return ok()

    return [
        Route(_LM, create, methods=["POST"]),
        Route(f"{_LM}/search", search, methods=["POST"]),
        Route(f"{_LM}/{{model_id}}", get_model, methods=["GET"]),
        Route(f"{_LM}/{{model_id}}", finalize, methods=["PATCH"]),
        Route(f"{_LM}/{{model_id}}", delete_model, methods=["DELETE"]),
        Route(f"{_LM}/{{model_id}}/params", log_params, methods=["POST"]),
        Route(f"{_LM}/{{model_id}}/tags", set_tags, methods=["PATCH"]),
        Route(f"{_LM}/{{model_id}}/tags/{{tag_key:path}}", delete_tag, methods=["DELETE"]),
        Route(f"{API}/runs/outputs", log_outputs, methods=["POST"]),
        Route(f"{API}/runs/log-inputs", log_inputs, methods=["POST"]),
    ]


# -- OpenAPI -----------------------------------------------------------------------------------
_TAG = "logged-models"
_KV = array(obj(("key",), key=KEY, value=STR))
_MODEL = obj(("model",), model=ref("LoggedModel"))
_STATUS = {"type": "string", "enum": [s.value for s in LoggedModelStatus]}
_MODEL_ID = {
    "name": "model_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^m-[0-9a-f]{32}$"},
}
_RUN_ID = {"run_id": NONEMPTY, "run_uuid": NONEMPTY}


def _with_path(operation: dict[str, Any], *extra: dict[str, Any]) -> dict[str, Any]:
    operation["parameters"] = [_MODEL_ID, *extra, *operation.get("parameters", [])]
    return operation


OPENAPI_SCHEMAS: dict[str, dict[str, Any]] = {
    "LoggedModel": obj(
        ("info", "data"),
        info=obj(
            ("model_id", "experiment_id", "name", "artifact_uri", "status"),
            model_id=STR,
            experiment_id=STR,
            name=STR,
            creation_timestamp_ms=INT64,
            last_updated_timestamp_ms=INT64,
            artifact_uri=STR,
            status=_STATUS,
            model_type=STR,
            source_run_id=STR,
            tags=array(ref("KeyValue")),
        ),
        data=obj(params=array(ref("KeyValue")), metrics=array(ref("LoggedModelMetric"))),
    ),
    "LoggedModelMetric": obj(
        ("key", "value", "timestamp", "step", "model_id"),
        key=STR,
        value=double(),
        timestamp=INT64,
        step=INT64,
        model_id=STR,
        run_id=STR,
        dataset_name=STR,
        dataset_digest=STR,
    ),
}

OPENAPI: dict[str, dict[str, Any]] = {
    _LM: {
        "post": post(
            "Create a logged model (PENDING) with its artifact location",
            _TAG,
            obj(
                ("experiment_id",),
                experiment_id=NONEMPTY,
                name={"type": "string", "minLength": 1, "maxLength": 500},
                model_type=STR,
                source_run_id=STR,
                params=_KV,
                tags=_KV,
            ),
            _MODEL,
        )
    },
    f"{_LM}/search": {
        "post": post(
            "Search the logged models of experiments (filter like name = 'model'; paged)",
            _TAG,
            obj(
                ("experiment_ids",),
                experiment_ids=array(STR, minItems=1),
                filter=STR,
                datasets=array(obj(("dataset_name",), dataset_name=NONEMPTY, dataset_digest=STR)),
                max_results={"type": "integer", "minimum": 1, "maximum": 100_000_000},
                order_by=array(
                    obj(
                        ("field_name",),
                        field_name=NONEMPTY,
                        ascending={"type": "boolean"},
                        dataset_name=STR,
                        dataset_digest=STR,
                    )
                ),
                page_token=STR,
            ),
            obj(models=array(ref("LoggedModel")), next_page_token=STR),
        )
    },
    f"{_LM}/{{model_id}}": {
        "get": _with_path(get("Get a logged model", _TAG, {}, _MODEL)),
        "patch": _with_path(
            post(
                "Finalize a logged model: set its status (READY after the upload)",
                _TAG,
                obj(("status",), model_id=STR, status=_STATUS),
                _MODEL,
            )
        ),
        "delete": _with_path(get("Delete a logged model (its artifacts stay)", _TAG, {})),
    },
    f"{_LM}/{{model_id}}/params": {
        "post": _with_path(
            post("Add params to a logged model", _TAG, obj(("params",), model_id=STR, params=_KV))
        )
    },
    f"{_LM}/{{model_id}}/tags": {
        "patch": _with_path(post("Set logged model tags", _TAG, obj(("tags",), tags=_KV)))
    },
    f"{_LM}/{{model_id}}/tags/{{tag_key}}": {
        "delete": _with_path(
            get("Delete a logged model tag", _TAG, {}),
            {"name": "tag_key", "in": "path", "required": True, "schema": NONEMPTY},
        )
    },
    f"{API}/runs/outputs": {
        "post": post(
            "Record the logged models a run produced",
            "runs",
            obj(
                ("models",),
                **_RUN_ID,
                models=array(obj(("model_id",), model_id=NONEMPTY, step=INT64)),
            ),
        )
    },
    f"{API}/runs/log-inputs": {
        "post": post(
            "Record the datasets (and logged models) a run consumed",
            "runs",
            obj(
                **_RUN_ID,
                datasets=array(
                    obj(
                        ("dataset",),
                        tags=_KV,
                        dataset=obj(
                            ("name", "digest", "source_type", "source"),
                            name=NONEMPTY,
                            digest=NONEMPTY,
                            source_type=NONEMPTY,
                            source=STR,
                            schema=STR,
                            profile=STR,
                        ),
                    )
                ),
                models=array(obj(("model_id",), model_id=NONEMPTY)),
            ),
        )
    },
}
