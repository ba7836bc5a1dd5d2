"""Experiment endpoints: ``/api/2.0/mlflow/experiments/*``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from jupyter_mltrack._validation import validate_key, validate_tag_value
from jupyter_mltrack.entities import ViewType
from jupyter_mltrack.errors import ExperimentNotFound, InvalidParameterError
from jupyter_mltrack.server._http import (
    API,
    blocking,
    get_list,
    get_max_results,
    get_page_token,
    get_str,
    get_tags,
    json_body,
    ok,
    paged,
    query_params,
)
from jupyter_mltrack.server.locations import check_experiment_location
from jupyter_mltrack.server.openapi import KEY, NONEMPTY, STR, array, get, obj, post, ref

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from jupyter_mltrack.server.context import ServerContext

__all__ = ["OPENAPI", "routes"]

_EXP = f"{API}/experiments"
_MAX_LOCATION = 1000


def routes(ctx: ServerContext) -> list[Route]:
    """Return the experiment routes bound to ``ctx``."""
    store = ctx.store

    async def create(request: Request) -> Response:
        msg = await json_body(request, ctx)
        name = get_str(msg, "name")
        location = get_str(msg, "artifact_location", required=False)
        if location:  # relative local paths become absolute on the server, as in MLflow
            location = check_experiment_location(location)
        if location and len(location) > _MAX_LOCATION:
            raise InvalidParameterError(
                f"artifact_location is {len(location)} characters; the limit is {_MAX_LOCATION}"
            )
        tags = {validate_key("Tag", k): validate_tag_value(k, v) for k, v in get_tags(msg).items()}
        experiment_id = await blocking(store.create_experiment, name, location or None, tags)
        return ok({"experiment_id": experiment_id})

    async def get_one(request: Request) -> Response:
        experiment_id = get_str(query_params(request), "experiment_id")
        experiment = await blocking(store.get_experiment, experiment_id)
        return ok({"experiment": experiment.to_dict()})

    async def get_by_name(request: Request) -> Response:
        name = get_str(query_params(request), "experiment_name")
        experiment = await blocking(store.get_experiment_by_name, name)
        if experiment is None:
            raise ExperimentNotFound(f"Could not find experiment with name '{name}'")
        return ok({"experiment": experiment.to_dict()})

    async def search(request: Request) -> Response:
        if request.method == "GET":
            msg: dict[str, Any] = query_params(request)
        else:
            msg = await json_body(request, ctx)
        page = await blocking(
            store.search_experiments,
            view_type=ViewType.parse(get_str(msg, "view_type", required=False) or "ACTIVE_ONLY"),
            max_results=get_max_results(msg, 1000, 50_000, store_worded=True),
            filter_string=get_str(msg, "filter", required=False, default=""),
            order_by=get_list(msg, "order_by", item=str) or None,
            page_token=get_page_token(msg),
        )
        return ok(paged("experiments", [e.to_dict() for e in page], page.token))

    async def delete(request: Request) -> Response:
        msg = await json_body(request, ctx)
        await blocking(store.delete_experiment, get_str(msg, "experiment_id"))
        return ok()

    async def restore(request: Request) -> Response:
        msg = await json_body(request, ctx)
        await blocking(store.restore_experiment, get_str(msg, "experiment_id"))
        return ok()

    async def update(request: Request) -> Response:
        msg = await json_body(request, ctx)
        experiment_id = get_str(msg, "experiment_id")
        new_name = get_str(msg, "new_name", required=False)
        if new_name is not None:
            await blocking(store.rename_experiment, experiment_id, new_name)
        else:  # nothing to change, but the experiment must exist
            await blocking(store.get_experiment, experiment_id)
        return ok()

    async def set_tag(request: Request) -> Response:
        msg = await json_body(request, ctx)
        experiment_id = get_str(msg, "experiment_id")
        key = validate_key("Tag", get_str(msg, "key"))
        value = validate_tag_value(key, get_str(msg, "value", required=False, default=""))
        await blocking(store.set_experiment_tag, experiment_id, key, value)
        return ok()

    async def delete_tag(request: Request) -> Response:
        msg = await json_body(request, ctx)
        experiment_id = get_str(msg, "experiment_id")
        await blocking(store.delete_experiment_tag, experiment_id, get_str(msg, "key"))
        return ok()

    return [
        Route(f"{_EXP}/create", create, methods=["POST"]),
        Route(f"{_EXP}/get", get_one, methods=["GET"]),
        Route(f"{_EXP}/get-by-name", get_by_name, methods=["GET"]),
        Route(f"{_EXP}/search", search, methods=["GET", "POST"]),
        Route(f"{_EXP}/delete", delete, methods=["POST"]),
        Route(f"{_EXP}/restore", restore, methods=["POST"]),
        Route(f"{_EXP}/update", update, methods=["POST"]),
        Route(f"{_EXP}/set-experiment-tag", set_tag, methods=["POST"]),
        Route(f"{_EXP}/delete-experiment-tag", delete_tag, methods=["POST"]),
    ]


_TAG = "experiments"
_ID_BODY = obj(("experiment_id",), experiment_id=NONEMPTY)
_ONE = obj(("experiment",), experiment=ref("Experiment"))
_SEARCH_FIELDS: dict[str, Any] = {
    "max_results": {"type": "integer", "minimum": 1, "maximum": 50_000},
    "filter": STR,
    "page_token": STR,
    "view_type": {"type": "string", "enum": ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]},
}
_SEARCH_RESULT = obj(experiments=array(ref("Experiment")), next_page_token=STR)

OPENAPI: dict[str, dict[str, Any]] = {
    f"{_EXP}/create": {
        "post": post(
            "Create an experiment; its artifact location defaults to mlflow-artifacts:/<id>",
            _TAG,
            obj(
                ("name",),
                name=NONEMPTY,
                artifact_location={"type": "string", "maxLength": _MAX_LOCATION},
                tags=array(obj(("key",), key=KEY, value=STR)),
            ),
            obj(("experiment_id",), experiment_id=STR),
        )
    },
    f"{_EXP}/get": {
        "get": get(
            "Get an experiment by id",
            _TAG,
            {"experiment_id": NONEMPTY},
            _ONE,
            required=("experiment_id",),
        )
    },
    f"{_EXP}/get-by-name": {
        "get": get(
            "Get an experiment by name (404 RESOURCE_DOES_NOT_EXIST if there is none)",
            _TAG,
            {"experiment_name": NONEMPTY},
            _ONE,
            required=("experiment_name",),
        )
    },
    f"{_EXP}/search": {
        "get": get("Search experiments", _TAG, {**_SEARCH_FIELDS, "order_by": STR}, _SEARCH_RESULT),
        "post": post(
            "Search experiments (filter on name and tags, order by attributes, paged)",
            _TAG,
            obj(**_SEARCH_FIELDS, order_by=array(STR)),
            _SEARCH_RESULT,
        ),
    },
    f"{_EXP}/delete": {"post": post("Soft-delete an experiment and its runs", _TAG, _ID_BODY)},
    f"{_EXP}/restore": {"post": post("Restore a deleted experiment", _TAG, _ID_BODY)},
    f"{_EXP}/update": {
        "post": post(
            "Rename an experiment",
            _TAG,
            obj(("experiment_id",), experiment_id=NONEMPTY, new_name=NONEMPTY),
        )
    },
    f"{_EXP}/set-experiment-tag": {
        "post": post(
            "Set an experiment tag",
            _TAG,
            obj(("experiment_id", "key"), experiment_id=NONEMPTY, key=KEY, value=STR),
        )
    },
    f"{_EXP}/delete-experiment-tag": {
        "post": post(
            "Delete an experiment tag (404 if the experiment has no such tag)",
            _TAG,
            obj(("experiment_id", "key"), experiment_id=NONEMPTY, key=KEY),
        )
    },
}
