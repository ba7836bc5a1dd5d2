"""Request and response helpers shared by every route module of the tracking server.

Requests follow MLflow's proto-JSON conventions: GET calls carry their message in the query
string (every value a string), other calls in a JSON body where int64 values may be numbers or
numeric strings and non-finite floats are the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.
The ``get_*`` accessors accept both spellings and raise :class:`InvalidParameterError` with
MLflow's wording, so a bad request is always a 400, never a 500 (MLflow clients retry 5xx for
minutes). Responses never carry bare ``NaN``/``Infinity`` tokens, which the MLflow client's
parser rejects.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jupyter_mltrack.entities import float_to_json
from jupyter_mltrack.errors import InvalidParameterError, MltrackError, RequestTooLarge
from jupyter_mltrack.server._wording import invalid_type as _invalid
from jupyter_mltrack.server._wording import invalid_value
from jupyter_mltrack.store.search import decode_page_token, encode_page_token

if TYPE_CHECKING:
    from starlette.requests import Request

    from jupyter_mltrack.server.context import ServerContext

__all__ = [
    "API",
    "JSON_TYPE",
    "blocking",
    "error_response",
    "get_bool",
    "get_float",
    "get_int",
    "get_list",
    "get_max_results",
    "get_page_token",
    "get_str",
    "get_tags",
    "invalid_value",
    "json_body",
    "ok",
    "page_token_decode",
    "page_token_encode",
    "paged",
    "query_params",
    "read_limited",
    "run_id_of",
]

T = TypeVar("T")
JSON_TYPE = "application/json"
#: The path prefix of MLflow's tracking and registry endpoints.
API = "/api/2.0/mlflow"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Built once: json.dumps with non-default options constructs a new encoder on every call.
_encode = json.JSONEncoder(allow_nan=False, separators=(",", ":"), ensure_ascii=False).encode
_EMPTY = b"{}"

page_token_encode = encode_page_token
page_token_decode = decode_page_token


# -- bodies ------------------------------------------------------------------------------------
async def read_limited(request: Request, limit: int) -> bytes:
    """Return the whole request body, refusing (413) one over ``limit`` bytes.

    The declared Content-Length is checked before reading anything; the byte count is checked
    again while reading, for chunked bodies and lying clients.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InvalidParameterError(f"Invalid Content-Length header {declared!r}")
        if int(declared) > limit:
            raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _too_large(total, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> RequestTooLarge:
    return RequestTooLarge(
        f"The request body has {size} bytes or more; this server accepts at most {limit}. "
        "Send less per request (e.g. split a log-batch) or raise the server's limit."
    )


async def json_body(request: Request, ctx: ServerContext) -> dict[str, Any]:
    """Parse the request's JSON object; an empty body is ``{}``.

    Raises:
        InvalidParameterError: The body is not valid JSON or not a JSON object.
        RequestTooLarge: The body is larger than ``ctx.max_json_bytes``.
    """
    body = await read_limited(request, ctx.max_json_bytes)
    if not body.strip():
        return {}
    try:
        msg = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidParameterError(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(msg, dict):
        raise InvalidParameterError(
            f"The request body must be a JSON object, got {type(msg).__name__}"
        )
    if _SUSPECT_ESCAPE.search(body):  # rare: only then walk the message
        _check_strings(msg)
    return msg


# JSON can carry a NUL or a lone UTF-16 surrogate only as a \u escape. Neither can be stored
# (PostgreSQL refuses NUL in text, no database driver encodes a lone surrogate), so both are
# refused here as 400 rather than failing in the database as 500.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise InvalidParameterError(f"Text values may not contain NUL characters: {text[:50]!r}")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise InvalidParameterError(
            f"Text value {text[:50]!r} is not valid Unicode (a lone UTF-16 surrogate)"
        ) from None


def query_params(request: Request) -> dict[str, Any]:
    """Return the query string as a dict; keys given more than once map to a list of values."""
    out: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if "\x00" in value:
            _check_text(value)
        if key in out:
            previous = out[key]
            if isinstance(previous, list):
                previous.append(value)
            else:
                out[key] = [previous, value]
        else:
            out[key] = value
    return out


# -- field accessors ---------------------------------------------------------------------------
def _missing(name: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"Missing value for required parameter '{name}'. "
        "See the API docs for more information about request parameters."
    )


def get_max_results(
    msg: Mapping[str, Any], default: int, limit: int, *, store_worded: bool = False
) -> int:
    """Return ``max_results`` (``default`` if absent), refusing values over MLflow's ``limit``
    with MLflow's words (a positive number is required, as MLflow's stores do).

    Args:
        store_worded: Say "It must be at most N" as MLflow's store does for experiments, rather
            than its request validator's type hint.
    """
    value = get_int(msg, "max_results", required=False, default=default)
    if value > limit:
        if store_worded:
            raise InvalidParameterError(
                f"{invalid_value('max_results', value)}. It must be at most {limit}"
            )
        raise _invalid("max_results", msg.get("max_results"))
    if value < 1:
        raise InvalidParameterError(
            f"{invalid_value('max_results', value)}. It must be a positive integer"
        )
    return value


def _field(msg: Mapping[str, Any], name: str, required: bool) -> Any:
    value = msg.get(name)
    if (value is None or value == "") and required:
        raise _missing(name)
    return value


@overload
def get_str(msg: Mapping[str, Any], name: str, *, required: Literal[True] = ...) -> str: ...
@overload
def get_str(
    msg: Mapping[str, Any], name: str, *, required: Literal[False], default: str
) -> str: ...
@overload
def get_str(
    msg: Mapping[str, Any], name: str, *, required: Literal[False], default: None = ...
) -> str | None: ...
def get_str(
    msg: Mapping[str, Any], name: str, *, required: bool = True, default: str | None = None
) -> str | None:
    """Return a string field; a missing (or, when required, empty) one is ``default``/an error."""
    value = _field(msg, name, required)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _invalid(name, value, "a string")
    return value


@overload
def get_int(msg: Mapping[str, Any], name: str, *, required: Literal[True] = ...) -> int: ...
@overload
def get_int(
    msg: Mapping[str, Any], name: str, *, required: Literal[False], default: int
) -> int: ...
@overload
def get_int(
    msg: Mapping[str, Any], name: str, *, required: Literal[False], default: None = ...
) -> int | None: ...
def get_int(
    msg: Mapping[str, Any], name: str, *, required: bool = True, default: int | None = None
) -> int | None:
    """Return an int64 field given as a JSON number or a numeric string (proto-JSON int64)."""
    value = _field(msg, name, required)
    if value is None or value == "":
        return default
    kind = type(value)
    if kind is int:
        number = value
    elif (kind is float and value.is_integer()) or (
        kind is str and value.strip().lstrip("+-").isdigit()
    ):
        number = int(value)
    else:
        raise _invalid(name, value, "an integer")
    if not INT64_MIN <= number <= INT64_MAX:
        raise InvalidParameterError(f"{invalid_value(name, value)}: it does not fit in int64")
    return number  # type: ignore[no-any-return]


@overload
def get_float(msg: Mapping[str, Any], name: str, *, required: Literal[True] = ...) -> float: ...
@overload
def get_float(
    msg: Mapping[str, Any], name: str, *, required: Literal[False], default: float
) -> float: ...
@overload
def get_float(
    msg: Mapping[str, Any], name: str, *, required: Literal[False], default: None = ...
) -> float | None: ...
def get_float(
    msg: Mapping[str, Any], name: str, *, required: bool = True, default: float | None = None
) -> float | None:
    """Return a double given as a number or a string: ``"1.5"``, ``"NaN"``, ``"-Infinity"``."""
    value = _field(msg, name, required)
    if value is None or value == "":
        return default
    return to_float(name, value)


#: The largest int a double holds (a JSON integer literal beyond it would overflow float()).
_DOUBLE_INT_MAX = int(sys.float_info.max)


def to_float(name: str, value: object) -> float:
    """Convert one proto-JSON double (number or numeric string) to a float."""
    kind = type(value)
    if kind is float:
        return value  # type: ignore[return-value]
    if kind is int:
        if abs(value) <= _DOUBLE_INT_MAX:  # type: ignore[arg-type]
            return float(value)  # type: ignore[arg-type]
        raise _invalid(name, value, "a number within the range of a 64-bit float")
    if kind is str:
        try:
            return float(value)  # type: ignore[arg-type]
        except ValueError:
            pass
    raise _invalid(name, value, 'a number or one of "NaN", "Infinity", "-Infinity"')


def get_bool(
    msg: Mapping[str, Any], name: str, *, required: bool = False, default: bool = False
) -> bool:
    """Return a boolean given as JSON ``true``/``false`` or the strings ``"true"``/``"false"``."""
    value = _field(msg, name, required)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _invalid(name, value, "true or false")


def get_list(
    msg: Mapping[str, Any], name: str, *, required: bool = False, item: type[T] | None = None
) -> list[T]:
    """Return a list field (a single query-string value counts as a list of one).

    Args:
        item: If given, every element must be an instance of this type.
    """
    value = _field(msg, name, required)
    if value is None:
        return []
    if not isinstance(value, list):
        if isinstance(value, str) and (item is None or item is str):
            return [value]  # type: ignore[list-item]
        raise _invalid(name, value, "a list")
    if item is not None:
        for element in value:
            # bool is an int subclass: only a list of bool may hold booleans.
            if not isinstance(element, item) or isinstance(element, bool) is not (item is bool):
                raise _invalid(name, element, f"a list of {item.__name__}")
    if required and not value:
        raise _missing(name)
    return value


def get_tags(msg: Mapping[str, Any], name: str = "tags") -> dict[str, str]:
    """Return a ``[{"key": k, "value": v}, ...]`` field as a dict (last one wins)."""
    out: dict[str, str] = {}
    entry: Any
    for entry in get_list(msg, name):
        if not isinstance(entry, dict):
            raise _invalid(name, entry, 'a list of {"key": ..., "value": ...} objects')
        out[get_str(entry, "key")] = get_str(entry, "value", required=False, default="")
    return out


def get_page_token(msg: Mapping[str, Any], name: str = "page_token") -> str | None:
    """Return a page token after checking it is one this server could have issued.

    Stores decode tokens themselves; an offset beyond int64 would fail in the database, so it is
    refused here.
    """
    token = get_str(msg, name, required=False)
    if token:
        offset = page_token_decode(token)
        if not 0 <= offset <= INT64_MAX:
            raise InvalidParameterError(
                f"Invalid {name} {token!r}: pass the token returned by the previous page"
            )
    return token


def run_id_of(msg: Mapping[str, Any]) -> str:
    """Return the run id of a request: ``run_id``, or the legacy ``run_uuid``."""
    run_id = msg.get("run_id") or msg.get("run_uuid")
    if run_id is None or run_id == "":
        raise _missing("run_id")
    if not isinstance(run_id, str):
        raise _invalid("run_id", run_id, "a string")
    return run_id


# -- responses ---------------------------------------------------------------------------------
def ok(payload: Mapping[str, Any] | None = None) -> Response:
    """Return a 200 JSON response; ``{}`` when there is no payload.

    Non-finite floats anywhere in ``payload`` go out as ``"NaN"``, ``"Infinity"`` or
    ``"-Infinity"``. Entities already encode them, so the common case is one plain dump.
    """
    if not payload:
        return Response(_EMPTY, media_type=JSON_TYPE)
    try:
        text = _encode(payload)
    except ValueError:  # a bare non-finite float somewhere: rare, so walk only then
        text = _encode(_finite(payload))
    return Response(text.encode(), media_type=JSON_TYPE)


def paged(name: str, items: list[Any], token: str | None) -> dict[str, Any]:
    """Return one page of a search the proto-JSON way: empty lists and a missing token omitted."""
    out: dict[str, Any] = {name: items} if items else {}
    if token:
        out["next_page_token"] = token
    return out


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return float_to_json(value)
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def error_response(error: MltrackError) -> Response:
    """Return MLflow's error JSON for ``error`` with its HTTP status."""
    return Response(_encode(error.to_dict()).encode(), error.http_status, media_type=JSON_TYPE)


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking (store or file system) call in the threadpool and return its result."""
    return await run_in_threadpool(fn, *args, **kwargs)
