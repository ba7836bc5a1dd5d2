"""Run endpoints: lifecycle, search, params and tags (``/api/2.0/mlflow/runs/*``).

Metric logging and ``log-batch`` live in :mod:`jupyter_mltrack.server.routes.metrics`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from jupyter_mltrack._time import now_ms
from jupyter_mltrack._validation import (
    MAX_ENTITY_NAME_LENGTH,
    validate_key,
    validate_param_value,
    validate_tag_value,
)
from jupyter_mltrack.entities import LifecycleStage, Param, Run, RunStatus, RunTag, ViewType
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.server._http import (
    API,
    INT64_MAX,
    blocking,
    get_int,
    get_list,
    get_max_results,
    get_page_token,
    get_str,
    get_tags,
    json_body,
    ok,
    paged,
    query_params,
    run_id_of,
)
from jupyter_mltrack.server.openapi import (
    INT64,
    KEY,
    NONEMPTY,
    RUN_ID_FIELDS,
    STR,
    array,
    get,
    obj,
    post,
    ref,
    run_message,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from jupyter_mltrack.server.context import ServerContext

__all__ = ["MLFLOW_RUN_NAME_TAG", "OPENAPI", "routes", "run_json"]

_RUNS = f"{API}/runs"
MLFLOW_RUN_NAME_TAG = "mlflow.runName"
#: Our twin of the name tag, kept by the store and never shown to MLflow clients.
RUN_NAME = "mltrack.runName"
_MLFLOW_USER_TAG = "mlflow.user"
_MAX_USER_ID = 256


def run_json(run: Run, *, outputs: bool = True) -> dict[str, Any]:
    """Return ``run`` as MLflow's REST JSON, without the ``mltrack.runName`` tag.

    ``outputs`` adds the empty ``outputs`` object MLflow 3 sends from runs/get and runs/search.

    The store keeps that tag in step with the run name for its own clients; MLflow clients have
    the name as ``info.run_name`` and ``mlflow.runName`` already, and a third copy would show as
    an unknown tag to them (our REST store restores it from the name).
    """
    out = run.to_dict()
    if outputs:
        out.setdefault("outputs", {})  # MLflow 3's runs/get and runs/search always send it
    tags = out["data"].get("tags")
    if tags:
        out["data"]["tags"] = [t for t in tags if t["key"] != RUN_NAME]
    return out


def routes(ctx: ServerContext) -> list[Route]:
    """Return the run routes bound to ``ctx``."""
    store = ctx.store

    async def create(request: Request) -> Response:
        msg = await json_body(request, ctx)
        tags = {validate_key("Tag", k): validate_tag_value(k, v) for k, v in get_tags(msg).items()}
        run_name = _run_name(
            get_str(msg, "run_name", required=False) or tags.get(MLFLOW_RUN_NAME_TAG)
        )
        tags[MLFLOW_RUN_NAME_TAG] = run_name
        user_id = get_str(msg, "user_id", required=False) or tags.get(_MLFLOW_USER_TAG, "")
        if len(user_id) > _MAX_USER_ID:
            raise InvalidParameterError(f"user_id is longer than {_MAX_USER_ID} characters")
        run = await blocking(
            store.create_run,
            experiment_id=get_str(msg, "experiment_id", required=False) or "0",
            user_id=user_id,
            start_time=get_int(msg, "start_time", required=False) or now_ms(),
            tags=tags,
            run_name=run_name,
        )
        return ok({"run": run_json(run, outputs=False)})

    async def get_run(request: Request) -> Response:
        run = await blocking(store.get_run, run_id_of(query_params(request)))
        return ok({"run": run_json(run)})

    async def update(request: Request) -> Response:
        msg = await json_body(request, ctx)
        run_id = run_id_of(msg)
        status = get_str(msg, "status", required=False)
        name = get_str(msg, "run_name", required=False)
        info = await blocking(
            store.update_run_info,
            run_id,
            status=RunStatus.parse(status) if status else None,
            end_time=get_int(msg, "end_time", required=False),
            run_name=_run_name(name) if name else None,
        )
        if name:  # MLflow keeps its name tag in step with the attribute
            await blocking(store.set_tag, run_id, RunTag(key=MLFLOW_RUN_NAME_TAG, value=name))
        return ok({"run_info": info.to_dict()})

    async def delete(request: Request) -> Response:
        run_id = run_id_of(await json_body(request, ctx))
        run = await blocking(store.get_run, run_id)
        if run.info.lifecycle_stage is not LifecycleStage.DELETED:  # MLflow: deleting twice is ok
            await blocking(store.delete_run, run_id)
        return ok()

    async def restore(request: Request) -> Response:
        await blocking(store.restore_run, run_id_of(await json_body(request, ctx)))
        return ok()

    async def search(request: Request) -> Response:
        msg = await json_body(request, ctx)
        page = await blocking(
            store.search_runs,
            _experiment_ids(msg),
            get_str(msg, "filter", required=False, default=""),
            ViewType.parse(get_str(msg, "run_view_type", required=False) or "ACTIVE_ONLY"),
            get_max_results(msg, 1000, 50_000),
            get_list(msg, "order_by", item=str) or None,
            get_page_token(msg),
        )
        return ok(paged("runs", [run_json(run) for run in page], page.token))

    async def log_param(request: Request) -> Response:
        msg = await json_body(request, ctx)
        run_id = run_id_of(msg)  # MLflow's order: run_id, then key
        key = validate_key("Param", get_str(msg, "key"))
        value = validate_param_value(key, get_str(msg, "value", required=False, default=""))
        await blocking(store.log_param, run_id, Param(key=key, value=value))
        return ok()

    async def set_tag(request: Request) -> Response:
        msg = await json_body(request, ctx)
        run_id = run_id_of(msg)  # MLflow's order: run_id, then key
        key = validate_key("Tag", get_str(msg, "key"))
        value = validate_tag_value(key, get_str(msg, "value", required=False, default=""))
        await blocking(store.set_tag, run_id, RunTag(key=key, value=value))
        return ok()

    async def delete_tag(request: Request) -> Response:
        msg = await json_body(request, ctx)
        await blocking(store.delete_tag, run_id_of(msg), get_str(msg, "key"))
        return ok()

    async def log_model(request: Request) -> Response:
        msg = await json_body(request, ctx)
        run_id = run_id_of(msg)
        model = _model_info(get_str(msg, "model_json"))
        await blocking(_record_logged_model, store, run_id, model)
        return ok()

    return [
        Route(f"{_RUNS}/create", create, methods=["POST"]),
        Route(f"{_RUNS}/log-model", log_model, methods=["POST"]),
        Route(f"{_RUNS}/get", get_run, methods=["GET"]),
        Route(f"{_RUNS}/update", update, methods=["POST"]),
        Route(f"{_RUNS}/delete", delete, methods=["POST"]),
        Route(f"{_RUNS}/restore", restore, methods=["POST"]),
        Route(f"{_RUNS}/search", search, methods=["POST"]),
        Route(f"{_RUNS}/log-parameter", log_param, methods=["POST"]),
        Route(f"{_RUNS}/set-tag", set_tag, methods=["POST"]),
        Route(f"{_RUNS}/delete-tag", delete_tag, methods=["POST"]),
    ]


#: The run tag where MLflow keeps the models logged by a run (runs/log-model appends to it).
LOG_MODEL_HISTORY = "mlflow.log-model.history"
_MODEL_FIELDS = ("artifact_path", "flavors", "utc_time_created", "run_id")


def _model_info(text: str) -> dict[str, Any]:
    """Parse runs/log-model's ``model_json``, refusing what MLflow refuses, in its words."""
    try:
        model = json.loads(text)
    except ValueError:
        model = None
    if not isinstance(model, dict):
        raise InvalidParameterError(f"Malformed model info. \n {text} \n is not a valid JSON.")
    missing = [field for field in _MODEL_FIELDS if field not in model]
    if missing:
        raise InvalidParameterError(f"Model json is missing mandatory fields: {set(missing)}")
    flavors = model["flavors"]
    if not isinstance(flavors, dict):
        raise InvalidParameterError(f"Model json's flavors must be an object, got {flavors!r:.100}")
    # What MLflow keeps (Model.get_tags_dict): these fields in this order, flavors without config.
    kept = {key: model.get(key) for key in ("run_id", "artifact_path", "utc_time_created")}
    kept = {key: value for key, value in kept.items() if value is not None}
    kept["model_uuid"] = model.get("model_uuid")
    kept["flavors"] = {
        name: {k: v for k, v in conf.items() if k != "config"} if isinstance(conf, dict) else conf
        for name, conf in flavors.items()
    }
    return kept


