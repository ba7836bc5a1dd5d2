"""Real HTTP servers for REST-store tests: an ASGI app on uvicorn in a thread, and helpers to
wait for a server process.

Shared by ``tests/contract`` (the ``rest`` backend) and ``tests/store/rest``.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class LiveServer:
    """A uvicorn server in a daemon thread; ``url`` is ``http://127.0.0.1:<port>``."""

    url: str
    port: int
    stop: Callable[[], None]


def free_port() -> int:
    """A port that was free a moment ago (for servers that must bind it themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_app(app: Any, **config: Any) -> LiveServer:
    """Serve an ASGI app with uvicorn on a free 127.0.0.1 port until ``stop()``."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = {"log_level": "warning", "lifespan": "off", "access_log": False, **config}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 20 s")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return LiveServer(url=f"http://127.0.0.1:{port}", port=port, stop=stop)


def wait_for_http(
    url: str, *, timeout: float = 60, alive: Callable[[], bool] = lambda: True
) -> None:
    """Poll ``url`` until it answers 200; raise if ``alive()`` turns false or time runs out."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the server process for {url} exited before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s: {last}")
