"""Helpers of the REST-store tests: request records, a recording ASGI wrapper, scripted replies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mltrack.store.sql.store import SqlStore


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class TrackingServer:
    """Our server app on uvicorn; ``requests`` records every request it received."""

    url: str
    backing: SqlStore
    artifacts: Path
    requests: list[Recorded] = field(default_factory=list)

    def calls(self, suffix: str) -> list[Recorded]:
        """The recorded requests whose path ends with ``suffix``."""
        return [r for r in self.requests if r.path.endswith(suffix)]


def recording(app: Any, sink: list[Recorded]) -> Any:
    """Wrap an ASGI app so each HTTP request (with its full body) is appended to ``sink``."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        sink.append(
            Recorded(scope["method"], scope["path"], scope["query_string"].decode(), headers, body)
        )
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await app(scope, replay, send)

    return wrapped


# -- a scripted server ------------------------------------------------------------------------
Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Scripted:
    """A stdlib HTTP server answering from ``replies`` in order (the last one repeats)."""

    url: str
    replies: list[Reply]
    seen: list[Recorded] = field(default_factory=list)

    def script(self, *replies: Reply) -> None:
        self.replies[:] = list(replies)


def json_reply(status: int, payload: Any, **headers: str) -> Reply:
    """A reply with a JSON body."""
    return status, {"Content-Type": "application/json", **headers}, json.dumps(payload).encode()
