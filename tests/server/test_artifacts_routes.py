"""The ``mlflow-artifacts`` proxy: upload, download, listing and deletion, local and fsspec."""

from __future__ import annotations

import os
import uuid

import pytest

from jupyter_mltrack.server import create_app
from jupyter_mltrack.server.artifact_root import ArtifactRoot

pytestmark = pytest.mark.server

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
RUN = "1/0123456789abcdef0123456789abcdef/artifacts"


def test_upload_answers_empty_200_and_download_streams_back(client, artifacts_dir):  # type: ignore[no-untyped-def]
    put = client.put(
        f"{ARTIFACTS}/{RUN}/hello.txt",
        content=b"hello artifacts",
        headers={"Content-Type": "text/plain"},
    )
    assert put.status_code == 200
    assert put.content == b""
    assert "content-type" not in put.headers
    assert (artifacts_dir / RUN / "hello.txt").read_bytes() == b"hello artifacts"

    got = client.get(f"{ARTIFACTS}/{RUN}/hello.txt")
    assert got.status_code == 200
    assert got.content == b"hello artifacts"
    assert got.headers["content-disposition"] == 'attachment; filename="hello.txt"'
    assert got.headers["content-type"].startswith("text/plain")
    binary = client.put(f"{ARTIFACTS}/{RUN}/model.skops", content=b"\x00\x01")
    assert binary.status_code == 200
    assert client.get(f"{ARTIFACTS}/{RUN}/model.skops").headers["content-type"] == (
        "application/octet-stream"
    )


def test_large_upload_and_download_are_byte_exact(client, artifacts_dir):  # type: ignore[no-untyped-def]
    data = os.urandom(5 * 1024 * 1024 + 123)

    def chunks():  # type: ignore[no-untyped-def]  # a streamed (chunked) request body
        for start in range(0, len(data), 300_000):
            yield data[start : start + 300_000]

    assert client.put(f"{ARTIFACTS}/{RUN}/big.bin", content=chunks()).status_code == 200
    assert (artifacts_dir / RUN / "big.bin").read_bytes() == data
    with client.stream("GET", f"{ARTIFACTS}/{RUN}/big.bin") as response:
        assert int(response.headers["content-length"]) == len(data)
        assert b"".join(response.iter_bytes()) == data


def test_listing_matches_mlflow(client):  # type: ignore[no-untyped-def]
    for path, body in (("hello.txt", b"x" * 15), ("dir/a.txt", b"a"), ("dir/sub/b.csv", b"1,2\n")):
        assert client.put(f"{ARTIFACTS}/{RUN}/{path}", content=body).status_code == 200
    root = client.get(ARTIFACTS, params={"path": RUN}).json()
    assert root == {
        "files": [
            {"path": "dir", "is_dir": True},
            {"path": "hello.txt", "is_dir": False, "file_size": 15},
        ]
    }
    nested = client.get(ARTIFACTS, params={"path": f"{RUN}/dir/"}).json()
    assert nested == {
        "files": [
            {"path": "a.txt", "is_dir": False, "file_size": 1},
            {"path": "sub", "is_dir": True},
        ]
    }
    assert client.get(ARTIFACTS, params={"path": f"{RUN}/hello.txt"}).json() == {}
    assert client.get(ARTIFACTS, params={"path": f"{RUN}/missing"}).json() == {}
    assert [f["path"] for f in client.get(ARTIFACTS).json()["files"]] == ["1"]


def test_download_errors(client):  # type: ignore[no-untyped-def]
    missing = client.get(f"{ARTIFACTS}/{RUN}/model")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    client.put(f"{ARTIFACTS}/{RUN}/d/f.txt", content=b"f")
    directory = client.get(f"{ARTIFACTS}/{RUN}/d")
    assert directory.status_code == 400 and "directory" in directory.json()["message"]


def test_overwrite_and_conflicting_paths(client, artifacts_dir):  # type: ignore[no-untyped-def]
    client.put(f"{ARTIFACTS}/{RUN}/f.txt", content=b"one")
    client.put(f"{ARTIFACTS}/{RUN}/f.txt", content=b"two")
    assert (artifacts_dir / RUN / "f.txt").read_bytes() == b"two"
    below_file = client.put(f"{ARTIFACTS}/{RUN}/f.txt/inner", content=b"x")
    assert below_file.status_code == 400
    client.put(f"{ARTIFACTS}/{RUN}/d/x", content=b"x")
    onto_dir = client.put(f"{ARTIFACTS}/{RUN}/d", content=b"x")
    assert onto_dir.status_code == 400
    assert sorted(p.name for p in (artifacts_dir / RUN).iterdir()) == ["d", "f.txt"]


def test_delete(client, artifacts_dir):  # type: ignore[no-untyped-def]
    client.put(f"{ARTIFACTS}/{RUN}/d/x", content=b"x")
    client.put(f"{ARTIFACTS}/{RUN}/keep", content=b"k")
    assert client.delete(f"{ARTIFACTS}/{RUN}/d").json() == {}
    assert client.delete(f"{ARTIFACTS}/{RUN}/d").status_code == 200  # missing is fine
    assert sorted(p.name for p in (artifacts_dir / RUN).iterdir()) == ["keep"]


