"""Model-version endpoints (``/api/2.0/mlflow/model-versions/*``): MLflow's registry API.

Besides plain CRUD this is where the registry meets MLflow 3 logged models, as MLflow's server
does it: a version created from ``models:/m-<id>`` takes its ``run_id`` from the logged model's
``source_run_id`` and is recorded in the model's ``mlflow.modelVersions`` tag, and
``get-download-uri`` resolves ``models:/m-<id>`` and ``runs:/<run>/<path>`` sources to the
artifact location clients download from.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.registry.validation import check_description
from jupyter_mltrack.server._http import (
    API,
    blocking,
    get_bool,
    get_list,
    get_str,
    get_tags,
    ok,
    paged,
    query_params,
)
from jupyter_mltrack.server.openapi import KEY, NONEMPTY, STR, array, get, obj, post, ref
from jupyter_mltrack.server.routes._registry import (
    AUDIT_FIELDS,
    SEARCH_QUERY,
    STAGE,
    audit_of,
    message,
    model_version_json,
    search_args,
    user_id,
    version_of,
)
from jupyter_mltrack.server.version_source import check_version_source

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from jupyter_mltrack.entities import ModelVersion
    from jupyter_mltrack.server.context import ServerContext

__all__ = ["MODEL_VERSIONS_TAG", "OPENAPI", "download_uri", "routes"]

_MV = f"{API}/model-versions"
_SEARCH_DEFAULT = 10_000  # MLflow's server default for model-versions/search
_SEARCH_LIMIT = 200_000  # MLflow refuses more
_MAX_SOURCE_DEPTH = 10
URI_LENGTH = 2000  # the registry's URI columns (source, run_link) hold this many characters
#: The logged-model tag listing the registry versions made from it (JSON list of name/version).
MODEL_VERSIONS_TAG = "mlflow.modelVersions"


def _logged_model_id(source: str) -> str | None:
    """Return ``m-...`` for a ``models:/m-<id>`` source (a logged model), else None."""
    if not source.startswith("models:/"):
        return None
    rest = source[len("models:/") :].strip("/")
    return rest if rest.startswith("m-") and "/" not in rest and "@" not in rest else None


def download_uri(ctx: ServerContext, source: str) -> str:
    """Return where a version's files are: a logged model's or run's artifact URI, or ``source``.

    ``models:/<name>/<version>`` sources (a version registered from another version) are
    followed to that version's source.
    """
    for _ in range(_MAX_SOURCE_DEPTH):
        model_id = _logged_model_id(source)
        if model_id is not None:
            return ctx.logged_models.get_logged_model(model_id).artifact_uri
        if source.startswith("runs:/"):
            run_id, _, path = source[len("runs:/") :].strip("/").partition("/")
            root = ctx.store.get_run(run_id).info.artifact_uri.rstrip("/")
            return f"{root}/{path.strip('/')}" if path.strip("/") else root
        if not source.startswith("models:/"):
            return source
        name, _, ref_ = source[len("models:/") :].strip("/").partition("/")
        if not ref_.isdigit():
            return source
        source = ctx.registry.get_model_version(name, int(ref_)).source
    raise InvalidParameterError(
        f"Model version source {source!r} goes through more than {_MAX_SOURCE_DEPTH} models:/ "
        "sources; register the underlying artifact location instead"
    )


def _create_version(ctx: ServerContext, msg: dict[str, Any], user: str) -> ModelVersion:
    """Create a version; link it with its logged model when the source is one."""
    name, source = get_str(msg, "name"), get_str(msg, "source")
    run_id = get_str(msg, "run_id", required=False)
    model_id = get_str(msg, "model_id", required=False) or _logged_model_id(source)
    experiment_id = get_str(msg, "experiment_id", required=False)
    if model_id:
        logged = ctx.logged_models.get_logged_model(model_id)
        run_id = run_id or logged.source_run_id
        experiment_id = experiment_id or logged.experiment_id
    else:  # a logged model's source was checked when it was logged; any other is checked here
        check_version_source(source, run_id, lambda rid: ctx.store.get_run(rid).info.artifact_uri)
    for field, value, limit in (("run_id", run_id, 32), ("experiment_id", experiment_id, 32)):
        if value is not None and len(value) > limit:
            raise InvalidParameterError(f"{field} {value[:40]!r}... is longer than {limit}")
    run_link = get_str(msg, "run_link", required=False)
    if run_link is not None and len(run_link) > URI_LENGTH:
        raise InvalidParameterError(f"run_link is longer than {URI_LENGTH} characters")
    description = get_str(msg, "description", required=False)
    version = ctx.registry.create_model_version(
        name,
        source,
        run_id=run_id,
        run_link=run_link,
        experiment_id=experiment_id,
        tags=get_tags(msg),
        description=None if description is None else check_description(description),
        user_id=user,
        signature=get_str(msg, "signature", required=False),
        flavors=get_list(msg, "flavors", item=str),
    )
    if model_id:
        _record_on_logged_model(ctx, model_id, version.name, version.version)
    return version


def _record_on_logged_model(ctx: ServerContext, model_id: str, name: str, version: int) -> None:
    """Append ``{"name", "version"}`` to the logged model's ``mlflow.modelVersions`` tag."""
    from jupyter_mltrack.store.sql.registry_versions import ModelVersionsMixin

    registry = ctx.registry
    if isinstance(registry, ModelVersionsMixin):  # atomic: concurrent registrations all count
        registry.record_logged_model_version(model_id, name, version)
        return
    try:
        entries = json.loads(ctx.logged_models.get_logged_model(model_id).tags[MODEL_VERSIONS_TAG])
    except (KeyError, ValueError):
        entries = []
    if not isinstance(entries, list):
        entries = []
    entries.append({"name": name, "version": version})
    ctx.logged_models.set_logged_model_tags(model_id, {MODEL_VERSIONS_TAG: json.dumps(entries)})


