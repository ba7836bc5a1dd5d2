"""The JSON error responses of the authentication layer (the middleware and the users API).

Kept apart from the middleware so the users API, which the middleware serves, need not import
the middleware back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from jupyter_mltrack.errors import MltrackError

__all__ = ["error_response"]


def error_response(exc: MltrackError, headers: dict[str, str] | None = None) -> ASGIApp:
    """Return the MLflow-style JSON error response for ``exc`` with its HTTP status."""
    from starlette.responses import JSONResponse

    return JSONResponse(exc.to_dict(), status_code=exc.http_status, headers=headers)
