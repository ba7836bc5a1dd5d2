"""Object storage as teams deploy it, against a real S3 API server (moto's) on 127.0.0.1.

Two ``mltrack server`` processes share one bucket: one proxies ``mlflow-artifacts:/`` to
``--artifacts-destination s3://BUCKET/proxied``; the other gives new experiments
``--default-artifact-root s3://BUCKET/direct`` locations that clients use directly. Our client and
the unmodified ``mlflow`` client (boto3, ``MLFLOW_S3_ENDPOINT_URL``) each upload, list, download,
log a model and load it back through ``models:/``, and the objects are then looked up in the
bucket itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rest_server import free_port, wait_for_http
from serverproc import mltrack_server

import jupyter_mltrack as mlt
from jupyter_mltrack.artifacts import get_artifact_repository
from jupyter_mltrack.artifacts.fsspec_repo import open_filesystem, storage_options

pytestmark = [pytest.mark.server, pytest.mark.slow]

BUCKET = "mltrack-artifacts"
X = np.array([[0.0], [1.0], [2.0], [3.0]])
Y = np.array([0, 0, 1, 1])


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    """moto's S3 server on a free loopback port with BUCKET; yields (and sets) the client env."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    moto = Path(sys.executable).parent / "moto_server"
    command = [str(moto), "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MLTRACK_S3_ENDPOINT_URL": url,
        "MLFLOW_S3_ENDPOINT_URL": url,  # what the mlflow client reads
    }
    try:
        wait_for_http(f"{url}/", timeout=60, alive=lambda: process.poll() is None)
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            fs, _ = open_filesystem(f"s3://{BUCKET}")
            fs.mkdir(BUCKET)
            yield env
    finally:
        process.terminate()
        process.wait(timeout=20)


def _keys(prefix: str) -> list[str]:
    """Every object key under ``BUCKET/prefix``, relative to it, read fresh from the server."""
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True, **storage_options("s3"))
    base = f"{BUCKET}/{prefix}/"
    return sorted(key[len(base) :] for key in fs.find(base.rstrip("/")))


