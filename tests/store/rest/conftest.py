"""Fixtures of the REST-store tests: our tracking server on uvicorn, a request recorder, and a
scripted stdlib HTTP server for retry and error behaviour.

Every server here is real and listens on 127.0.0.1; nothing is mocked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from rest_helpers import Recorded, Scripted, TrackingServer, json_reply, recording
from rest_server import serve_app

from jupyter_mltrack.store.rest import RestStore


@pytest.fixture
def tracking_server(tmp_path: Path) -> Iterator[TrackingServer]:
    """Our tracking server (fresh SQLite store, artifacts in tmp) with a request recorder."""
    from jupyter_mltrack.server import create_app, open_server_store

    backing = open_server_store(f"sqlite:///{tmp_path / 'server.db'}")
    artifacts = tmp_path / "server-artifacts"
    requests: list[Recorded] = []
    live = serve_app(recording(create_app(backing, str(artifacts)), requests))
    yield TrackingServer(url=live.url, backing=backing, artifacts=artifacts, requests=requests)
    live.stop()
    backing.close()


@pytest.fixture
def rest_store(tracking_server: TrackingServer) -> RestStore:
    """A REST store on ``tracking_server``."""
    return RestStore(tracking_server.url)


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    """A real HTTP server on a free port whose answers the test scripts."""
    state = Scripted(url="", replies=[json_reply(200, {})])
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            with lock:
                state.seen.append(
                    Recorded(
                        self.command,
                        path,
                        query,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                status, headers, payload = (
                    state.replies.pop(0) if len(state.replies) > 1 else state.replies[0]
                )
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Return ``set(n)``: clients created afterwards retry ``n`` times with a 10 ms backoff."""

    def configure(retries: int) -> None:
        monkeypatch.setenv("MLTRACK_HTTP_REQUEST_MAX_RETRIES", str(retries))
        monkeypatch.setenv("MLTRACK_HTTP_REQUEST_BACKOFF_FACTOR", "0.01")

    return configure