def routes(ctx: ServerContext) -> list[Route]:
    """Return the model-version routes bound to ``ctx``."""

    async def create(request: Request) -> Response:
        msg = await message(request, ctx)
        version = await blocking(_create_version, ctx, msg, user_id(request, msg))
        return ok({"model_version": model_version_json(version)})

    async def get_version(request: Request) -> Response:
        msg = query_params(request)
        version = await blocking(
            ctx.registry.get_model_version, get_str(msg, "name"), version_of(msg)
        )
        return ok({"model_version": model_version_json(version)})

    async def search(request: Request) -> Response:
        msg = await message(request, ctx)
        page = await blocking(
            ctx.registry.search_model_versions, *search_args(msg, _SEARCH_DEFAULT, _SEARCH_LIMIT)
        )
        return ok(paged("model_versions", [model_version_json(v) for v in page], page.token))

    async def get_download_uri(request: Request) -> Response:
        msg = query_params(request)
        if not msg.get("name"):  # MLflow's handler says it without its usual second sentence
            raise InvalidParameterError("Missing value for required parameter 'name'.")
        name, number = get_str(msg, "name"), version_of(msg)

        def resolve() -> str:
            return download_uri(ctx, ctx.registry.get_model_version(name, number).source)

        return ok({"artifact_uri": await blocking(resolve)})

    async def update(request: Request) -> Response:
        msg = await message(request, ctx)
        description = check_description(get_str(msg, "description", required=False, default=""))
        version = await blocking(
            ctx.registry.update_model_version, get_str(msg, "name"), version_of(msg), description
        )
        return ok({"model_version": model_version_json(version)})

    async def delete(request: Request) -> Response:
        msg = await message(request, ctx)
        await blocking(ctx.registry.delete_model_version, get_str(msg, "name"), version_of(msg))
        return ok()

    async def set_tag(request: Request) -> Response:
        msg = await message(request, ctx)
        await blocking(
            ctx.registry.set_model_version_tag,
            get_str(msg, "name"),
            version_of(msg),
            get_str(msg, "key"),
            get_str(msg, "value", required=False, default=""),
        )
        return ok()

    async def delete_tag(request: Request) -> Response:
        msg = await message(request, ctx)
        await blocking(
            ctx.registry.delete_model_version_tag,
            get_str(msg, "name"),
            version_of(msg),
            get_str(msg, "key"),
        )
        return ok()

    async def transition(request: Request) -> Response:
        msg = await message(request, ctx)
        name, number = get_str(msg, "name"), version_of(msg)
        stage = _stage_of(msg)
        archive = get_bool(msg, "archive_existing_versions")
        audit = audit_of(request, msg)
        version = await blocking(
            lambda: ctx.registry.transition_model_version_stage(
                name, number, stage, archive_existing_versions=archive, **audit
            )
        )
        return ok({"model_version": model_version_json(version)})

    return [
        Route(f"{_MV}/create", create, methods=["POST"]),
        Route(f"{_MV}/get", get_version, methods=["GET"]),
        Route(f"{_MV}/search", search, methods=["GET", "POST"]),
        Route(f"{_MV}/get-download-uri", get_download_uri, methods=["GET"]),
        Route(f"{_MV}/update", update, methods=["PATCH"]),
        Route(f"{_MV}/delete", delete, methods=["DELETE"]),
        Route(f"{_MV}/set-tag", set_tag, methods=["POST"]),
        Route(f"{_MV}/delete-tag", delete_tag, methods=["DELETE"]),
        Route(f"{_MV}/transition-stage", transition, methods=["POST"]),
    ]


