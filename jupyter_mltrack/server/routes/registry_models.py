"""Registered-model endpoints (``/api/2.0/mlflow/registered-models/*``): MLflow's registry API.

Create, get, search, rename, update, delete, tags, aliases and the deprecated
``get-latest-versions``, over the store's :class:`~jupyter_mltrack.store.registry_base.
RegistryStore`. Bodies and responses are MLflow's (see ``RegisteredModel.to_dict``). DELETE
calls carry their message in a JSON body, as MLflow's client sends them; the query string is
read too, so plain HTTP clients can use either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.registry.validation import check_description
from jupyter_mltrack.server._http import (
    API,
    blocking,
    get_list,
    get_str,
    get_tags,
    ok,
    paged,
    query_params,
)
from jupyter_mltrack.server.openapi import (
    KEY,
    NONEMPTY,
    STR,
    array,
    get,
    obj,
    post,
    ref,
)
from jupyter_mltrack.server.routes._registry import (
    AUDIT_FIELDS,
    OPENAPI_SCHEMAS,
    SEARCH_QUERY,
    STAGE,
    audit_of,
    message,
    model_version_json,
    registered_model_json,
    search_args,
    user_id,
    version_of,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from jupyter_mltrack.server.context import ServerContext

__all__ = ["OPENAPI", "OPENAPI_SCHEMAS", "routes"]

_RM = f"{API}/registered-models"
_SEARCH_DEFAULT = 100
_SEARCH_LIMIT = 1000  # MLflow refuses more


def routes(ctx: ServerContext) -> list[Route]:
    """Return the registered-model routes bound to ``ctx``."""

    async def create(request: Request) -> Response:
        msg = await message(request, ctx)
        description = get_str(msg, "description", required=False)
        model = await blocking(
            ctx.registry.create_registered_model,
            get_str(msg, "name"),  # present, as MLflow requires; the store checks the rest
            tags=get_tags(msg),
            description=None if description is None else check_description(description),
        )
        return ok({"registered_model": registered_model_json(model)})

    async def get_model(request: Request) -> Response:
        msg = query_params(request)
        model = await blocking(ctx.registry.get_registered_model, get_str(msg, "name"))
        return ok({"registered_model": registered_model_json(model)})

    async def search(request: Request) -> Response:
        msg = await message(request, ctx)
        page = await blocking(
            ctx.registry.search_registered_models, *search_args(msg, _SEARCH_DEFAULT, _SEARCH_LIMIT)
        )
        return ok(paged("registered_models", [registered_model_json(m) for m in page], page.token))

    async def rename(request: Request) -> Response:
        msg = await message(request, ctx)
        new_name = get_str(msg, "new_name", required=False, default="")
        model = await blocking(ctx.registry.rename_registered_model, get_str(msg, "name"), new_name)
        return ok({"registered_model": registered_model_json(model)})

    async def update(request: Request) -> Response:
        msg = await message(request, ctx)
        description = check_description(get_str(msg, "description", required=False, default=""))
        model = await blocking(
            ctx.registry.update_registered_model, get_str(msg, "name"), description
        )
        return ok({"registered_model": registered_model_json(model)})

    async def delete(request: Request) -> Response:
        msg = await message(request, ctx)
        await blocking(ctx.registry.delete_registered_model, get_str(msg, "name"))
        return ok()

    async def set_tag(request: Request) -> Response:
        msg = await message(request, ctx)
        value = get_str(msg, "value", required=False, default="")
        await blocking(
            ctx.registry.set_registered_model_tag,
            get_str(msg, "name"),
            get_str(msg, "key"),
            value,
        )
        return ok()

    async def delete_tag(request: Request) -> Response:
        msg = await message(request, ctx)
        await blocking(
            ctx.registry.delete_registered_model_tag, get_str(msg, "name"), get_str(msg, "key")
        )
        return ok()

    async def set_alias(request: Request) -> Response:
        msg = await message(request, ctx)
        name, alias, version = get_str(msg, "name"), get_str(msg, "alias"), version_of(msg)
        audit = audit_of(request, msg)
        await blocking(
            lambda: ctx.registry.set_registered_model_alias(name, alias, version, **audit)
        )
        return ok()

    async def get_alias(request: Request) -> Response:
        msg = query_params(request)
        version = await blocking(
            ctx.registry.get_model_version_by_alias, get_str(msg, "name"), get_str(msg, "alias")
        )
        return ok({"model_version": model_version_json(version)})

    async def delete_alias(request: Request) -> Response:
        msg = await message(request, ctx)
        name, alias, who = get_str(msg, "name"), get_str(msg, "alias"), user_id(request, msg)
        await blocking(lambda: ctx.registry.delete_registered_model_alias(name, alias, user_id=who))
        return ok()

    async def latest_versions(request: Request) -> Response:
        msg = await message(request, ctx)
        stages = [ModelStage.parse(s) for s in get_list(msg, "stages", item=str)] or None
        found = await blocking(ctx.registry.get_latest_versions, get_str(msg, "name"), stages)
        return ok(paged("model_versions", [model_version_json(v) for v in found], None))

    async def history(request: Request) -> Response:
        msg = query_params(request)
        version = version_of(msg) if msg.get("version") not in (None, "") else None
        events = await blocking(
            ctx.registry.get_model_version_history, get_str(msg, "name"), version
        )
        return ok(paged("events", [e.to_dict() for e in events], None))

    return [
        Route(f"{_RM}/create", create, methods=["POST"]),
        Route(f"{_RM}/get", get_model, methods=["GET"]),
        Route(f"{_RM}/search", search, methods=["GET", "POST"]),
        Route(f"{_RM}/rename", rename, methods=["POST"]),
        Route(f"{_RM}/update", update, methods=["PATCH"]),
        Route(f"{_RM}/delete", delete, methods=["DELETE"]),
        Route(f"{_RM}/set-tag", set_tag, methods=["POST"]),
        Route(f"{_RM}/delete-tag", delete_tag, methods=["DELETE"]),
        Route(f"{_RM}/alias", set_alias, methods=["POST"]),
        Route(f"{_RM}/alias", get_alias, methods=["GET"]),
        Route(f"{_RM}/alias", delete_alias, methods=["DELETE"]),
        Route(f"{_RM}/get-latest-versions", latest_versions, methods=["GET", "POST"]),
        Route(f"{_RM}/history", history, methods=["GET"]),
    ]


# -- OpenAPI -----------------------------------------------------------------------------------
_TAG = "registered-models"
_NAME = {"name": NONEMPTY}
_KV = array(obj(("key",), key=KEY, value=STR))
_MODEL = obj(("registered_model",), registered_model=ref("RegisteredModel"))
_VERSION = obj(("model_version",), model_version=ref("ModelVersion"))


OPENAPI: dict[str, dict[str, Any]] = {
    f"{_RM}/create": {
        "post": post(
            "Create a registered model",
            _TAG,
            obj(("name",), name=NONEMPTY, tags=_KV, description=STR),
            _MODEL,
        )
    },
    f"{_RM}/get": {
        "get": get(
            "Get a registered model with its latest version per stage, tags and aliases",
            _TAG,
            _NAME,
            _MODEL,
            required=("name",),
        )
    },
    f"{_RM}/search": {
        "get": get(
            "Search registered models (filter on name and tags; order_by; paged)",
            _TAG,
            SEARCH_QUERY,
            obj(registered_models=array(ref("RegisteredModel")), next_page_token=STR),
        ),
        "post": post(
            "Search registered models (the message as a JSON body)",
            _TAG,
            obj(**SEARCH_QUERY),
            obj(registered_models=array(ref("RegisteredModel")), next_page_token=STR),
        ),
    },
    f"{_RM}/rename": {
        "post": post(
            "Rename a registered model (versions, tags and aliases follow)",
            _TAG,
            obj(("name", "new_name"), name=NONEMPTY, new_name=NONEMPTY),
            _MODEL,
        )
    },
    f"{_RM}/update": {
        "patch": post(
            "Replace a registered model's description",
            _TAG,
            obj(("name",), name=NONEMPTY, description=STR),
            _MODEL,
        )
    },
    f"{_RM}/delete": {
        "delete": post(
            "Delete a registered model with its versions", _TAG, obj(("name",), name=NONEMPTY)
        )
    },
    f"{_RM}/set-tag": {
        "post": post(
            "Set a registered model tag",
            _TAG,
            obj(("name", "key"), name=NONEMPTY, key=KEY, value=STR),
        )
    },
    f"{_RM}/delete-tag": {
        "delete": post(
            "Delete a registered model tag",
            _TAG,
            obj(("name", "key"), name=NONEMPTY, key=NONEMPTY),
        )
    },
    f"{_RM}/alias": {
        "post": post(
            "Point an alias at a version (moving it if set); audit fields are mltrack extensions",
            _TAG,
            obj(
                ("name", "alias", "version"),
                name=NONEMPTY,
                alias=NONEMPTY,
                version=NONEMPTY,
                **AUDIT_FIELDS,
            ),
        ),
        "get": get(
            "Get the version an alias points at",
            _TAG,
            {"name": NONEMPTY, "alias": NONEMPTY},
            _VERSION,
            required=("name", "alias"),
        ),
        "delete": post(
            "Delete an alias",
            _TAG,
            obj(("name", "alias"), name=NONEMPTY, alias=NONEMPTY, user_id=STR),
        ),
    },
    f"{_RM}/history": {
        "get": get(
            "The stage and alias events of a model or one version, oldest first (mltrack only)",
            _TAG,
            {"name": NONEMPTY, "version": NONEMPTY},
            obj(events=array(ref("ModelVersionEvent"))),
            required=("name",),
        )
    },
    f"{_RM}/get-latest-versions": {
        "post": post(
            "Get the latest version in each stage (deprecated in MLflow, still served)",
            _TAG,
            obj(("name",), name=NONEMPTY, stages=array(STAGE)),
            obj(model_versions=array(ref("ModelVersion"))),
        ),
        "get": get(
            "Get the latest version in each stage (query-string form)",
            _TAG,
            {"name": NONEMPTY, "stages": array(STAGE)},
            obj(model_versions=array(ref("ModelVersion"))),
            required=("name",),
        ),
    },
}
