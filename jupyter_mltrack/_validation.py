"""Input validation at the API boundary, shared by the fluent API, the client and the stores.

The checks run on the ``log_metric`` hot path, so key validation is memoised and the common value
types take a fast path.
"""

from __future__ import annotations

import functools
import math
import os
import posixpath
import re
from collections.abc import Mapping

from jupyter_mltrack.errors import InvalidParameterError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_ENTITY_NAME_LENGTH = 500
MAX_BATCH_METRICS = 1000
#: The ``user_id`` columns of runs and model versions.
MAX_USER_ID_LENGTH = 256
#: An experiment's artifact location: the 1,000-character artifact URI columns of its runs and
#: logged models hold it plus ``/<run id>/artifacts`` or ``/models/m-<id>/artifacts`` (52 more).
MAX_ARTIFACT_LOCATION_LENGTH = 900
#: Artifact paths become file names: 255 bytes per name is the common file-system limit, and a
#: bound on the whole path keeps folder creation (recursive) and the OS path limit out of reach.
MAX_ARTIFACT_NAME_BYTES = 255
MAX_ARTIFACT_PATH_LENGTH = 1024
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_KEY_RE = re.compile(r"^[\w\-./ ]+$", re.ASCII)


@functools.lru_cache(maxsize=4096)
def validate_key(kind: str, key: str) -> str:
    """Return ``key`` if it is a valid param/metric/tag key, else raise InvalidParameterError."""
    if not isinstance(key, str) or not key:
        raise InvalidParameterError(f"{kind} key must be a non-empty string, got {key!r}")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidParameterError(
            f"{kind} key {key[:40]!r}... is {len(key)} characters; the limit is {MAX_KEY_LENGTH}"
        )
    if not _KEY_RE.match(key):
        raise InvalidParameterError(
            f"Invalid {kind} key {key!r}: keys may contain only letters, digits, "
            "underscores, dashes, periods, slashes and spaces"
        )
    if key.startswith("/") or ".." in key.split("/"):
        raise InvalidParameterError(
            f"Invalid {kind} key {key!r}: no leading '/' and no '..' path segments"
        )
    return key


def validate_text(what: str, text: str) -> str:
    """Return ``text`` if every database can store it: no NUL, no lone UTF-16 surrogate.

    SQLite would keep a NUL that PostgreSQL refuses, and no driver encodes a lone surrogate, so
    both are refused here, the same on every backend (the server refuses them in JSON bodies).
    """
    if "\x00" in text:
        raise InvalidParameterError(f"{what} {text[:50]!r} contains a NUL character; remove it")
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise InvalidParameterError(
                f"{what} {text[:50]!r} is not valid Unicode (a lone UTF-16 surrogate)"
            ) from None
    return text


def validate_param_value(key: str, value: object) -> str:
    """Return the string form of a param value, refusing values over the length limit."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidParameterError(
            f"Param {key!r} value is {len(text)} characters; the limit is "
            f"{MAX_PARAM_VALUE_LENGTH}. Log long values as an artifact (log_text/log_dict)."
        )
    return validate_text(f"Param {key!r} value", text)


def validate_tag_value(key: str, value: object) -> str:
    """Return the string form of a tag value, refusing values over the length limit."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidParameterError(
            f"Tag {key!r} value is {len(text)} characters; the limit is {MAX_TAG_VALUE_LENGTH}"
        )
    return validate_text(f"Tag {key!r} value", text)


def validate_metric_value(key: str, value: object) -> float:
    """Return ``value`` as a float; bools and numpy scalars count as numbers, strings do not."""
    kind = type(value)
    if kind is float:
        return value  # type: ignore[return-value]
    if isinstance(value, (str, bytes)) or not hasattr(value, "__float__"):
        raise InvalidParameterError(
            f"Metric {key!r} value must be a number, got {kind.__name__} {value!r}"
        )
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond the double range: no stored value would be right
        raise InvalidParameterError(
            f"Metric {key!r} value {value!r:.40}... is too large for a 64-bit float; "
            "log float('inf') if infinity is meant"
        ) from None
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"Metric {key!r} value {value!r} is not a number") from exc


def validate_step(key: str, step: object) -> int:
    """Return ``step`` as an int64; ``None`` means 0."""
    if step is None:
        return 0
    if type(step) is not int:
        if isinstance(step, bool) or not hasattr(step, "__index__"):
            raise InvalidParameterError(
                f"Metric {key!r} step must be an integer, got {type(step).__name__} {step!r}"
            )
        step = step.__index__()  # type: ignore[attr-defined]
    if not INT64_MIN <= step <= INT64_MAX:  # type: ignore[operator]
        raise InvalidParameterError(f"Metric {key!r} step {step} does not fit in int64")
    return step  # type: ignore[return-value]


