"""Typed project parameters: parsing command-line strings and checking values by type."""

from __future__ import annotations

import ast
import json
import os
from typing import Any

from jupyter_mltrack.errors import InvalidParameterError

__all__ = ["PARAMETER_TYPES", "convert_value", "format_param", "infer_type", "is_remote"]

PARAMETER_TYPES = ("string", "int", "float", "bool", "path", "uri", "list", "dict")
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def infer_type(value: Any) -> str:
    """Return the parameter type of a default value (``string`` when nothing fits better)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return "string"


def is_remote(value: str) -> bool:
    """Whether ``value`` is a URI to download (``s3://``, ``memory://``, ``runs:/``...), not
    a local path or ``file://`` URI."""
    from jupyter_mltrack.models.uri import uri_scheme

    return uri_scheme(value) not in ("", "file")


def convert_value(name: str, type_: str, value: Any, *, base_dir: str | None = None) -> Any:
    """Return ``value`` as a ``type_`` value; strings are parsed (e.g. from ``-P k=v``).

    A local ``path`` (or ``file://`` URI) becomes absolute against ``base_dir`` (default: the
    working directory) and must exist; a remote one is returned as given, to be downloaded by
    the runner. A non-empty ``uri`` without a scheme is a local path, made absolute likewise.

    Raises:
        InvalidParameterError: The value does not parse as ``type_`` (the message names
            ``name``), or a ``path`` does not exist.
    """
    if value is None:
        if type_ == "path":
            raise InvalidParameterError(f"Parameter {name!r} (path) has no value and no default")
        return None
    try:
        converted = _CONVERTERS[type_](value)
    except (ValueError, TypeError, SyntaxError) as exc:
        detail = f": {exc}" if str(exc) else ""
        raise InvalidParameterError(
            f"Parameter {name!r} must be of type {type_}, got {value!r}{detail}"
        ) from None
    if type_ == "path":
        if is_remote(converted):
            return converted
        full = _absolute(converted, base_dir)
        if not os.path.exists(full):
            raise InvalidParameterError(f"Parameter {name!r}: path {full!r} does not exist")
        return full
    if type_ == "uri" and converted.strip() and ":" not in converted:
        return _absolute(converted, base_dir)
    return converted


def _absolute(value: str, base_dir: str | None) -> str:
    if value.lower().startswith("file://"):
        from urllib.parse import unquote, urlparse

        value = unquote(urlparse(value).path)
    return os.path.abspath(os.path.join(base_dir or os.getcwd(), os.path.expanduser(value)))


def format_param(value: Any) -> str:
    """Return the string logged as a run param: JSON for lists/dicts/bools, ``str`` otherwise."""
    if isinstance(value, bool | list | dict | tuple) or value is None:
        return json.dumps(value, default=str)
    return str(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a bool is not an int")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    return int(str(value).strip())


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a bool is not a float")
    if isinstance(value, int | float):
        return float(value)
    return float(str(value).strip())


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected true/false")


def _to_str(value: Any) -> str:
    if isinstance(value, list | dict | tuple):
        raise ValueError("expected a string")
    return str(value)


def _parse_literal(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return ast.literal_eval(value.strip())


def _to_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = _parse_literal(text)
        else:  # a,b,c on the command line
            value = [_parse_scalar(part) for part in text.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise ValueError("expected a list")
    return list(value)


def _parse_scalar(text: str) -> Any:
    try:
        return _parse_literal(text)
    except (ValueError, SyntaxError):
        return text.strip()


def _to_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = _parse_literal(value)
    if not isinstance(value, dict):
        raise ValueError("expected a dict (JSON object)")
    return dict(value)


_CONVERTERS: dict[str, Any] = {
    "string": _to_str,
    "uri": _to_str,
    "path": _to_str,
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "list": _to_list,
    "dict": _to_dict,
}