def _stage_of(msg: dict[str, Any]) -> ModelStage:
    """Parse ``stage``, refusing an unknown one in MLflow's words."""
    raw = get_str(msg, "stage")
    try:
        return ModelStage.parse(raw)
    except InvalidParameterError as exc:
        allowed = ", ".join(s.value for s in ModelStage)
        exc.wire_message = f"Invalid Model Version stage: {raw}. Value must be one of {allowed}."
        raise


_VERSION_SEARCH = {
    **SEARCH_QUERY,
    "max_results": {"type": "integer", "minimum": 1, "maximum": 200_000},
}

# -- OpenAPI -----------------------------------------------------------------------------------
_TAG = "model-versions"
_VERSION = obj(("model_version",), model_version=ref("ModelVersion"))
_NAME_VERSION = {"name": NONEMPTY, "version": NONEMPTY}
_SEARCH_RESPONSE = obj(model_versions=array(ref("ModelVersion")), next_page_token=STR)


def _body(*required: str, **properties: dict[str, Any]) -> dict[str, Any]:
    return obj(("name", "version", *required), **_NAME_VERSION, **properties)


OPENAPI: dict[str, dict[str, Any]] = {
    f"{_MV}/create": {
        "post": post(
            "Create the next version of a model from a source URI (runs:/, models:/m-<id>, ...)",
            _TAG,
            obj(
                ("name", "source"),
                name=NONEMPTY,
                source=NONEMPTY,
                run_id=STR,
                model_id=STR,
                run_link=STR,
                description=STR,
                tags=array(obj(("key",), key=KEY, value=STR)),
                experiment_id=STR,
                user_id=STR,
                signature=STR,
                flavors=array(STR),
            ),
            _VERSION,
        )
    },
    f"{_MV}/get": {
        "get": get(
            "Get a model version", _TAG, _NAME_VERSION, _VERSION, required=("name", "version")
        )
    },
    f"{_MV}/search": {
        "get": get(
            "Search model versions (filter like name='m1'; paged)",
            _TAG,
            _VERSION_SEARCH,
            _SEARCH_RESPONSE,
        ),
        "post": post(
            "Search model versions (JSON body)", _TAG, obj(**_VERSION_SEARCH), _SEARCH_RESPONSE
        ),
    },
    f"{_MV}/get-download-uri": {
        "get": get(
            "Get the artifact URI a version's files download from",
            _TAG,
            _NAME_VERSION,
            obj(("artifact_uri",), artifact_uri=STR),
            required=("name", "version"),
        )
    },
    f"{_MV}/update": {
        "patch": post("Replace a version's description", _TAG, _body(description=STR), _VERSION)
    },
    f"{_MV}/delete": {"delete": post("Delete a model version", _TAG, _body())},
    f"{_MV}/set-tag": {
        "post": post("Set a model version tag", _TAG, _body("key", key=KEY, value=STR))
    },
    f"{_MV}/delete-tag": {
        "delete": post("Delete a model version tag", _TAG, _body("key", key=NONEMPTY))
    },
    f"{_MV}/transition-stage": {
        "post": post(
            "Move a version to a stage (deprecated in MLflow, still served)",
            _TAG,
            _body(
                "stage",
                stage=STAGE,
                archive_existing_versions={"type": "boolean"},
                **AUDIT_FIELDS,
            ),
            _VERSION,
        )
    },
}
