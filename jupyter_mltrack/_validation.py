"""Input validation at the API boundary, shared by the fluent API, the client and the stores.

The checks run on the ``log_metric`` hot path, so key validation is memoised and the common value
types take a fast path.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Mapping

from jupyter_mltrack.errors import InvalidParameterError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_ENTITY_NAME_LENGTH = 500
MAX_BATCH_METRICS = 1000
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


def validate_param_value(key: str, value: object) -> str:
    """Return the string form of a param value, refusing values over the length limit."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidParameterError(
            f"Param {key!r} value is {len(text)} characters; the limit is "
            f"{MAX_PARAM_VALUE_LENGTH}. Log long values as an artifact (log_text/log_dict)."
        )
    return text


def validate_tag_value(key: str, value: object) -> str:
    """Return the string form of a tag value, refusing values over the length limit."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidParameterError(
            f"Tag {key!r} value is {len(text)} characters; the limit is {MAX_TAG_VALUE_LENGTH}"
        )
    return text


def validate_metric_value(key: str, value: object) -> float:
    """Return ``value`` as a float; bools and numpy scalars count as numbers, strings do not."""
    kind = type(value)
    if kind is float:
        return value  # type: ignore[return-value]
    if kind is int or kind is bool:
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, (str, bytes)) or not hasattr(value, "__float__"):
        raise InvalidParameterError(
            f"Metric {key!r} value must be a number, got {kind.__name__} {value!r}"
        )
    try:
        return float(value)  # type: ignore[arg-type]
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
    return name


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
    return "" if normal == "." else normal