def validate_timestamp(key: str, timestamp: object) -> int:
    """Return a millisecond timestamp as an int64."""
    if type(timestamp) is int and INT64_MIN <= timestamp <= INT64_MAX:
        return timestamp
    if isinstance(timestamp, bool) or not hasattr(timestamp, "__index__"):
        raise InvalidParameterError(
            f"Metric {key!r} timestamp must be integer milliseconds, got {timestamp!r}"
        )
    value = timestamp.__index__()  # type: ignore[attr-defined]
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidParameterError(f"Metric {key!r} timestamp {value} does not fit in int64")
    return int(value)


def validate_name(kind: str, name: object) -> str:
    """Return a stripped experiment/run name, refusing empty or overlong ones."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(f"{kind} name must be a non-empty string, got {name!r}")
    if len(name) > MAX_ENTITY_NAME_LENGTH:
        raise InvalidParameterError(
            f"{kind} name is {len(name)} characters; the limit is {MAX_ENTITY_NAME_LENGTH}"
        )
    return validate_text(f"{kind} name", name)


def validate_user_id(user_id: object) -> str:
    """Return a user id that fits its column on every database."""
    if not isinstance(user_id, str):
        raise InvalidParameterError(f"User id must be a string, got {user_id!r}")
    if len(user_id) > MAX_USER_ID_LENGTH:
        raise InvalidParameterError(
            f"User id {user_id[:40]!r}... is {len(user_id)} characters; the limit is "
            f"{MAX_USER_ID_LENGTH}"
        )
    return user_id


def validate_artifact_location(location: str) -> str:
    """Return an experiment artifact location short enough for its runs' artifact URIs."""
    if len(location) > MAX_ARTIFACT_LOCATION_LENGTH:
        raise InvalidParameterError(
            f"Artifact location {location[:40]!r}... is {len(location)} characters; the limit "
            f"is {MAX_ARTIFACT_LOCATION_LENGTH} (run artifact URIs add their own path to it)"
        )
    return location


def validate_tags(tags: Mapping[str, object] | None) -> dict[str, str]:
    """Validate a mapping of tags and return it with string values."""
    if not tags:
        return {}
    return {validate_key("Tag", k): validate_tag_value(k, v) for k, v in tags.items()}


def validate_artifact_path(path: str | None) -> str:
    """Normalise a relative artifact path and refuse paths that escape the run's artifact root.

    Returns ``""`` for the root itself.
    """
    if path is None or path in ("", ".", "/"):
        return ""
    if not isinstance(path, str):
        raise InvalidParameterError(f"Artifact path must be a string, got {path!r}")
    cleaned = path.replace("\\", "/")
    if cleaned.startswith("/") or re.match(r"^[A-Za-z]:", cleaned) or "\x00" in cleaned:
        raise InvalidParameterError(
            f"Artifact path {path!r} must be relative to the run's artifact root"
        )
    normal = posixpath.normpath(cleaned)
    if normal == ".." or normal.startswith("../") or ".." in cleaned.split("/"):
        raise InvalidParameterError(
            f"Artifact path {path!r} would escape the run's artifact root; remove '..' segments"
        )
    return "" if normal == "." else validate_artifact_length(normal)


def validate_artifact_length(path: str) -> str:
    """Return a relative artifact ``path`` whose names and length every file system takes."""
    validate_text("Artifact path", path)
    if len(path) > MAX_ARTIFACT_PATH_LENGTH:
        raise InvalidParameterError(
            f"Artifact path {path[:40]!r}... is {len(path)} characters; the limit is "
            f"{MAX_ARTIFACT_PATH_LENGTH}"
        )
    for name in path.split("/"):
        if len(name.encode()) > MAX_ARTIFACT_NAME_BYTES:
            raise InvalidParameterError(
                f"Artifact name {name[:40]!r}... is {len(name.encode())} bytes; file systems "
                f"take at most {MAX_ARTIFACT_NAME_BYTES} per file or folder name"
            )
    return path


# -- numbers from MLTRACK_* environment variables ------------------------------------------------
def parse_number(name: str, text: str) -> float:
    """Return ``text`` (the value of variable ``name``) as a non-negative, finite number.

    Raises:
        InvalidParameterError: Not a number, negative, or not finite; the message names the
            variable and its value.
    """
    try:
        value = float(text)
    except ValueError:
        raise InvalidParameterError(f"{name}={text!r} is not a number") from None
    if value < 0 or not math.isfinite(value):
        raise InvalidParameterError(f"{name}={text!r} must be a non-negative number")
    return value


def env_number(name: str, default: float, environ: Mapping[str, str] | None = None) -> float:
    """Return variable ``name`` of ``environ`` (default: ``os.environ``) as a number.

    An unset or blank variable gives ``default``; a malformed one raises (see
    :func:`parse_number`).
    """
    text = (os.environ if environ is None else environ).get(name, "").strip()
    return parse_number(name, text) if text else default
