"""The base of every Lab API handler: auth, store work off the event loop, JSON errors.

Handlers are thin: parse the request, ``await self.call(service_method, ...)`` (which runs it in
the extension's thread pool) and reply. The package's errors become ``{"error_code",
"message"}`` with their HTTP status; anything unexpected is logged here with its traceback and
answered as a 500 JSON that points at the server log (the browser never sees a traceback).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Callable
from concurrent.futures import Executor
from http.client import responses
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from tornado.web import HTTPError

from jupyter_mltrack.errors import InvalidParameterError, MltrackError
from jupyter_mltrack.labserver.config import mask_uri
from jupyter_mltrack.labserver.service import LabService

__all__ = ["MltrackHandler"]

T = TypeVar("T")

#: Errors that mean the store cannot be reached (by class name: the drivers are optional).
_UNREACHABLE = {"OperationalError", "InterfaceError", "ConnectionError", "TimeoutError",
                "MaxRetryError", "NewConnectionError"}  # fmt: skip
_COLUMN = re.compile(r"at column (\d+)")
_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
}


def error_body(exc: MltrackError) -> dict[str, Any]:
    """Return the JSON error of ``exc``; a filter error also carries its 1-based ``column``."""
    body: dict[str, Any] = exc.to_dict()
    match = _COLUMN.search(exc.message) if isinstance(exc, InvalidParameterError) else None
    if match:
        body["column"] = int(match.group(1))
    return body


class MltrackHandler(APIHandler):  # type: ignore[misc]
    """Common plumbing of the ``/mltrack/api/`` handlers."""

    @property
    def lab(self) -> LabService:
        """The extension's service object."""
        service: LabService = self.settings["mltrack_lab_service"]
        return service

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``function`` in the extension's thread pool so the event loop stays free."""
        executor: Executor = self.settings["mltrack_lab_executor"]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, functools.partial(function, *args, **kwargs))

    async def answer(self, function: Callable[..., Any], *args: Any, status: int = 200,
                     **kwargs: Any) -> None:  # fmt: skip
        """Call ``function`` off the loop and reply with its result as JSON (or its error)."""
        try:
            body = await self.call(function, *args, **kwargs)
        except MltrackError as exc:
            self.reply(error_body(exc), status=exc.http_status)
            return
        self.reply(body, status=status)

    def reply(self, body: Any, *, status: int = 200) -> None:
        """Finish with ``body`` as strict JSON (NaN/inf are never written)."""
        self.set_status(status)
        self.finish(json.dumps(body, allow_nan=False, separators=(",", ":")))

    def json_body(self) -> dict[str, Any]:
        """Return the request's JSON object body; a missing or malformed one is a 400."""
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as exc:
            raise _BadBody(f"The request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise _BadBody("The request body must be a JSON object")
        return body

    def set_cors_headers(self) -> None:
        """Send no CORS headers, ever.

        jupyter_server reflects any Origin for token-authenticated requests; the only browser
        client of this API is the same-origin Lab page, and scripts on other origins must not
        read experiment data even when they hold a token. Non-browser tools need no CORS.
        """

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Log unexpected errors with their traceback; the package's own errors are answers."""
        if not isinstance(value, MltrackError):
            super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer every error as ``{"error_code", "message"}`` JSON, without a traceback."""
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, MltrackError):
            self.set_status(exc.http_status)
            self.finish(json.dumps(error_body(exc)))
            return
        if isinstance(exc, HTTPError):
            message = exc.log_message or responses.get(status_code, "Error")
            code = _CODES.get(status_code, "INTERNAL_ERROR" if status_code >= 500 else "ERROR")
        else:
            code, message = self._unexpected(exc)
        self.finish(json.dumps({"error_code": code, "message": message}))

    def _unexpected(self, exc: BaseException | None) -> tuple[str, str]:
        """Describe an error that is not the package's own in one masked line (logged above)."""
        first = next((line for line in str(exc).splitlines() if line.strip()), "")
        what = mask_uri(f"{type(exc).__name__}: {first.strip()}"[:300])
        if any(c.__name__ in _UNREACHABLE for c in type(exc).__mro__):
            self.set_status(503)
            store = mask_uri(self.lab.tracking_uri)
            return "TEMPORARILY_UNAVAILABLE", f"Cannot reach the tracking store at {store}: {what}"
        return "INTERNAL_ERROR", f"{what} (the Jupyter server log has the details)"


class _BadBody(InvalidParameterError):
    """A POST body that is not a JSON object."""
