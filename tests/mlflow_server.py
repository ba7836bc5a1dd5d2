"""A real ``mlflow server`` (MLflow 3.17.2 from ``.bench/mlflow-venv``) for side-by-side tests.

Import the ``mlflow_server`` fixture into a test module (``from mlflow_server import
mlflow_server``): it is module-scoped, so each module starts one server and shares it. The server
uses a SQLite store and proxied artifacts (``--serve-artifacts``) in a temporary folder, on a free
loopback port. If it does not start the tests skip, except under ``CI=true`` (a failure).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_server import free_port, wait_for_http

__all__ = ["mlflow_server", "start_mlflow_server"]

START_TIMEOUT_S = 180  # MLflow creates its tables and imports a lot; slow on a busy machine


def start_mlflow_server(mlflow_python: Path, root: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start ``mlflow server`` with its files under ``root``; return its URL and process.

    Raises:
        RuntimeError: The server exited or did not answer ``/health`` in time (the process is
            killed; its log is in the message).
    """
    port = free_port()
    command = [
        str(mlflow_python.parent / "mlflow"),
        "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(root / "artifacts"),
        "--serve-artifacts",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    with (root / "server.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(
            f"{url}/health", timeout=START_TIMEOUT_S, alive=lambda: process.poll() is None
        )
    except RuntimeError as exc:
        stop_mlflow_server(process)
        tail = (root / "server.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"mlflow server did not start ({exc}):\n{tail}") from None
    return url, process


def stop_mlflow_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server started by :func:`start_mlflow_server` (SIGTERM, then SIGKILL)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def mlflow_server(mlflow_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an ``mlflow server`` shared by the tests of one module."""
    root = tmp_path_factory.mktemp("mlflow-server")
    try:
        url, process = start_mlflow_server(mlflow_python, root)
    except RuntimeError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    yield url
    stop_mlflow_server(process)
