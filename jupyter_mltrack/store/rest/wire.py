"""MLflow's wire conventions, both ways: proto-JSON doubles, GET query strings, credentials.

Non-finite doubles travel as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (the
MLflow client rejects bare ``NaN`` tokens); a GET request carries its message in the query
string with repeated keys for lists.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from jupyter_mltrack.entities.metric import float_to_json
from jupyter_mltrack.errors import StoreError

__all__ = [
    "REQUEST_ID_HEADER",
    "ServerUnreachable",
    "basic_auth",
    "dumps",
    "encode_query",
    "float_from_json",
    "new_request_id",
    "split_credentials",
]

#: The header of a write's client request id: the same id on every retry, so an mltrack server
#: applies the request once (an MLflow server ignores it).
REQUEST_ID_HEADER = "X-Mltrack-Request-Id"


class ServerUnreachable(StoreError):
    """The tracking server could not be reached (or kept answering 502-504) after every retry."""


def new_request_id() -> str:
    """Return a fresh client request id (32 hex digits)."""
    return uuid.uuid4().hex


def dumps(message: Mapping[str, Any]) -> bytes:
    """Encode a message as JSON with non-finite floats as MLflow's strings (never bare NaN)."""
    try:
        return json.dumps(message, allow_nan=False, separators=(",", ":")).encode()
    except ValueError:  # a NaN/inf somewhere the codec did not pre-encode: rare, so walk then
        return json.dumps(_finite(message), separators=(",", ":")).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return float_to_json(value)
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def float_from_json(value: Any) -> float:
    """Decode a proto-JSON double: a number, ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` or null."""
    if value is None:
        return 0.0
    try:
        return float(value)  # float() reads "NaN", "Infinity", "-Infinity" and "1.5" as well
    except (TypeError, ValueError):
        raise StoreError(f"The server sent {value!r} where a number was expected") from None


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """Return ``url`` without ``user:password@`` and the credentials it carried, if any."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    clean = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    user = urllib.parse.unquote(parts.username)
    return clean, (user, urllib.parse.unquote(parts.password or ""))


def encode_query(message: Mapping[str, Any]) -> str:
    """Encode a GET message: lists repeat their key, booleans are ``true``/``false``."""
    pairs: list[tuple[str, str]] = []
    for key, value in message.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None:
                continue
            if isinstance(item, bool):
                item = "true" if item else "false"
            pairs.append((key, str(item)))
    return urllib.parse.urlencode(pairs)


def basic_auth(user: str, password: str) -> str:
    """The ``Authorization`` value of HTTP Basic credentials."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"
