"""Safety of the artifact proxy and the request limits, over real HTTP to uvicorn.

Requests go through ``http.client`` and raw sockets so paths reach the server exactly as written
(httpx would normalise ``..`` away before sending).
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_mltrack.server import create_app

pytestmark = pytest.mark.server

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
RUN = "1/0123456789abcdef0123456789abcdef/artifacts"

TRAVERSALS = [
    "../escaped.txt",
    f"{RUN}/../../../../escaped.txt",
    "1/../../escaped.txt",
    "%2e%2e/escaped.txt",
    "%2E%2E%2Fescaped.txt",
    f"{RUN}/..%2f..%2f..%2fescaped.txt",
    "%252e%252e/escaped.txt",
    "%252e%252e%252fescaped.txt",
    "..%5cescaped.txt",
    "a\\..\\..\\escaped.txt",
    "/etc/passwd",
    "//tmp/escaped.txt",
    "C:/escaped.txt",
    f"{RUN}/./x.txt",
    f"{RUN}//x.txt",
    "a%00b.txt",
    f"{RUN}/.mltrack-tmp-x",
]


def _request(live: Any, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    try:
        conn.request(method, path, body=body)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    return response.status, json.loads(data) if data else None


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_is_refused_and_touches_nothing(live_server, tmp_path, path):  # type: ignore[no-untyped-def]
    before = _files(tmp_path)
    for method, body in (("PUT", b"owned"), ("GET", None), ("DELETE", None)):
        status, error = _request(live_server, method, f"{ARTIFACTS}/{path}", body)
        assert status == 400, (method, path, status, error)
        assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    query = path if "%" in path else path.replace("/", "%2F")
    status, error = _request(live_server, "GET", f"{ARTIFACTS}?path={query}")
    # A listing reads "." as "this folder", as MLflow does (download_artifacts(path=".")).
    assert status == (200 if "/./" in path else 400), (path, status, error)
    assert _files(tmp_path) == before
    assert not list(tmp_path.parent.rglob("escaped.txt"))


def _raw_put(live: Any, path: str, headers: dict[str, str], body: bytes, *, close: bool) -> bytes:
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=10)
    try:
        head = f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        sock.sendall(head.encode() + body)
        if close:
            return b""
        return sock.recv(65536)
    finally:
        sock.close()


def _wait_for(condition: Any, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_dropped_upload_leaves_nothing(live_server, artifacts_dir):  # type: ignore[no-untyped-def]
    size = 4 * 1024 * 1024
    path = f"{ARTIFACTS}/{RUN}/half.bin"
    sock = socket.create_connection(("127.0.0.1", live_server.port), timeout=10)
    head = f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n\r\n"
    sock.sendall(head.encode() + b"h" * (size // 2))

    def temp_files() -> list[Path]:
        return [p for p in artifacts_dir.rglob(".mltrack-tmp-*") if p.is_file()]

    # The body streams into a temporary file next to its destination...
    assert _wait_for(lambda: temp_files() and temp_files()[0].stat().st_size > 0)
    assert not (artifacts_dir / RUN / "half.bin").exists()
    sock.close()
    # ...which is removed once the server sees the connection drop; nothing is moved into place.
    assert _wait_for(lambda: not temp_files())
    assert [p for p in artifacts_dir.rglob("*") if p.is_file()] == []
    status, _ = _request(live_server, "GET", path)
    assert status == 404
    # The server is still healthy, and a complete upload to the same path works.
    status, _ = _request(live_server, "PUT", path, b"whole")
    assert status == 200
    assert (artifacts_dir / RUN / "half.bin").read_bytes() == b"whole"


def test_chunked_upload_over_the_limit_is_413(server_store, tmp_path, start_server):  # type: ignore[no-untyped-def]
    destination = tmp_path / "limited"
    live = start_server(create_app(server_store, str(destination), max_upload_mb=1))
    chunk = b"c" * 200_000
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(8)) + b"0\r\n\r\n"
    answer = _raw_put(
        live, f"{ARTIFACTS}/{RUN}/chunked.bin", {"Transfer-Encoding": "chunked"}, body, close=False
    )
    assert answer.startswith(b"HTTP/1.1 413")
    declared = _raw_put(
        live,
        f"{ARTIFACTS}/{RUN}/declared.bin",
        {"Content-Length": str(2 * 1024 * 1024)},
        b"",
        close=False,
    )
    assert declared.startswith(b"HTTP/1.1 413")  # refused before any byte of the body arrived
    assert [p for p in destination.rglob("*") if p.is_file()] == []


def test_json_body_over_the_limit_is_413(server_store, tmp_path, start_server):  # type: ignore[no-untyped-def]
    live = start_server(create_app(server_store, str(tmp_path / "a"), max_json_bytes=10_000))
    big = json.dumps({"name": "x" * 20_000}).encode()
    status, error = _request(live, "POST", "/api/2.0/mlflow/experiments/create", big)
    assert status == 413
    assert "10000" in error["message"]
    assert server_store.get_experiment_by_name("x" * 20_000) is None
    status, _ = _request(live, "POST", "/api/2.0/mlflow/experiments/create", b'{"name": "small"}')
    assert status == 200


def test_listing_outside_the_root_is_refused(live_server):  # type: ignore[no-untyped-def]
    for query in ("..", "../..", "%2E%2E", "/etc", "a/../..", "%252e%252e"):
        status, error = _request(live_server, "GET", f"{ARTIFACTS}?path={query}")
        assert status == 400, query
        assert error["error_code"] == "INVALID_PARAMETER_VALUE"


# A well-formed page token whose offset no database accepts.
_HUGE = base64.b64encode(json.dumps({"offset": 10**30}).encode())
_LONG_LOCATION = b'{"name": "x", "artifact_location": "' + b"a" * 2000 + b'"}'
_NUL_TAG = b'{"experiment_id": "0", "tags": [{"key": "k", "value": "\\u0000"}]}'


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "experiments/create", b'{"name": "\\ud800x"}'),
        ("POST", "experiments/create", b'{"name": "a\\u0000b"}'),
        ("POST", "experiments/create", _LONG_LOCATION),
        ("POST", "runs/create", b'{"experiment_id": "0", "run_name": "\\udfff"}'),
        ("POST", "runs/create", _NUL_TAG),
        ("POST", "runs/search", b'{"experiment_ids": ["99999999999999999999"]}'),
        ("POST", "runs/search", b'{"experiment_ids": ["0"], "page_token": "%s"}' % _HUGE),
        ("POST", "experiments/search", b'{"page_token": "%s"}' % _HUGE),
        ("GET", "experiments/get-by-name?experiment_name=a%00b", None),
    ],
)  # fmt: skip
def test_unstorable_values_are_400_not_500(live_server, method, path, body):  # type: ignore[no-untyped-def]
    status, error = _request(live_server, method, f"/api/2.0/mlflow/{path}", body)
    assert status == 400, error
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
