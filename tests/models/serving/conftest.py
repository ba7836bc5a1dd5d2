"""Fixtures of the scoring-server tests: real models on disk and real servers on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import uvicorn
from serving_helpers import ServerFactory
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from jupyter_mltrack.models import infer_signature
from jupyter_mltrack.models.serving import create_scoring_app
from jupyter_mltrack.pyfunc import load_model
from jupyter_mltrack.sklearn import save_model


@pytest.fixture(scope="session")
def iris() -> tuple[pd.DataFrame, pd.Series]:
    """Iris features (4 float columns with MLflow's usual names) and target."""
    features, target = load_iris(return_X_y=True, as_frame=True)
    return features, target


@pytest.fixture(scope="session")
def forest(iris: tuple[pd.DataFrame, pd.Series]) -> RandomForestClassifier:
    features, target = iris
    return RandomForestClassifier(n_estimators=10, random_state=0).fit(features, target)


@pytest.fixture(scope="session")
def sklearn_model_dir(
    tmp_path_factory: pytest.TempPathFactory,
    iris: tuple[pd.DataFrame, pd.Series],
    forest: RandomForestClassifier,
) -> Path:
    """A forest saved with a signature inferred from the data and its predictions."""
    features, _ = iris
    path = tmp_path_factory.mktemp("models") / "forest"
    signature = infer_signature(features, forest.predict(features))
    save_model(forest, path, signature=signature, input_example=features.head(3))
    return path


def start_server(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Serve ``app`` with uvicorn in a thread on an ephemeral loopback port; wait for /ping."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return server, thread, url
        except httpx.TransportError:
            time.sleep(0.02)
    raise RuntimeError("the scoring server did not start within 30 s")


@pytest.fixture
def serve_model() -> Iterator[ServerFactory]:
    """Start a scoring server for a model directory (or loaded model); return its base URL."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(model: Path | Any, **options: Any) -> str:
        loaded = load_model(str(model)) if isinstance(model, Path) else model
        server, thread, url = start_server(create_scoring_app(loaded, **options))
        running.append((server, thread))
        return url

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def forest_url(sklearn_model_dir: Path) -> Iterator[str]:
    """One forest server shared by the read-only tests of a session."""
    server, thread, url = start_server(create_scoring_app(load_model(str(sklearn_model_dir))))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def http(forest_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=forest_url, timeout=30) as client:
        yield client
