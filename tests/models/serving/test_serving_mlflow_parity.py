"""The same model and payloads give the same answers from our server and from MLflow's.

MLflow 3.17.2 runs from its own venv (``.bench/mlflow-venv``) as ``mlflow models serve
--env-manager local``, serving a model saved by jupyter_mltrack.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mlflow_url(sklearn_model_dir: Path, mlflow_python: Path) -> Iterator[str]:
    # `mlflow_python` (tests/models/conftest.py) creates MLflow's venv when it is missing.
    mlflow_bin = mlflow_python.parent
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTHON"))},
        "PATH": f"{mlflow_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    command = [str(mlflow_bin / "mlflow"), "models", "serve", "-m", str(sklearn_model_dir)]
    command += ["--env-manager", "local", "-p", str(port)]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_ping(url, proc)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _wait_for_ping(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"mlflow models serve exited:\n{stderr[-3000:]}")
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("mlflow models serve did not answer /ping within 120 s")


def _cases(features: pd.DataFrame) -> list[tuple[str, dict[str, str], bytes]]:
    frame = features.iloc[[0, 55, 110, 149]]
    split = frame.to_json(orient="split", index=False)
    records = frame.to_json(orient="records")
    json_type = {"content-type": "application/json"}
    return [
        ("split", json_type, f'{{"dataframe_split": {split}}}'.encode()),
        ("records", json_type, f'{{"dataframe_records": {records}}}'.encode()),
        ("instances", json_type, f'{{"instances": {records}}}'.encode()),
        ("inputs", json_type, json.dumps({"inputs": frame.to_dict(orient="list")}).encode()),
        ("csv", {"content-type": "text/csv"}, frame.to_csv(index=False).encode()),
        ("missing column", json_type, b'{"dataframe_split": {"columns": ["x"], "data": [[1]]}}'),
        ("bad json", json_type, b"{nope"),
        ("no input key", json_type, b'{"foo": 1}'),
        ("xml", {"content-type": "application/xml"}, b"<a/>"),
    ]


@pytest.mark.parametrize("case", range(9))
def test_same_status_and_predictions_as_mlflow(
    case: int, mlflow_url: str, forest_url: str, iris: tuple[pd.DataFrame, Any]
) -> None:
    name, headers, body = _cases(iris[0])[case]
    theirs = httpx.post(f"{mlflow_url}/invocations", content=body, headers=headers, timeout=60)
    ours = httpx.post(f"{forest_url}/invocations", content=body, headers=headers, timeout=60)
    assert ours.status_code == theirs.status_code, (name, ours.text, theirs.text)
    if theirs.status_code == 200:
        assert ours.content == theirs.content, name  # byte for byte
    else:
        assert set(ours.json()) == {"error_code", "message"}


def test_ping_and_health_answer_like_mlflow(mlflow_url: str, forest_url: str) -> None:
    for path in ("/ping", "/health"):
        theirs, ours = httpx.get(mlflow_url + path), httpx.get(forest_url + path)
        assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text)
        assert ours.headers["content-type"] == theirs.headers["content-type"]
