"""What the registry route modules share: message parsing, audit fields, JSON with extensions.

MLflow's registry JSON (``ModelVersion.to_dict``/``RegisteredModel.to_dict``) plus jupyter_mltrack's
extension fields, which MLflow clients ignore: a version's ``experiment_id``, ``signature`` and
``flavors``, and who moved a stage or alias and why (``user_id``, ``comment``, ``evidence_uri``,
``metrics``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.server._http import (
    get_list,
    get_max_results,
    get_str,
    json_body,
    query_params,
    to_float,
)
from jupyter_mltrack.server.openapi import STR, array, double, obj, ref

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request

    from jupyter_mltrack.entities import ModelVersion, RegisteredModel
    from jupyter_mltrack.server.context import ServerContext

__all__ = [
    "AUDIT_FIELDS",
    "OPENAPI_SCHEMAS",
    "SEARCH_QUERY",
    "STAGE",
    "audit_of",
    "message",
    "model_version_json",
    "registered_model_json",
    "search_args",
    "user_id",
    "version_of",
]

_MAX_VERSION = 2**31 - 1
_MAX_USER_ID = 256


async def message(request: Request, ctx: ServerContext) -> dict[str, Any]:
    """Return the request's message: the query string, overlaid with the JSON body if any."""
    msg = query_params(request)
    if request.method != "GET":
        msg.update(await json_body(request, ctx))
    return msg


def user_id(request: Request, msg: Mapping[str, Any] | None = None) -> str:
    """Return who makes the request: the authenticated user, else the message's ``user_id``.

    With authentication on, a client cannot speak for someone else; without it, the
    ``user_id`` extension field (sent by jupyter_mltrack clients) is taken as given.
    """
    from jupyter_mltrack.server.auth.middleware import SCOPE_USER_KEY

    user = request.scope.get(SCOPE_USER_KEY)
    if user is not None:
        return str(getattr(user, "name", "") or "")
    given = get_str(msg or {}, "user_id", required=False, default="")
    if len(given) > _MAX_USER_ID:
        raise InvalidParameterError(f"user_id is longer than {_MAX_USER_ID} characters")
    return given


def version_of(msg: Mapping[str, Any]) -> int:
    """Return the ``version`` field (a string like ``"3"`` on the wire, or a number) as an int."""
    value = msg.get("version")
    if value is None or value == "":
        get_str(msg, "version")  # raises MLflow's "Missing value for required parameter"
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if isinstance(value, bool) or not text.isascii() or not text.isdigit() or int(text) < 1:
        raise InvalidParameterError(
            f"Invalid model version {value!r}: versions are positive integers such as 1 or 2"
        )
    if int(text) > _MAX_VERSION:  # no database column holds it: it cannot exist
        raise InvalidParameterError(
            f"Invalid model version {value!r}: versions are positive integers up to {_MAX_VERSION}"
        )
    return int(text)


def audit_of(request: Request, msg: Mapping[str, Any]) -> dict[str, Any]:
    """Return the audit fields of a stage or alias move (jupyter_mltrack extensions).

    ``comment``, ``evidence_uri`` and ``metrics`` (name -> number or "NaN"/"Infinity") are
    recorded in the model's history; MLflow clients never send them.
    """
    raw_metrics = msg.get("metrics") or {}
    if not isinstance(raw_metrics, dict):
        raise InvalidParameterError(
            f"metrics must be an object of metric name to number, got {raw_metrics!r:.100}"
        )
    return {
        "user_id": user_id(request, msg),
        "comment": get_str(msg, "comment", required=False),
        "evidence_uri": get_str(msg, "evidence_uri", required=False),
        "metrics": {str(k): to_float(f"metrics.{k}", v) for k, v in raw_metrics.items()} or None,
    }


def model_version_json(version: ModelVersion) -> dict[str, Any]:
    """Return MLflow's ``model_version`` JSON plus our extension fields (MLflow ignores them)."""
    out = version.to_dict()
    # MLflow's shape: no user_id unless one was given, and always a run_link (empty here).
    if not out.get("user_id"):
        out.pop("user_id", None)
    out.setdefault("run_link", "")
    if version.experiment_id is not None:
        out["experiment_id"] = version.experiment_id
    if version.signature is not None:
        out["signature"] = version.signature
    if version.flavors:
        out["flavors"] = list(version.flavors)
    return out


def registered_model_json(model: RegisteredModel) -> dict[str, Any]:
    """Return MLflow's ``registered_model`` JSON, its latest versions with our extensions."""
    out = model.to_dict()
    if not out.get("description"):
        out.pop("description", None)  # MLflow leaves an unset description out
    if model.latest_versions:
        out["latest_versions"] = [model_version_json(v) for v in model.latest_versions]
    return out


def search_args(
    msg: Mapping[str, Any], default_max_results: int, limit: int
) -> tuple[str, int, list[str] | None, str | None]:
    """Return a registry search's ``filter``, ``max_results``, ``order_by`` and ``page_token``.

    ``order_by`` is a repeated query parameter or a JSON list; ``max_results`` over ``limit``
    (MLflow's: 1,000 for models, 200,000 for versions) is refused as MLflow does.
    """
    return (
        get_str(msg, "filter", required=False, default=""),
        get_max_results(msg, default_max_results, limit),
        get_list(msg, "order_by", item=str) or None,
        get_str(msg, "page_token", required=False),
    )


# -- OpenAPI -----------------------------------------------------------------------------------
STAGE = {"type": "string", "enum": [s.value for s in ModelStage]}
SEARCH_QUERY = {
    "filter": STR,
    "max_results": {"type": "integer", "minimum": 1, "maximum": 1000},  # models; see versions
    "order_by": array(STR),
    "page_token": STR,
}
AUDIT_FIELDS = {
    "user_id": STR,
    "comment": STR,
    "evidence_uri": STR,
    "metrics": {"type": "object", "additionalProperties": double()},
}

OPENAPI_SCHEMAS: dict[str, dict[str, Any]] = {
    "ModelVersion": obj(
        ("name", "version", "current_stage", "source", "status"),
        name=STR,
        version=STR,
        creation_timestamp={"type": "integer"},
        last_updated_timestamp={"type": "integer"},
        user_id=STR,
        current_stage=STAGE,
        description=STR,
        source=STR,
        run_id=STR,
        run_link=STR,
        status={"type": "string", "enum": ["READY"]},
        tags=array(ref("KeyValue")),
        aliases=array(STR),
        experiment_id=STR,
        signature=STR,
        flavors=array(STR),
    ),
    "ModelVersionEvent": obj(
        ("name", "version", "kind", "user_id", "timestamp"),
        name=STR,
        version=STR,
        kind={"type": "string", "enum": ["stage", "alias_set", "alias_deleted"]},
        to={"type": "string", "nullable": True},
        user_id=STR,
        timestamp={"type": "integer"},
        comment={"type": "string", "nullable": True},
        evidence_uri={"type": "string", "nullable": True},
        metrics={"type": "object", "additionalProperties": double()},
        alias={"type": "string", "nullable": True},
        **{"from": {"type": "string", "nullable": True}},
    ),
    "RegisteredModel": obj(
        ("name",),
        name=STR,
        creation_timestamp={"type": "integer"},
        last_updated_timestamp={"type": "integer"},
        description=STR,
        latest_versions=array(ref("ModelVersion")),
        tags=array(ref("KeyValue")),
        aliases=array(obj(("alias", "version"), alias=STR, version=STR)),
    ),
}
