"""Clients against a real ``mltrack server --auth``: our REST store and the unmodified mlflow
client, each taking its credentials from its own environment variables."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from serverproc import mltrack_server

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.errors import PermissionDenied, Unauthenticated
from jupyter_mltrack.server.asgi import ServerSettings, prepare_database
from jupyter_mltrack.server.auth import AuthStore, Role

pytestmark = pytest.mark.server

USERS = {"writer": ("writer-pw-1", Role.WRITE), "reader": ("reader-pw-1", Role.READ)}


@dataclass
class AuthServer:
    url: str
    token: str
    root: Path


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    root = tmp_path_factory.mktemp("auth-server")
    db = f"sqlite:///{root}/server.db"
    store = prepare_database(ServerSettings.resolve(backend_store_uri=db, auth=True))
    users = AuthStore(store.engine)
    for name, (password, role) in USERS.items():
        users.create_user(name, role, password)
    _, token = users.create_token("writer")
    store.close()
    args = ("--backend-store-uri", db, "--artifacts-destination", str(root / "art"), "--auth")
    with mltrack_server(*args, cwd=root) as server:
        yield AuthServer(url=server.url, token=token, root=root)


def log_a_run(url: str, name: str) -> str:
    client = TrackingClient(url)
    experiment_id = client.create_experiment(name)
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "loss", 0.25, step=3)
    client.log_text(run.info.run_id, "hello", "notes/hello.txt")
    return run.info.run_id


def test_rest_store_sends_basic_credentials_from_env(
    auth_server: AuthServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLTRACK_TRACKING_USERNAME", "writer")
    monkeypatch.setenv("MLTRACK_TRACKING_PASSWORD", "writer-pw-1")
    run_id = log_a_run(auth_server.url, "rest-basic")
    client = TrackingClient(auth_server.url)
    assert client.get_run(run_id).data.metrics == {"loss": 0.25}
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == [3]
    local = client.download_artifacts(run_id, "notes/hello.txt", tmp_path)
    assert Path(local).read_text() == "hello"


def test_rest_store_sends_a_bearer_token_from_env(
    auth_server: AuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLTRACK_TRACKING_TOKEN", auth_server.token)
    run_id = log_a_run(auth_server.url, "rest-token")
    assert TrackingClient(auth_server.url).get_run(run_id).data.metrics == {"loss": 0.25}


def test_rest_store_raises_unauthenticated_and_permission_denied(
    auth_server: AuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(Unauthenticated, match="requires authentication"):
        TrackingClient(auth_server.url).search_experiments()
    monkeypatch.setenv("MLTRACK_TRACKING_USERNAME", "writer")
    monkeypatch.setenv("MLTRACK_TRACKING_PASSWORD", "not-the-password")
    with pytest.raises(Unauthenticated, match="not accepted"):
        TrackingClient(auth_server.url).search_experiments()
    monkeypatch.setenv("MLTRACK_TRACKING_USERNAME", "reader")
    monkeypatch.setenv("MLTRACK_TRACKING_PASSWORD", "reader-pw-1")
    reader = TrackingClient(auth_server.url)
    assert "Default" in [e.name for e in reader.search_experiments()]
    with pytest.raises(PermissionDenied, match="'reader' has the role 'read'"):
        reader.create_experiment("not-allowed")


MLFLOW_SCRIPT = r"""
import json, os, sys, tempfile
import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

out = {}
mlflow.set_experiment("mlflow-auth")
with mlflow.start_run() as run:
    mlflow.log_param("p", "1")
    mlflow.log_metric("m", 2.5, step=1)
    mlflow.log_text("from mlflow", "t.txt")
got = MlflowClient().get_run(run.info.run_id)
out["metrics"] = got.data.metrics
out["params"] = got.data.params
out["text"] = mlflow.artifacts.load_text(got.info.artifact_uri + "/t.txt")
out["runs"] = len(mlflow.search_runs(experiment_names=["mlflow-auth"]))
print(json.dumps(out))
"""

MLFLOW_DENIED = r"""
import json, uuid
import mlflow
from mlflow.exceptions import MlflowException
out = {}
for step, call in [("search", mlflow.search_experiments),
                   ("create", lambda: mlflow.create_experiment(uuid.uuid4().hex))]:
    try:
        call()
        out[step] = None
    except MlflowException as exc:
        out[step] = exc.error_code
        out[step + "_message"] = str(exc)
print(json.dumps(out))
"""


def run_mlflow(python: Path, script: str, url: str, cwd: Path, **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLTRACK_"))}
    environ.update(
        MLFLOW_TRACKING_URI=url,
        MLFLOW_DISABLE_TELEMETRY="true",
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        PYTHONWARNINGS="ignore",
        **env,
    )
    done = subprocess.run(
        [str(python), "-c", script], cwd=cwd, env=environ, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_mlflow_client_with_username_and_password(
    auth_server: AuthServer, mlflow_python: Path, tmp_path: Path
) -> None:
    out = run_mlflow(
        mlflow_python, MLFLOW_SCRIPT, auth_server.url, tmp_path,
        MLFLOW_TRACKING_USERNAME="writer", MLFLOW_TRACKING_PASSWORD="writer-pw-1",
    )  # fmt: skip
    assert out == {"metrics": {"m": 2.5}, "params": {"p": "1"}, "text": "from mlflow", "runs": 1}


@pytest.mark.slow
def test_mlflow_client_with_a_token_and_refusals(
    auth_server: AuthServer, mlflow_python: Path, tmp_path: Path
) -> None:
    with_token = run_mlflow(
        mlflow_python, MLFLOW_DENIED, auth_server.url, tmp_path,
        MLFLOW_TRACKING_TOKEN=auth_server.token,
    )  # fmt: skip
    assert with_token == {"search": None, "create": None}
    anonymous = run_mlflow(mlflow_python, MLFLOW_DENIED, auth_server.url, tmp_path)
    assert anonymous["search"] == anonymous["create"] == "UNAUTHENTICATED"
    wrong = run_mlflow(
        mlflow_python, MLFLOW_DENIED, auth_server.url, tmp_path,
        MLFLOW_TRACKING_USERNAME="writer", MLFLOW_TRACKING_PASSWORD="wrong-password",
    )  # fmt: skip
    assert wrong["search"] == "UNAUTHENTICATED"
    assert "not accepted" in str(wrong["search_message"])
    reader = run_mlflow(
        mlflow_python, MLFLOW_DENIED, auth_server.url, tmp_path,
        MLFLOW_TRACKING_USERNAME="reader", MLFLOW_TRACKING_PASSWORD="reader-pw-1",
    )  # fmt: skip
    assert reader["search"] is None
    assert reader["create"] == "PERMISSION_DENIED"