def test_upload_over_the_limit_is_413_and_leaves_nothing(server_store, tmp_path, make_client):  # type: ignore[no-untyped-def]
    destination = tmp_path / "small"
    small = make_client(create_app(server_store, str(destination), max_upload_mb=1))
    declared = small.put(f"{ARTIFACTS}/{RUN}/big", content=b"x" * (1024 * 1024 + 1))
    assert declared.status_code == 413
    assert declared.json()["error_code"] == "BAD_REQUEST"

    def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: counted while streaming
        for _ in range(5):
            yield b"y" * 300_000

    streamed = small.put(f"{ARTIFACTS}/{RUN}/big2", content=chunks())
    assert streamed.status_code == 413
    assert small.put(f"{ARTIFACTS}/{RUN}/ok", content=b"z" * 1024 * 1024).status_code == 200
    assert sorted(p.name for p in (destination / RUN).iterdir()) == ["ok"]


def test_fsspec_destination_round_trip(server_store, make_client):  # type: ignore[no-untyped-def]
    destination = f"memory://mltrack-{uuid.uuid4().hex}/artifacts"
    root = ArtifactRoot(destination)
    assert not root.is_local
    remote = make_client(create_app(server_store, root))
    data = os.urandom(3 * 1024 * 1024)
    assert remote.put(f"{ARTIFACTS}/{RUN}/dir/blob.bin", content=data).status_code == 200
    assert remote.put(f"{ARTIFACTS}/{RUN}/top.txt", content=b"t").status_code == 200
    listing = remote.get(ARTIFACTS, params={"path": RUN}).json()
    assert listing == {
        "files": [
            {"path": "dir", "is_dir": True},
            {"path": "top.txt", "is_dir": False, "file_size": 1},
        ]
    }
    got = remote.get(f"{ARTIFACTS}/{RUN}/dir/blob.bin")
    assert got.content == data
    assert got.headers["content-disposition"] == 'attachment; filename="blob.bin"'
    assert remote.get(f"{ARTIFACTS}/{RUN}/nope").status_code == 404
    assert remote.delete(f"{ARTIFACTS}/{RUN}/dir").status_code == 200
    assert [f["path"] for f in remote.get(ARTIFACTS, params={"path": RUN}).json()["files"]] == [
        "top.txt"
    ]


def test_downloads_carry_mlflows_security_headers(client):  # type: ignore[no-untyped-def]
    client.put(f"{ARTIFACTS}/{RUN}/page.html", content=b"<script>alert(1)</script>")
    got = client.get(f"{ARTIFACTS}/{RUN}/page.html")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["x-frame-options"] == "SAMEORIGIN"


def test_listing_reads_a_dot_as_this_folder_and_still_refuses_dotdot(client):  # type: ignore[no-untyped-def]
    client.put(f"{ARTIFACTS}/{RUN}/d/a.txt", content=b"abc")
    expected = [{"path": "a.txt", "is_dir": False, "file_size": 3}]
    for path in (f"{RUN}/d/.", f"{RUN}/./d", f"{RUN}/d/./"):
        answer = client.get(ARTIFACTS, params={"path": path})
        assert answer.status_code == 200, path
        assert answer.json()["files"] == expected
    assert client.get(ARTIFACTS, params={"path": f"{RUN}/d/.."}).status_code == 400


def _new_run(client) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    run = client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()["run"]
    return run["info"]["run_id"], run["info"]["artifact_uri"]


def test_run_artifact_listing_is_mlflows(client):  # type: ignore[no-untyped-def]
    run_id, root_uri = _new_run(client)
    rel = root_uri.removeprefix("mlflow-artifacts:/")
    client.put(f"{ARTIFACTS}/{rel}/d/a.txt", content=b"abc")
    client.put(f"{ARTIFACTS}/{rel}/top.txt", content=b"t")
    listing = "/api/2.0/mlflow/artifacts/list"
    top = client.get(listing, params={"run_id": run_id}).json()
    assert top == {
        "root_uri": root_uri,
        "files": [
            {"path": "d", "is_dir": True},
            {"path": "top.txt", "is_dir": False, "file_size": 1},
        ],
    }
    inner = client.get(listing, params={"run_id": run_id, "path": "d"}).json()
    assert inner["files"] == [{"path": "d/a.txt", "is_dir": False, "file_size": 3}]
    assert client.get(listing, params={"run_id": run_id, "path": "."}).json() == top
    bad = client.get(listing, params={"run_id": run_id, "path": "../x"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    missing = client.get(listing, params={"run_id": "f" * 32})
    assert missing.status_code == 404
    assert missing.json()["message"] == f"Run with id={'f' * 32} not found"
    no_id = client.get(listing)
    assert no_id.status_code == 400 and "run_id" in no_id.json()["message"]
