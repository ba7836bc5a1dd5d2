"""HttpArtifactRepository against our server's artifact proxy; mlflow-artifacts URI resolution."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.artifacts import get_artifact_repository
from jupyter_mltrack.artifacts.http_repo import (
    ARTIFACTS_API,
    HttpArtifactRepository,
    resolve_mlflow_artifacts_uri,
)
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError

pytestmark = pytest.mark.server


def test_mlflow_artifacts_uris_resolve_against_the_tracking_server():
    uri = "mlflow-artifacts:/1/abc/artifacts"
    assert (
        resolve_mlflow_artifacts_uri(uri, "https://h:8443/prefix")
        == f"https://h:8443/prefix{ARTIFACTS_API}/1/abc/artifacts"
    )
    # A host in the URI names the server itself (MLflow's rule).
    assert (
        resolve_mlflow_artifacts_uri("mlflow-artifacts://other:5000/1/x", "http://h:1")
        == f"http://other:5000{ARTIFACTS_API}/1/x"
    )
    mlt.set_tracking_uri("http://current:5000")
    assert (
        resolve_mlflow_artifacts_uri(uri) == f"http://current:5000{ARTIFACTS_API}/1/abc/artifacts"
    )


def test_mlflow_artifacts_without_a_known_server_say_what_to_do(tmp_path):
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/x.db")
    from jupyter_mltrack.store.rest import http

    saved, http._last_server = http._last_server, None
    try:
        with pytest.raises(InvalidParameterError, match="set_tracking_uri"):
            get_artifact_repository("mlflow-artifacts:/1/abc/artifacts")
    finally:
        http._last_server = saved


@pytest.fixture
def repo(tracking_server) -> HttpArtifactRepository:  # type: ignore[no-untyped-def]
    made = get_artifact_repository(
        "mlflow-artifacts:/1/run/artifacts", tracking_uri=tracking_server.url
    )
    assert isinstance(made, HttpArtifactRepository)
    return made


def test_write_list_read_and_download(repo, tracking_server, tmp_path):
    repo.write_bytes("notes/a.txt", b"alpha")
    local = tmp_path / "src"
    (local / "sub").mkdir(parents=True)
    (local / "x.json").write_text('{"x": 1}')
    (local / "sub" / "y.csv").write_text("a,b\n1,2\n")
    repo.log_artifacts(local, "dir")
    repo.log_artifact(local / "x.json")
    on_server = tracking_server.artifacts / "1" / "run" / "artifacts"
    assert (on_server / "notes" / "a.txt").read_bytes() == b"alpha"
    assert (on_server / "dir" / "sub" / "y.csv").read_text() == "a,b\n1,2\n"

    listed = repo.list_artifacts()
    assert [(f.path, f.is_dir, f.file_size) for f in listed] == [
        ("dir", True, None),
        ("notes", True, None),
        ("x.json", False, 8),
    ]
    assert [f.path for f in repo.list_artifacts("dir")] == ["dir/sub", "dir/x.json"]
    assert repo.list_artifacts("x.json") == [] and repo.list_artifacts("missing") == []
    assert repo.read_bytes("dir/sub/y.csv") == b"a,b\n1,2\n"

    got = repo.download_artifacts("dir", tmp_path / "out")
    assert got == str(tmp_path / "out" / "dir")
    assert sorted(
        os.path.relpath(os.path.join(d, f), got) for d, _, fs in os.walk(got) for f in fs
    ) == ["sub/y.csv", "x.json"]
    one = repo.download_artifacts("notes/a.txt")
    assert Path(one).read_bytes() == b"alpha"
    put = tracking_server.calls("/notes/a.txt")[0]
    assert (put.method, put.headers["content-type"]) == ("PUT", "text/plain")


def test_missing_files_and_directories_are_told_apart(repo, caplog):
    repo.write_bytes("d/f.txt", b"1")
    with pytest.raises(NotFoundError, match=r"nope\.txt"):
        repo.read_bytes("nope.txt")
    with pytest.raises(NotFoundError):
        repo.download_artifacts("nope.txt")
    # The error body was read: the pooled connection serves the next request cleanly.
    assert repo.read_bytes("d/f.txt") == b"1"
    assert not [r for r in caplog.records if "Retrying" in r.getMessage()]
    with pytest.raises(InvalidParameterError, match="is a directory"):
        repo.read_bytes("d")
    with pytest.raises(InvalidParameterError, match="escape"):
        repo.write_bytes("../evil.txt", b"x")


def test_delete(repo, tracking_server):
    repo.write_bytes("gone/a.txt", b"1")
    repo.write_bytes("kept.txt", b"2")
    repo.delete_artifacts("gone")
    repo.delete_artifacts("gone")  # already gone: fine
    assert [f.path for f in repo.list_artifacts()] == ["kept.txt"]


@pytest.mark.slow
def test_large_files_stream_both_ways(repo, tmp_path):
    big = tmp_path / "big.bin"
    block = os.urandom(1024 * 1024)
    with open(big, "wb") as file:
        for _ in range(48):
            file.write(block)
    repo.log_artifact(big, "blobs")
    back = repo.download_artifacts("blobs/big.bin", tmp_path / "back")
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    assert hashlib.sha256(Path(back).read_bytes()).hexdigest() == digest
    assert [f.file_size for f in repo.list_artifacts("blobs")] == [48 * 1024 * 1024]
