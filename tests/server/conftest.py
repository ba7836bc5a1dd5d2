"""Fixtures for tracking-server tests: a server store, the app, an in-process client, and a real
uvicorn server on a free 127.0.0.1 port.

``server_app`` builds the app on a fresh SQLite store in ``tmp_path`` (artifacts in
``tmp_path/artifacts``); ``client`` talks to it in-process through Starlette's TestClient;
``live_server`` serves it with uvicorn in a thread and yields its base URL; ``start_server`` does
the same for any ASGI app (auth-wrapped apps, other stores).
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jupyter_mltrack.server import create_app, open_server_store
from jupyter_mltrack.store.sql.store import SqlStore

with warnings.catch_warnings():
    # Starlette >= 1 suggests httpx2 for its TestClient; httpx is what the dev extra installs.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def server_store(tmp_path: Path) -> Iterator[SqlStore]:
    """A new SQLite store opened the way the server opens it (``mlflow-artifacts:/`` roots)."""
    store = open_server_store(f"sqlite:///{tmp_path / 'server.db'}")
    yield store
    store.close()


@pytest.fixture
def artifacts_dir(tmp_path: Path) -> Path:
    """The server's artifacts destination."""
    return tmp_path / "artifacts"


@pytest.fixture
def server_app(server_store: SqlStore, artifacts_dir: Path) -> Any:
    """The tracking server app on ``server_store`` with a 64 MiB upload limit."""
    return create_app(server_store, str(artifacts_dir), max_upload_mb=64)


@pytest.fixture
def client(server_app: Any) -> Iterator[TestClient]:
    """An in-process HTTP client of ``server_app``."""
    with TestClient(server_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make_client() -> Iterator[Callable[[Any], TestClient]]:
    """Return ``make(app) -> TestClient`` for apps built in a test; all are closed afterwards."""
    made: list[TestClient] = []

    def make(app: Any) -> TestClient:
        test_client = TestClient(app, raise_server_exceptions=False)
        test_client.__enter__()
        made.append(test_client)
        return test_client

    yield make
    for test_client in made:
        test_client.__exit__(None, None, None)


@dataclass
class LiveServer:
    """A uvicorn server running in a thread; ``url`` is ``http://127.0.0.1:<port>``."""

    url: str
    port: int
    stop: Callable[[], None]


def _serve(app: Any) -> LiveServer:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return LiveServer(url=f"http://127.0.0.1:{port}", port=port, stop=stop)


@pytest.fixture
def start_server() -> Iterator[Callable[[Any], LiveServer]]:
    """Return ``start(app) -> LiveServer``; every server started is stopped after the test."""
    started: list[LiveServer] = []

    def start(app: Any) -> LiveServer:
        live = _serve(app)
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()


@pytest.fixture
def live_server(server_app: Any, start_server: Callable[[Any], LiveServer]) -> LiveServer:
    """``server_app`` served by uvicorn on a free 127.0.0.1 port."""
    return start_server(server_app)


@pytest.fixture
def make_run(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Return ``make_run(experiment_name="e", **fields) -> run info dict`` via the REST API."""

    def make(experiment_name: str = "e", **fields: Any) -> dict[str, Any]:
        found = client.get(
            f"{API}/experiments/get-by-name", params={"experiment_name": experiment_name}
        )
        if found.status_code == 404:
            created = client.post(f"{API}/experiments/create", json={"name": experiment_name})
            experiment_id = created.json()["experiment_id"]
        else:
            experiment_id = found.json()["experiment"]["experiment_id"]
        response = client.post(
            f"{API}/runs/create", json={"experiment_id": experiment_id, **fields}
        )
        assert response.status_code == 200, response.text
        info: dict[str, Any] = response.json()["run"]["info"]
        return info

    return make