@pytest.fixture(scope="module")
def proxied(s3: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mltrack server --artifacts-destination s3://BUCKET/proxied``."""
    cwd = tmp_path_factory.mktemp("proxied")
    args = ("--backend-store-uri", f"sqlite:///{cwd / 'db.sqlite'}")
    destination = f"s3://{BUCKET}/proxied"
    with mltrack_server(*args, "--artifacts-destination", destination, cwd=cwd, env=s3) as server:
        yield server.url


@pytest.fixture(scope="module")
def direct(s3: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mltrack server --default-artifact-root s3://BUCKET/direct``."""
    cwd = tmp_path_factory.mktemp("direct")
    args = ("--backend-store-uri", f"sqlite:///{cwd / 'db.sqlite'}")
    root = f"s3://{BUCKET}/direct"
    with mltrack_server(*args, "--default-artifact-root", root, cwd=cwd, env=s3) as server:
        yield server.url


def _log_everything(tmp_path: Path, name: str) -> tuple[str, str]:
    """Log files, a folder, text and a registered model with our client; return (exp, run)."""
    from sklearn.linear_model import LogisticRegression

    import jupyter_mltrack.sklearn as mls

    experiment_id = mlt.set_experiment(name).experiment_id
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "x.csv").write_text("a,b\n1,2\n")
    (data / "sub" / "y.txt").write_text("deep")
    (tmp_path / "report.txt").write_text("report")
    with mlt.start_run() as run:
        mlt.log_artifact(tmp_path / "report.txt")
        mlt.log_artifacts(data, "data")
        mlt.log_text("hello s3", "notes/a.txt")
        mls.log_model(LogisticRegression().fit(X, Y), "model", registered_model_name=name)
    return experiment_id, run.info.run_id


def _read_back(run_id: str, name: str, tmp_path: Path) -> None:
    """List, download and load (``models:/``) what :func:`_log_everything` logged."""
    from jupyter_mltrack import pyfunc

    client = mlt.TrackingClient()
    top = [f.path for f in client.list_artifacts(run_id)]
    assert top == ["data", "model", "notes", "report.txt"]
    assert [f.path for f in client.list_artifacts(run_id, "data")] == ["data/sub", "data/x.csv"]
    back = Path(client.download_artifacts(run_id, "data", tmp_path / "back"))
    assert (back / "sub" / "y.txt").read_text() == "deep"
    text = Path(client.download_artifacts(run_id, "notes/a.txt", tmp_path / "text"))
    assert text.read_text() == "hello s3"
    model = pyfunc.load_model(f"models:/{name}/1")
    assert list(model.predict(X)) == [0, 0, 1, 1]


def test_our_client_through_the_s3_proxy(proxied: str, tmp_path: Path) -> None:
    mlt.set_tracking_uri(proxied)
    experiment_id, run_id = _log_everything(tmp_path, "ours-proxied")
    run = mlt.TrackingClient().get_run(run_id)
    assert run.info.artifact_uri == f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
    _read_back(run_id, "ours-proxied", tmp_path)
    stored = _keys(f"proxied/{experiment_id}/{run_id}/artifacts")
    expected = {"report.txt", "data/x.csv", "data/sub/y.txt", "notes/a.txt", "model/MLmodel"}
    assert expected <= set(stored)


def test_our_client_on_an_experiment_with_its_own_s3_location(proxied: str, tmp_path: Path) -> None:
    mlt.set_tracking_uri(proxied)
    own = f"s3://{BUCKET}/team-a/churn"
    experiment_id = mlt.create_experiment("own-location", artifact_location=own)
    with mlt.start_run(experiment_id=experiment_id) as run:
        mlt.log_text("own location", "notes/own.txt")
    assert run.info.artifact_uri == f"{own}/{run.info.run_id}/artifacts"
    assert _keys(f"team-a/churn/{run.info.run_id}/artifacts") == ["notes/own.txt"]
    files = mlt.TrackingClient().list_artifacts(run.info.run_id, "notes")
    assert [f.path for f in files] == ["notes/own.txt"]


def test_our_client_writes_s3_locations_directly(direct: str, tmp_path: Path) -> None:
    mlt.set_tracking_uri(direct)
    experiment_id, run_id = _log_everything(tmp_path, "ours-direct")
    run = mlt.TrackingClient().get_run(run_id)
    root = f"s3://{BUCKET}/direct/{experiment_id}"
    assert run.info.artifact_uri == f"{root}/{run_id}/artifacts"
    _read_back(run_id, "ours-direct", tmp_path)
    stored = _keys(f"direct/{experiment_id}/{run_id}/artifacts")
    assert {"report.txt", "data/sub/y.txt", "model/MLmodel"} <= set(stored)
    # The server lists an s3:// run itself too (MLflow's GET artifacts/list).
    query = f"{direct}/api/2.0/mlflow/artifacts/list?run_id={run_id}&path=data"
    with urllib.request.urlopen(query, timeout=30) as response:
        listing = json.loads(response.read())
    assert listing["root_uri"] == run.info.artifact_uri
    assert [(f["path"], f["is_dir"]) for f in listing["files"]] == [
        ("data/sub", True),
        ("data/x.csv", False),
    ]


MLFLOW_WORKLOAD = """
import json, os, tempfile
import numpy as np, mlflow
from sklearn.linear_model import LogisticRegression

mlflow.set_tracking_uri(URL)
exp_id = mlflow.set_experiment(NAME).experiment_id
X = np.array([[0.0], [1.0], [2.0], [3.0]])
Y = np.array([0, 0, 1, 1])
data = tempfile.mkdtemp()
os.makedirs(os.path.join(data, "sub"))
with open(os.path.join(data, "x.csv"), "w") as f:
    f.write("a,b\\n1,2\\n")
with open(os.path.join(data, "sub", "y.txt"), "w") as f:
    f.write("deep")
with mlflow.start_run() as run:
    mlflow.log_artifacts(data, "data")
    mlflow.log_text("hello s3", "notes/a.txt")
    info = mlflow.sklearn.log_model(
        LogisticRegression().fit(X, Y), name="model", registered_model_name=NAME
    )
client = mlflow.MlflowClient()
back = mlflow.artifacts.download_artifacts(
    run_id=run.info.run_id, artifact_path="data", dst_path=tempfile.mkdtemp()
)
model = mlflow.pyfunc.load_model(f"models:/{NAME}/1")
own = mlflow.create_experiment(NAME + "-own", artifact_location=OWN)
with mlflow.start_run(experiment_id=own) as own_run:
    mlflow.log_text("own location", "own.txt")
print(json.dumps({
    "own_uri": own_run.info.artifact_uri, "own_run": own_run.info.run_id,
    "own_files": [f.path for f in client.list_artifacts(own_run.info.run_id)],
    "exp_id": exp_id, "run_id": run.info.run_id, "artifact_uri": run.info.artifact_uri,
    "top": sorted(f.path for f in client.list_artifacts(run.info.run_id)),
    "data": sorted(f.path for f in client.list_artifacts(run.info.run_id, "data")),
    "deep": open(os.path.join(back, "sub", "y.txt")).read(),
    "text": mlflow.artifacts.load_text(run.info.artifact_uri + "/notes/a.txt"),
    "model_id": info.model_id,
    "pred": model.predict(X).tolist(),
}))
"""


def _mlflow_workload(run_mlflow: Any, url: str, name: str) -> dict[str, Any]:
    own = f"s3://{BUCKET}/own-{name}"
    script = f"URL = {url!r}\nNAME = {name!r}\nOWN = {own!r}\n" + MLFLOW_WORKLOAD
    result: dict[str, Any] = json.loads(run_mlflow(script).strip().splitlines()[-1])
    # An experiment created with its own s3:// location is written there directly.
    assert result["own_uri"] == f"{own}/{result['own_run']}/artifacts"
    assert result["own_files"] == ["own.txt"]
    assert _keys(f"own-{name}/{result['own_run']}/artifacts") == ["own.txt"]
    assert result["top"] == ["data", "notes"]
    assert result["data"] == ["data/sub", "data/x.csv"]
    assert (result["deep"], result["text"]) == ("deep", "hello s3")
    assert result["pred"] == [0, 0, 1, 1]
    return result


def test_mlflow_client_through_the_s3_proxy(proxied: str, run_mlflow: Any) -> None:
    got = _mlflow_workload(run_mlflow, proxied, "mlflow-proxied")
    exp_id, run_id = got["exp_id"], got["run_id"]
    assert got["artifact_uri"] == f"mlflow-artifacts:/{exp_id}/{run_id}/artifacts"
    assert {"data/x.csv", "data/sub/y.txt", "notes/a.txt"} <= set(
        _keys(f"proxied/{exp_id}/{run_id}/artifacts")
    )
    model_files = _keys(f"proxied/{exp_id}/models/{got['model_id']}/artifacts")
    assert "MLmodel" in model_files


def test_mlflow_client_writes_s3_locations_directly(direct: str, run_mlflow: Any) -> None:
    got = _mlflow_workload(run_mlflow, direct, "mlflow-direct")
    exp_id, run_id = got["exp_id"], got["run_id"]
    assert got["artifact_uri"] == f"s3://{BUCKET}/direct/{exp_id}/{run_id}/artifacts"
    assert {"data/sub/y.txt", "notes/a.txt"} <= set(_keys(f"direct/{exp_id}/{run_id}/artifacts"))
    assert "MLmodel" in _keys(f"direct/{exp_id}/models/{got['model_id']}/artifacts")


def test_listings_see_objects_other_processes_wrote(s3: dict[str, str]) -> None:
    """fsspec caches listings per process; a client writing directly must not be hidden."""
    uri = f"s3://{BUCKET}/cache/1/run/artifacts"
    repo = get_artifact_repository(uri)
    repo.write_bytes("a.txt", b"1")
    assert [f.path for f in repo.list_artifacts()] == ["a.txt"]
    import s3fs

    other = s3fs.S3FileSystem(skip_instance_cache=True, **storage_options("s3"))
    other.pipe_file(f"{BUCKET}/cache/1/run/artifacts/sub/b.txt", b"2")
    again = get_artifact_repository(uri)
    assert [f.path for f in again.list_artifacts()] == ["a.txt", "sub"]
    assert [f.path for f in again.list_artifacts("sub")] == ["sub/b.txt"]


def test_endpoint_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLTRACK_S3_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL", raising=False)
    assert storage_options("s3") == {}
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", "http://minio:9000")
    assert storage_options("s3") == {"endpoint_url": "http://minio:9000"}
    monkeypatch.setenv("MLTRACK_S3_ENDPOINT_URL", "http://ceph:7480")
    assert storage_options("s3") == {"endpoint_url": "http://ceph:7480"}
    assert storage_options("gs") == {}
    assert os.environ["MLFLOW_S3_ENDPOINT_URL"] == "http://minio:9000"
