"""Apply a write retried by a client once: the ``X-Mltrack-Request-Id`` middleware.

A client that lost a write's answer (read timeout, worker killed, proxy 502) sends the write
again with the same request id. :class:`RequestIdMiddleware` answers a known id with the
answer stored the first time, and otherwise serves the request inside
:func:`~jupyter_mltrack.store.sql.client_requests.handling`, so the store records the id in the
same transaction as the write (see ``store/sql/client_requests.py`` for why that matters).
Requests without the header (MLflow clients, reads) pass straight through, as before.

Settings (environment of ``mltrack server``):

==============================================  ==============================================
``MLTRACK_SERVER_REQUEST_ID_RETENTION_HOURS``   how long ids are remembered (default 168 = 7 d)
``MLTRACK_SERVER_REQUEST_ID_MAX_ROWS``          at most this many ids are kept (1,000,000)
==============================================  ==============================================
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from jupyter_mltrack.errors import InvalidParameterError, MltrackError
from jupyter_mltrack.server._http import error_response
from jupyter_mltrack.store.rest.wire import REQUEST_ID_HEADER
from jupyter_mltrack.store.sql import client_requests

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PRUNE_INTERVAL_S", "RequestIdMiddleware"]

logger = logging.getLogger(__name__)

_HEADER = REQUEST_ID_HEADER.lower().encode()
_VALID_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Endpoints that answer ``{}`` on success (runs/update's info is optional, clients re-read
#: it): a replay whose answer was lost can answer ``{}`` too; other endpoints get a 409.
_EMPTY_ANSWER = re.compile(
    r"/(log-batch|log-metric|log-parameter|log-inputs|log-model|set-tag|delete-tag|delete|"
    r"restore|set-experiment-tag|delete-experiment-tag|alias|runs/update|experiments/update)$"
)
#: Seconds between two prunes of old ids by one worker.
PRUNE_INTERVAL_S = 60.0


def _setting(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        raise InvalidParameterError(f"{name}={text!r} is not a number") from None
    if value <= 0:
        raise InvalidParameterError(f"{name}={text!r} must be positive")
    return value


class RequestIdMiddleware:
    """ASGI middleware: answer a retried write once, remembering ids in the database.

    Args:
        app: The tracking server's app.
        engine: The SQL store's engine (the ids live in its ``client_requests`` table).
    """

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        hours = _setting("MLTRACK_SERVER_REQUEST_ID_RETENTION_HOURS", 168)
        self.max_age_ms = int(hours * 3_600_000)
        self.max_rows = int(_setting("MLTRACK_SERVER_REQUEST_ID_MAX_ROWS", 1_000_000))
        self._next_prune = 0.0

    def __getattr__(self, name: str) -> Any:
        # The app's own attributes (routes, state) stay reachable, as before the wrapping.
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _request_id(scope)
        if request_id is None:
            await self.app(scope, receive, send)
            return
        if not _VALID_ID.fullmatch(request_id):
            error = InvalidParameterError(
                f"Invalid {REQUEST_ID_HEADER} header {request_id[:80]!r}: use 1 to 64 letters, "
                "digits or '-_.:' (a uuid4 hex per logical request, reused on retries)"
            )
            await error_response(error)(scope, receive, send)
            return
        known = await run_in_threadpool(client_requests.answer_of, self.engine, request_id)
        if known is not None:
            await self._replay(scope, send, known)
            return
        await self._serve(scope, receive, send, request_id)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        with client_requests.handling(request_id) as state:
            await self.app(scope, receive, keep)
        if state.duplicate:  # a concurrent twin committed first: answer as it did
            known = await run_in_threadpool(client_requests.answer_of, self.engine, request_id)
            await self._replay(scope, send, known or (None, None))
            return
        status = next((m["status"] for m in messages if m["type"] == "http.response.start"), 500)
        if state.claimed and status < 400:
            body = b"".join(
                m.get("body", b"") for m in messages if m["type"] == "http.response.body"
            )
            await run_in_threadpool(
                client_requests.record_answer, self.engine, request_id, status, body
            )
            await self._maybe_prune()
        for message in messages:
            await send(message)

    async def _replay(
        self, scope: Scope, send: Send, known: tuple[int | None, bytes | None]
    ) -> None:
        status, body = known
        if body is None:
            if not _EMPTY_ANSWER.search(scope.get("path", "")):
                error = client_requests.RequestAlreadyApplied(
                    "This request was applied already, but the server stopped before it kept "
                    "the answer; look the result up (e.g. search for the run or version) "
                    "instead of sending the request again"
                )
                await _send_error(send, error)
                return
            status, body = 200, b"{}"
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-mltrack-request-replayed", b"true"),
        ]
        await send({"type": "http.response.start", "status": status or 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_INTERVAL_S
        try:
            removed = await run_in_threadpool(
                client_requests.prune,
                self.engine,
                max_age_ms=self.max_age_ms,
                max_rows=self.max_rows,
            )
        except MltrackError as exc:  # pruning is housekeeping: never fail the request for it
            logger.warning("Could not prune old client request ids: %s", exc.message)
            return
        if removed:
            logger.debug("Pruned %d old client request ids", removed)


def _request_id(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope.get("method") in _READS:
        return None
    for name, value in scope.get("headers", ()):
        if name == _HEADER:
            text: str = value.decode("latin-1")
            return text
    return None


async def _send_error(send: Send, error: MltrackError) -> None:
    response = error_response(error)
    headers: list[Any] = response.raw_headers
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
