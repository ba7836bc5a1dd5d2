"""Input checks of the registry client: model names, versions, aliases, descriptions.

The client refuses malformed input here with :class:`~jupyter_mltrack.errors.
InvalidParameterError` before the store sees it; the store decides existence
(``RegisteredModelNotFound``, ``ModelVersionNotFound``) and uniqueness.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from jupyter_mltrack._validation import validate_key, validate_tag_value, validate_text
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_LIMIT

__all__ = [
    "MAX_ALIAS_LENGTH",
    "MAX_MODEL_NAME_LENGTH",
    "MAX_RESULTS_LIMIT",
    "check_alias",
    "check_description",
    "check_max_results",
    "check_model_name",
    "check_order_by",
    "check_tag",
    "check_tags",
    "check_version",
]

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 100_000
MAX_RESULTS_LIMIT = SEARCH_MAX_RESULTS_LIMIT
_ALIAS_RE = re.compile(r"[A-Za-z0-9_-]+")
_VERSION_LIKE_RE = re.compile(r"[vV]?\d+")
# These characters would make models:/ URIs ambiguous: models:/<name>/<version>, <name>@<alias>.
_NAME_FORBIDDEN = ("/", "@", ":")


def check_model_name(name: object, *, what: str = "Registered model") -> str:
    """Return ``name`` if it can name a registered model, else raise InvalidParameterError."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(
            f"{what} name must be a non-empty string, got {name!r}; e.g. 'churn-classifier'"
        )
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise InvalidParameterError(
            f"{what} name {name[:40]!r}... is {len(name)} characters; "
            f"the limit is {MAX_MODEL_NAME_LENGTH}"
        )
    if name != name.strip() or any(ch in name for ch in _NAME_FORBIDDEN):
        raise InvalidParameterError(
            f"{what} name {name!r} may not start or end with whitespace nor contain "
            "'/', '@' or ':' (they separate the parts of models:/ URIs)"
        )
    if any(ord(ch) < 32 for ch in name):
        raise InvalidParameterError(f"{what} name {name!r} contains a control character")
    return name


def check_version(version: object) -> int:
    """Return a model version number (``3``, ``"3"``) as an int, else raise."""
    if isinstance(version, bool):
        number = None
    elif isinstance(version, int):
        number = version
    elif isinstance(version, str) and version.strip().isdigit():
        number = int(version.strip())
    else:
        number = None
    if number is None or number < 1:
        raise InvalidParameterError(
            f"Model version must be a positive integer like 3 or '3', got {version!r}"
        )
    return number


def check_alias(alias: object) -> str:
    """Return ``alias`` if it is a valid alias name (``champion``, ``prod-eu``), else raise."""
    if not isinstance(alias, str) or not _ALIAS_RE.fullmatch(alias):
        raise InvalidParameterError(
            f"Alias {alias!r} is invalid; aliases use letters, digits, '_' and '-' only, "
            "e.g. 'champion'"
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameterError(
            f"Alias {alias[:40]!r}... is {len(alias)} characters; the limit is {MAX_ALIAS_LENGTH}"
        )
    if _VERSION_LIKE_RE.fullmatch(alias) or alias.lower() == "latest":
        raise InvalidParameterError(
            f"Alias {alias!r} looks like a version number or 'latest', which models:/ URIs "
            "already mean; pick a name such as 'champion'"
        )
    return alias


def check_description(description: object) -> str:
    """Return a markdown description (a string of at most 100,000 characters), else raise."""
    if not isinstance(description, str):
        raise InvalidParameterError(
            f"Description must be a (markdown) string, got {type(description).__name__}"
        )
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidParameterError(
            f"Description is {len(description)} characters; the limit is "
            f"{MAX_DESCRIPTION_LENGTH}. Link a longer document instead."
        )
    return validate_text("Description", description)


def check_tag(key: str, value: object) -> tuple[str, str]:
    """Return a validated ``(key, value)`` tag pair."""
    key = validate_key("Tag", key)
    return key, validate_tag_value(key, value)


def check_tags(tags: Mapping[str, object] | None) -> dict[str, str]:
    """Return validated tags (keys and string values) as a new dict."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidParameterError(f"Tags must be a mapping of key to value, got {tags!r}")
    return dict(check_tag(str(k), v) for k, v in tags.items())


def check_max_results(max_results: object, *, limit: int = MAX_RESULTS_LIMIT) -> int:
    """Return ``max_results`` if it is an int in ``1..limit``, else raise."""
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        raise InvalidParameterError(f"max_results must be an integer, got {max_results!r}")
    if not 1 <= max_results <= limit:
        raise InvalidParameterError(f"max_results must be between 1 and {limit}, got {max_results}")
    return max_results


def check_order_by(order_by: Sequence[str] | str | None) -> list[str] | None:
    """Return ``order_by`` as a list of clauses (a single string is one clause)."""
    if order_by is None:
        return None
    clauses = [order_by] if isinstance(order_by, str) else list(order_by)
    if not all(isinstance(c, str) and c.strip() for c in clauses):
        raise InvalidParameterError(
            f"order_by must be clauses like 'name ASC' or 'last_updated_timestamp DESC', "
            f"got {order_by!r}"
        )
    return clauses or None
