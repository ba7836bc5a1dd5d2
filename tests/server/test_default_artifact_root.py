"""``mltrack server --default-artifact-root`` and ``experiments/create`` locations, as in MLflow.

New experiments get ``<root>/<experiment_id>`` and clients write there directly; without the
option they get ``mlflow-artifacts:/<id>`` (proxied). Relative local locations are made absolute
against the server's working directory, and the locations MLflow refuses are refused with its
messages. One test sends the same requests to a real ``mlflow server`` and compares.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rest_server import free_port, wait_for_http
from serverproc import mltrack_server

import jupyter_mltrack as mlt
from jupyter_mltrack.cli.main import main
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.server.asgi import ServerSettings
from jupyter_mltrack.server.locations import absolute_if_local, check_experiment_location

CREATE = "/api/2.0/mlflow/experiments/create"

#: (artifact_location sent, expected stored location with {cwd} for the server's folder) or an
#: error message; the same table is checked against the real mlflow server.
LOCATIONS: list[tuple[str, str]] = [
    ("rel/x", "{cwd}/rel/x"),
    ("./rel/../w", "{cwd}/rel/../w"),
    ("file:rel/y", "file://{cwd}/rel/y"),
    ("/abs/z", "/abs/z"),
    ("file:///abs/q", "file:///abs/q"),
    ("s3://bucket/team/exp", "s3://bucket/team/exp"),
    ("s3://bucket/p#frag", "error:'artifact_location' URL can't include fragments or params."),
    ("s3://bucket/p?x=../y", "error:Invalid query string"),
    ("s3://bucket/p?x=%252e%252e/y", "error:Invalid query string"),
    ("/abs/x;params", "error:'artifact_location' URL can't include fragments or params."),
    ("runs:/abc/x", "error:Artifact location cannot be a runs:/ URI. Given: 'runs:/abc/x'"),
]


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _location(url: str, experiment_id: str) -> str:
    query = f"{url}/api/2.0/mlflow/experiments/get?experiment_id={experiment_id}"
    with urllib.request.urlopen(query, timeout=30) as response:
        location: str = json.loads(response.read())["experiment"]["artifact_location"]
        return location


def _outcomes(url: str, prefix: str) -> list[str]:
    """Create one experiment per LOCATIONS row; return the stored location or 'error:<msg>'."""
    found = []
    for index, (sent, _) in enumerate(LOCATIONS):
        name = f"{prefix}-{index}"
        status, body = _post(url + CREATE, {"name": name, "artifact_location": sent})
        if status == 200:
            found.append(_location(url, body["experiment_id"]))
        else:
            assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), body
            found.append(f"error:{body['message']}")
    return found


def _expected(cwd: Path) -> list[str]:
    return [expected.format(cwd=cwd.as_posix()) for _, expected in LOCATIONS]


@pytest.fixture(scope="module")
def rooted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``mltrack server --default-artifact-root ./shared`` (relative) in a fresh folder."""
    cwd = tmp_path_factory.mktemp("rooted")
    args = ("--backend-store-uri", f"sqlite:///{cwd / 'db.sqlite'}")
    with mltrack_server(*args, "--default-artifact-root", "./shared", cwd=cwd) as server:
        yield server.url, cwd


@pytest.mark.server
def test_new_experiments_get_root_slash_id_and_clients_write_there(rooted_server, tmp_path):
    url, cwd = rooted_server
    root = (cwd / "shared").as_posix()
    assert _location(url, "0") == f"{root}/0"  # the Default experiment too, as in MLflow
    mlt.set_tracking_uri(url)
    experiment_id = mlt.create_experiment("direct")
    assert _location(url, experiment_id) == f"{root}/{experiment_id}"
    with mlt.start_run(experiment_id=experiment_id) as run:
        mlt.log_text("written directly", "notes/a.txt")
    assert run.info.artifact_uri == f"{root}/{experiment_id}/{run.info.run_id}/artifacts"
    on_disk = cwd / "shared" / experiment_id / run.info.run_id / "artifacts" / "notes" / "a.txt"
    assert on_disk.read_text() == "written directly"
    proxied = [p for p in (cwd / "artifacts").rglob("*") if p.is_file()]
    assert proxied == []  # nothing went through the proxy's destination
    files = mlt.TrackingClient().list_artifacts(run.info.run_id, "notes")
    assert [f.path for f in files] == ["notes/a.txt"]