def _record_logged_model(store: Any, run_id: str, model: dict[str, Any]) -> None:
    """Append ``model`` to the run's model history tag, as MLflow's server does (the write
    refuses a deleted run)."""
    previous = store.get_run(run_id).data.tags.get(LOG_MODEL_HISTORY)
    models = json.loads(previous) if previous else []
    models.append(model)
    store.set_tag(run_id, RunTag(key=LOG_MODEL_HISTORY, value=json.dumps(models)))


def _experiment_ids(msg: dict[str, Any]) -> list[str]:
    ids: list[str] = get_list(msg, "experiment_ids", item=str)
    for experiment_id in ids:
        # The store parses ids itself, but a number beyond int64 would fail in the database.
        if experiment_id.strip().lstrip("+-").isdigit() and abs(int(experiment_id)) > INT64_MAX:
            raise InvalidParameterError(f"Experiment id {experiment_id!r} is out of range")
    return ids


def _run_name(name: str | None) -> str:
    """Return the given run name, or a generated one (as MLflow's server does) when empty."""
    if not name:
        from jupyter_mltrack.tracking.names import generate_run_name

        return generate_run_name()
    if len(name) > MAX_ENTITY_NAME_LENGTH:
        raise InvalidParameterError(
            f"Run name is {len(name)} characters; the limit is {MAX_ENTITY_NAME_LENGTH}"
        )
    return name


