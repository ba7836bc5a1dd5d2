"""HttpClient against real HTTP servers: retries and backoff, error mapping, auth, encoding, TLS."""

from __future__ import annotations

import base64
import json
import math
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rest_helpers import json_reply

from jupyter_mltrack.errors import (
    AlreadyExistsError,
    InvalidParameterError,
    InvalidStateError,
    MltrackError,
    NotFoundError,
    PermissionDenied,
    StoreError,
    Unauthenticated,
)
from jupyter_mltrack.store.rest.http import HttpClient
from jupyter_mltrack.store.rest.wire import (
    dumps,
    encode_query,
    float_from_json,
    split_credentials,
)


def _client(url: str, retries: int = 3) -> HttpClient:
    return HttpClient(url, max_retries=retries, backoff_factor=0.01, timeout=5)


# -- encoding ------------------------------------------------------------------------------------
def test_non_finite_floats_go_out_as_mlflow_strings():
    body = dumps({"metrics": [{"value": math.nan}, {"value": math.inf}, {"value": -math.inf}]})
    assert b"NaN" in body and b'"NaN"' in body
    assert json.loads(body) == {
        "metrics": [{"value": "NaN"}, {"value": "Infinity"}, {"value": "-Infinity"}]
    }
    assert dumps({"value": 1.5, "s": "NaN"}) == b'{"value":1.5,"s":"NaN"}'


@pytest.mark.parametrize(
    ("wire", "value"),
    [("NaN", math.nan), ("Infinity", math.inf), ("-Infinity", -math.inf), ("1.5", 1.5), (2, 2.0)],
)
def test_doubles_are_read_back_from_strings_and_numbers(wire, value):
    got = float_from_json(wire)
    assert (math.isnan(got) and math.isnan(value)) or got == value
    assert float_from_json(None) == 0.0
    with pytest.raises(StoreError, match="'abc'"):
        float_from_json("abc")


def test_query_strings_repeat_list_keys_and_spell_booleans():
    assert encode_query({"a": ["x", "y"], "b": True, "c": None, "d": 3}) == "a=x&a=y&b=true&d=3"


def test_credentials_in_the_url_are_split_off():
    assert split_credentials("http://ann:s%40cret@h:5000/p") == (
        "http://h:5000/p",
        ("ann", "s@cret"),
    )
    assert split_credentials("https://h") == ("https://h", None)


# -- retries ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [429, 503, 408, 502, 504])
def test_retryable_statuses_are_retried_until_success(scripted, status):
    busy = json_reply(status, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"})
    scripted.script(busy, busy, json_reply(200, {"experiment_id": "7"}))
    answer = _client(scripted.url).call("POST", "experiments/create", {"name": "x"})
    assert answer == {"experiment_id": "7"}
    assert len(scripted.seen) == 3
    assert [json.loads(r.body) for r in scripted.seen] == [{"name": "x"}] * 3


def test_last_retry_raises_a_store_error_naming_url_status_and_message(scripted):
    scripted.script(
        json_reply(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "db down"})
    )
    with pytest.raises(StoreError) as info:
        _client(scripted.url, retries=2).call("GET", "runs/get", {"run_id": "r"})
    message = str(info.value)
    assert f"{scripted.url}/api/2.0/mlflow/runs/get?run_id=r" in message
    assert "HTTP 503" in message and "db down" in message and "3 attempt(s)" in message
    assert len(scripted.seen) == 3


def test_backoff_doubles_and_honours_retry_after(scripted):
    scripted.script(json_reply(429, {}, **{"Retry-After": "0.3"}), json_reply(200, {}))
    started = time.monotonic()
    _client(scripted.url).call("GET", "x")
    assert time.monotonic() - started >= 0.3
    client = HttpClient(scripted.url, max_retries=2, backoff_factor=0.1, timeout=5)
    scripted.script(json_reply(503, {}))
    started = time.monotonic()
    with pytest.raises(StoreError):
        client.call("GET", "x")
    assert time.monotonic() - started >= 0.1 + 0.2  # 0.1 s, then 0.2 s


def test_connection_refused_is_retried_then_reported():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens here
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        _client(f"http://127.0.0.1:{port}", retries=2).call("GET", "experiments/get")
    message = str(info.value)
    assert f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/get" in message
    assert "3 attempt(s)" in message and "refused" in message.lower()
    assert "check that the server is running" in message
    assert time.monotonic() - started >= 0.01 + 0.02


def test_a_server_that_comes_up_during_the_retries_is_reached(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    class Ok(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    def start_late() -> None:
        time.sleep(0.3)
        server = ThreadingHTTPServer(("127.0.0.1", port), Ok)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)

    servers: list[ThreadingHTTPServer] = []
    threading.Thread(target=start_late).start()
    client = HttpClient(f"http://127.0.0.1:{port}", max_retries=6, backoff_factor=0.1, timeout=5)
    try:
        assert client.call("GET", "x") == {}
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, "RESOURCE_DOES_NOT_EXIST", NotFoundError),
        (400, "INVALID_PARAMETER_VALUE", InvalidParameterError),
        (400, "RESOURCE_ALREADY_EXISTS", AlreadyExistsError),
        (400, "INVALID_STATE", InvalidStateError),
        (401, "UNAUTHENTICATED", Unauthenticated),
        (403, "PERMISSION_DENIED", PermissionDenied),
    ],
)
def test_mlflow_error_json_becomes_our_exception(scripted, status, code, cls):
    scripted.script(json_reply(status, {"error_code": code, "message": f"it went {code}"}))
    with pytest.raises(cls, match=f"it went {code}") as info:
        _client(scripted.url).call("GET", "x")
    assert type(info.value) is cls
    assert len(scripted.seen) == 1  # user errors are never retried


