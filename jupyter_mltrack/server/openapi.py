"""The OpenAPI 3 description of the tracking server, served at ``/openapi.json``.

Each route module exports ``OPENAPI`` (its path items) and may export ``OPENAPI_SCHEMAS`` (extra
component schemas); :func:`build_spec` merges them with the shared components below. The small
builders (:func:`post`, :func:`get`, :func:`obj` ...) keep the route modules' entries short.
Shapes are described as they are sent: optional fields are not ``required``, floats may be the
strings ``"NaN"``/``"Infinity"``/``"-Infinity"``, and unknown fields are allowed (as MLflow's
client ignores them).
"""

from __future__ import annotations

from typing import Any

from jupyter_mltrack._version import __version__

__all__ = [
    "ERRORS",
    "INT64",
    "KEY",
    "RUN_ID_FIELDS",
    "build_spec",
    "double",
    "get",
    "obj",
    "post",
    "ref",
    "run_message",
]

Schema = dict[str, Any]

INT64: Schema = {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
NONNEG_INT64: Schema = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
#: A param/metric/tag key as the store accepts it.
KEY: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 250,
    "pattern": r"^[A-Za-z0-9_.\- ][A-Za-z0-9_.\-/ ]*$",
}
STR: Schema = {"type": "string"}
NONEMPTY: Schema = {"type": "string", "minLength": 1}
BOOL: Schema = {"type": "boolean"}
NON_FINITE: Schema = {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}


def double() -> Schema:
    """A proto-JSON double: a number or one of the non-finite strings."""
    return {"oneOf": [{"type": "number"}, NON_FINITE]}


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema, **extra: Any) -> Schema:
    """An array schema."""
    return {"type": "array", "items": items, **extra}


def obj(required: tuple[str, ...] = (), /, **properties: Schema) -> Schema:
    """An object schema with ``properties``; the names in ``required`` must be present.

    Optional properties are nullable: a proto-JSON ``null`` means "not given".
    """
    props = {
        name: _strip(schema) if name in required else _nullable(schema)
        for name, schema in properties.items()
    }
    out: Schema = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


def _strip(schema: Schema) -> Schema:
    return {k: v for k, v in schema.items() if k != _NOT_NULL} if _NOT_NULL in schema else schema


def _nullable(schema: Schema) -> Schema:
    if "$ref" in schema or "oneOf" in schema or _NOT_NULL in schema:
        return _strip(schema)
    out = {**schema, "nullable": True}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


# Marks a property that stays non-nullable although it is optional (removed from the output).
_NOT_NULL = "x-mltrack-not-null"

#: The run id under its current and its legacy name; requests need one of them.
RUN_ID_FIELDS: dict[str, Schema] = {
    "run_id": {**NONEMPTY, _NOT_NULL: True},
    "run_uuid": {**NONEMPTY, _NOT_NULL: True},
}


def run_message(required: tuple[str, ...] = (), /, **properties: Schema) -> Schema:
    """An object schema naming a run by ``run_id`` or ``run_uuid`` (at least one)."""
    schema = obj(required, **RUN_ID_FIELDS, **properties)
    schema["anyOf"] = [{"required": ["run_id"]}, {"required": ["run_uuid"]}]
    return schema


_ERROR_RESPONSE = {
    "description": "An MLflow error: error_code (e.g. RESOURCE_DOES_NOT_EXIST) and a message",
    "content": {"application/json": {"schema": ref("Error")}},
}

#: The error responses every operation may give.
ERRORS: dict[str, Any] = {
    "400": _ERROR_RESPONSE,
    "401": _ERROR_RESPONSE,
    "403": _ERROR_RESPONSE,
    "404": _ERROR_RESPONSE,
    "413": _ERROR_RESPONSE,
    "501": _ERROR_RESPONSE,
}


def _operation(summary: str, tag: str, response: Schema | None) -> dict[str, Any]:
    ok = {"description": "Success"}
    if response is not None:
        ok["content"] = {"application/json": {"schema": response}}  # type: ignore[assignment]
    return {"summary": summary, "tags": [tag], "responses": {"200": ok, **ERRORS}}


def post(summary: str, tag: str, body: Schema, response: Schema | None = None) -> dict[str, Any]:
    """An operation with a JSON request body (POST, PATCH or DELETE as MLflow uses them)."""
    op = _operation(summary, tag, response if response is not None else obj())
    # A body whose fields are all optional may be left out: an empty body means {}.
    needed = bool(body.get("required") or body.get("anyOf"))
    op["requestBody"] = {"required": needed, "content": {"application/json": {"schema": body}}}
    return op


def get(
    summary: str,
    tag: str,
    params: dict[str, Schema],
    response: Schema | None = None,
    *,
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """An operation taking its message from the query string."""
    op = _operation(summary, tag, response if response is not None else obj())
    op["parameters"] = [
        {"name": name, "in": "query", "required": name in required, "schema": _strip(schema)}
        for name, schema in params.items()
    ]
    return op


_KEY_VALUE = obj(("key",), key=STR, value=STR)

COMPONENTS: dict[str, Schema] = {
    "Error": obj(("error_code", "message"), error_code=STR, message=STR),
    "KeyValue": _KEY_VALUE,
    "Experiment": obj(
        ("experiment_id", "name", "artifact_location", "lifecycle_stage"),
        experiment_id=STR,
        name=STR,
        artifact_location=STR,
        lifecycle_stage={"type": "string", "enum": ["active", "deleted"]},
        last_update_time=INT64,
        creation_time=INT64,
        tags=array(ref("KeyValue")),
    ),
    "RunInfo": obj(
        ("run_id", "run_uuid", "experiment_id", "status", "lifecycle_stage", "artifact_uri"),
        run_id=STR,
        run_uuid=STR,
        experiment_id=STR,
        run_name=STR,
        user_id=STR,
        status={"type": "string", "enum": ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]},
        start_time=INT64,
        end_time=INT64,
        artifact_uri=STR,
        lifecycle_stage={"type": "string", "enum": ["active", "deleted"]},
    ),
    "LatestMetric": obj(("key", "value"), key=STR, value=double(), timestamp=INT64, step=INT64),
    "Metric": obj(
        ("key", "value", "timestamp", "step"),
        key=STR,
        value=double(),
        timestamp=INT64,
        step=INT64,
    ),
    "RunData": obj(
        metrics=array(ref("LatestMetric")),
        params=array(ref("KeyValue")),
        tags=array(ref("KeyValue")),
    ),
    "Run": obj(
        ("info", "data"), info=ref("RunInfo"), data=ref("RunData"), inputs=obj(), outputs=obj()
    ),
    "FileInfo": obj(("path", "is_dir"), path=STR, is_dir=BOOL, file_size=INT64),
}


def build_spec() -> dict[str, Any]:
    """Return the OpenAPI document of every route module the app serves."""
    from jupyter_mltrack.server.app import route_modules

    paths: dict[str, Any] = {}
    schemas = dict(COMPONENTS)
    for module in route_modules():
        for path, item in getattr(module, "OPENAPI", {}).items():
            paths.setdefault(path, {}).update(item)
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "jupyter_mltrack tracking server",
            "version": __version__,
            "description": (
                "MLflow REST API 2.0 compatible tracking server. Errors are JSON objects with "
                "error_code and message; non-finite floats travel as the strings NaN, Infinity "
                "and -Infinity."
            ),
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas},
    }
