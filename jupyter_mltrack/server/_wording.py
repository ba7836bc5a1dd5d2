"""MLflow's wording for refused request values, which MLflow clients and their tests match on.

The tracking server speaks these; the Python API and CLI keep their own, clearer messages.
"""

from __future__ import annotations

import json

from jupyter_mltrack.errors import InvalidParameterError

__all__ = ["invalid_type", "invalid_value"]


def invalid_type(name: str, value: object, expected: str = "") -> InvalidParameterError:
    """MLflow's wording for a value of the wrong type: the value as JSON (strings quoted),
    then its Python type name, so clients and tests that match MLflow's text match ours.

    ``expected`` is kept for readers of the code; MLflow's message does not carry it.
    """
    return InvalidParameterError(
        f"{invalid_value(name, value)}:  Hint: Value was of type '{type(value).__name__}'. "
        "See the API docs for more information about request parameters."
    )


def invalid_value(name: str, value: object) -> str:
    """Return MLflow's ``Invalid value <json> for parameter '<name>' supplied`` (no period)."""
    try:
        shown = json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        shown = repr(value)
    if len(shown) > 100:
        shown = shown[:100] + "..."
    return f"Invalid value {shown} for parameter '{name}' supplied"