_TAG = "runs"
_RUN_ID = RUN_ID_FIELDS
_ID_BODY = run_message()
_KV = array(obj(("key",), key=KEY, value=STR))

OPENAPI: dict[str, dict[str, Any]] = {
    f"{_RUNS}/create": {
        "post": post(
            "Create a run (named mlflow.runName or a generated name when run_name is omitted)",
            _TAG,
            obj(
                experiment_id=STR,
                user_id={"type": "string", "maxLength": _MAX_USER_ID},
                run_name={"type": "string", "maxLength": MAX_ENTITY_NAME_LENGTH},
                start_time=INT64,
                tags=_KV,
            ),
            obj(("run",), run=ref("Run")),
        )
    },
    f"{_RUNS}/get": {
        "get": get(
            "Get a run with its latest metrics, params and tags (run_id or legacy run_uuid)",
            _TAG,
            _RUN_ID,
            obj(("run",), run=ref("Run")),
        )
    },
    f"{_RUNS}/update": {
        "post": post(
            "Update a run's status, end time or name",
            _TAG,
            run_message(
                status={
                    "type": "string",
                    "enum": ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"],
                },
                end_time=INT64,
                run_name={"type": "string", "maxLength": MAX_ENTITY_NAME_LENGTH},
            ),
            obj(("run_info",), run_info=ref("RunInfo")),
        )
    },
    f"{_RUNS}/log-model": {
        "post": post(
            "Record a logged model's MLmodel metadata in the run's mlflow.log-model.history tag",
            _TAG,
            run_message(("model_json",), model_json=STR),
        )
    },
    f"{_RUNS}/delete": {"post": post("Soft-delete a run", _TAG, _ID_BODY)},
    f"{_RUNS}/restore": {"post": post("Restore a deleted run", _TAG, _ID_BODY)},
    f"{_RUNS}/search": {
        "post": post(
            "Search runs (filter like 'metrics.m > 0', order_by, paged)",
            _TAG,
            obj(
                experiment_ids=array(STR),
                filter=STR,
                run_view_type={"type": "string", "enum": ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]},
                max_results={"type": "integer", "minimum": 1, "maximum": 50_000},
                order_by=array(STR),
                page_token=STR,
            ),
            obj(runs=array(ref("Run")), next_page_token=STR),
        )
    },
    f"{_RUNS}/log-parameter": {
        "post": post(
            "Log a param (immutable: a different value for the same key is refused)",
            _TAG,
            run_message(("key",), key=KEY, value={"type": "string", "maxLength": 6000}),
        )
    },
    f"{_RUNS}/set-tag": {
        "post": post(
            "Set a run tag",
            _TAG,
            run_message(("key",), key=KEY, value={"type": "string", "maxLength": 8000}),
        )
    },
    f"{_RUNS}/delete-tag": {
        "post": post("Delete a run tag", _TAG, run_message(("key",), key=NONEMPTY))
    },
}