@pytest.mark.server
def test_create_locations_match_mlflow_rules(rooted_server):
    url, cwd = rooted_server
    assert _outcomes(url, "rules") == _expected(cwd)


@pytest.mark.server
def test_without_the_option_experiments_stay_proxied(tmp_path):
    args = ("--backend-store-uri", f"sqlite:///{tmp_path / 'db.sqlite'}")
    with mltrack_server(*args, cwd=tmp_path) as server:
        status, body = _post(server.url + CREATE, {"name": "proxied"})
        assert status == 200
        assert (
            _location(server.url, body["experiment_id"])
            == f"mlflow-artifacts:/{body['experiment_id']}"
        )
        assert _location(server.url, "0") == "mlflow-artifacts:/0"


@pytest.mark.server
@pytest.mark.slow
def test_same_locations_as_a_real_mlflow_server(mlflow_python, rooted_server, tmp_path):
    port = free_port()
    command = [
        str(mlflow_python.parent / "mlflow"), "server",
        "--backend-store-uri", f"sqlite:///{tmp_path / 'mlflow.db'}",
        "--default-artifact-root", "./shared",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/health", timeout=120, alive=lambda: process.poll() is None)
        assert _location(url, "0") == f"{(tmp_path / 'shared').as_posix()}/0"
        mlflow_outcomes = _outcomes(url, "cmp")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert mlflow_outcomes == _expected(tmp_path)
    ours_url, ours_cwd = rooted_server
    ours = [o.replace(ours_cwd.as_posix(), "{cwd}") for o in _outcomes(ours_url, "cmp")]
    assert ours == [o.replace(tmp_path.as_posix(), "{cwd}") for o in mlflow_outcomes]


def test_help_documents_the_option():
    result = CliRunner().invoke(main, ["server", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--default-artifact-root URI" in text
    assert "<URI>/<experiment_id>" in text and "mlflow-artifacts:/" in text


def test_settings_resolve_and_travel_to_workers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = ServerSettings.resolve(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}", default_artifact_root="art"
    )
    assert settings.default_artifact_root == f"{tmp_path.as_posix()}/art"
    assert ServerSettings.from_env(settings.to_env()) == settings
    plain = ServerSettings.resolve(backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert plain.default_artifact_root is None
    assert ServerSettings.from_env(plain.to_env()) == plain


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("art", "{cwd}/art"),
        ("file:art", "file://{cwd}/art"),
        ("/srv/art", "/srv/art"),
        ("file:///srv/art", "file:///srv/art"),
        ("s3://bucket/root", "s3://bucket/root"),
        ("mlflow-artifacts:/", "mlflow-artifacts:/"),
        ("C:/data/art", "C:/data/art"),
    ],
)
def test_absolute_if_local(uri, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert absolute_if_local(uri) == expected.format(cwd=os.getcwd())


def test_refused_locations_raise_our_error_type():
    with pytest.raises(InvalidParameterError, match="fragments or params"):
        check_experiment_location("s3://bucket/x#fragment")


@pytest.mark.parametrize(
    "location", ["http://attacker/x", "https://h/x", "ftp://h/x", "hdfs://h/x"]
)
def test_host_addressed_locations_are_refused_unless_allowed(location, monkeypatch):
    # The server lists a run's artifacts itself: such a location would make it connect anywhere.
    with pytest.raises(InvalidParameterError, match=r"cannot use the '.*' scheme"):
        check_experiment_location(location)
    scheme = location.split(":", 1)[0]
    monkeypatch.setenv("MLTRACK_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES", f"s3, {scheme.upper()}")
    assert check_experiment_location(location) == location