def test_unknown_codes_and_5xx_become_store_errors_naming_the_url(scripted):
    scripted.script(json_reply(500, {"error_code": "INTERNAL_ERROR", "message": "boom"}))
    with pytest.raises(
        StoreError, match=r"GET .*/api/2.0/mlflow/x failed with HTTP 500 INTERNAL_ERROR: boom"
    ):
        _client(scripted.url).call("GET", "x")
    assert len(scripted.seen) == 1


def test_non_json_answers_are_explained(scripted):
    scripted.script((404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"))
    with pytest.raises(NotFoundError, match="no such endpoint"):
        _client(scripted.url).call("GET", "x")
    scripted.script((200, {"Content-Type": "text/html"}, b"<html>login</html>"))
    with pytest.raises(StoreError, match="not JSON"):
        _client(scripted.url).call("GET", "x")
    scripted.script((200, {}, b""))
    assert _client(scripted.url).call("POST", "x", {}) == {}
    assert issubclass(StoreError, MltrackError)


# -- auth -----------------------------------------------------------------------------------
def _authorization(scripted, monkeypatch, **env: str) -> str | None:
    for name in (
        "MLTRACK_TRACKING_USERNAME",
        "MLTRACK_TRACKING_PASSWORD",
        "MLTRACK_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    scripted.seen.clear()
    _client(scripted.url).call("GET", "x")
    return scripted.seen[-1].headers.get("authorization")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_credentials_come_from_the_environment(scripted, monkeypatch):
    assert _authorization(scripted, monkeypatch) is None
    assert _authorization(
        scripted, monkeypatch, MLTRACK_TRACKING_USERNAME="ann", MLTRACK_TRACKING_PASSWORD="pw"
    ) == _basic("ann", "pw")
    assert _authorization(scripted, monkeypatch, MLTRACK_TRACKING_TOKEN="tok-1") == "Bearer tok-1"
    assert _authorization(
        scripted, monkeypatch, MLFLOW_TRACKING_USERNAME="bob", MLFLOW_TRACKING_PASSWORD="x"
    ) == _basic("bob", "x")
    assert _authorization(scripted, monkeypatch, MLFLOW_TRACKING_TOKEN="tok-2") == "Bearer tok-2"
    # MLTRACK_* settings win over MLflow's.
    assert (
        _authorization(
            scripted, monkeypatch, MLTRACK_TRACKING_TOKEN="ours", MLFLOW_TRACKING_TOKEN="theirs"
        )
        == "Bearer ours"
    )


def test_credentials_in_the_tracking_uri_are_used(scripted, monkeypatch):
    for name in ("MLTRACK_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    url = scripted.url.replace("http://", "http://ann:pw@")
    client = _client(url)
    assert client.base_url == scripted.url
    client.call("GET", "x")
    assert scripted.seen[-1].headers["authorization"] == _basic("ann", "pw")
    assert scripted.seen[-1].headers["user-agent"].startswith("jupyter_mltrack/")


def test_get_sends_the_message_as_query_and_post_as_json(scripted):
    client = _client(scripted.url)
    client.call("GET", "runs/get", {"run_id": "r", "run_uuid": "r"})
    client.call("POST", "runs/log-batch", {"run_id": "r", "metrics": [{"value": math.nan}]})
    get, post = scripted.seen
    assert (get.method, get.path, get.query, get.body) == (
        "GET",
        "/api/2.0/mlflow/runs/get",
        "run_id=r&run_uuid=r",
        b"",
    )
    assert post.headers["content-type"] == "application/json"
    assert json.loads(post.body) == {"run_id": "r", "metrics": [{"value": "NaN"}]}


# -- TLS ------------------------------------------------------------------------------------
@pytest.fixture
def https_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real HTTPS server with a self-signed certificate for 127.0.0.1 (made with openssl)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip

    class Ok(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "15")
            self.end_headers()
            self.wfile.write(b'{"tls": "yes"} ')

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_tls_is_verified_unless_told_otherwise(https_server, monkeypatch):
    url, cert = https_server
    with pytest.raises(StoreError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        _client(url, retries=0).call("GET", "x")
    monkeypatch.setenv("MLTRACK_TRACKING_SERVER_CERT_PATH", str(cert))
    assert _client(url, retries=0).call("GET", "x") == {"tls": "yes"}
    monkeypatch.delenv("MLTRACK_TRACKING_SERVER_CERT_PATH")
    monkeypatch.setenv("MLTRACK_TRACKING_INSECURE_TLS", "true")
    assert _client(url, retries=0).call("GET", "x") == {"tls": "yes"}


def test_bad_retry_settings_are_refused(monkeypatch):
    monkeypatch.setenv("MLTRACK_HTTP_REQUEST_MAX_RETRIES", "many")
    with pytest.raises(InvalidParameterError, match="MLTRACK_HTTP_REQUEST_MAX_RETRIES"):
        HttpClient("http://127.0.0.1:1")
