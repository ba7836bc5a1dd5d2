"""create_app: route collection, error translation, limits and the auth hook."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from jupyter_mltrack.errors import InvalidParameterError, RequestTooLarge
from jupyter_mltrack.server import app as app_module
from jupyter_mltrack.server import create_app, open_server_store
from jupyter_mltrack.store.sql.store import SqlStore

pytestmark = pytest.mark.server

API = "/api/2.0/mlflow"


def test_unknown_route_is_json_endpoint_not_found(client):  # type: ignore[no-untyped-def]
    response = client.get(f"{API}/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_health_version_and_server_info(client):  # type: ignore[no-untyped-def]
    from jupyter_mltrack import __version__

    assert client.get("/health").text == "OK"
    assert client.get("/version").text == __version__
    info = client.get("/api/3.0/mlflow/server-info").json()
    assert info["store_type"] == "SqlStore"
    assert info["multipart_uploads_enabled"] is False
    assert info["multipart_downloads_enabled"] is False


class _FaultyStore(SqlStore):
    """A real store whose experiment lookup fails unexpectedly (a bug, not a user error)."""

    def get_experiment(self, experiment_id: str) -> Any:
        raise RuntimeError("disk on fire")


def test_unexpected_errors_are_500_json_and_logged(tmp_path, make_client, caplog):  # type: ignore[no-untyped-def]
    store = _FaultyStore(
        f"sqlite:///{tmp_path / 'f.db'}", default_artifact_root="mlflow-artifacts:/"
    )
    faulty = make_client(create_app(store, str(tmp_path / "a")))
    with caplog.at_level(logging.ERROR, logger="jupyter_mltrack.server.app"):
        response = faulty.get(f"{API}/experiments/get", params={"experiment_id": "0"})
    assert response.status_code == 500
    assert response.json()["error_code"] == "INTERNAL_ERROR"
    assert "disk on fire" in response.json()["message"]
    assert "raised an unexpected error" in caplog.text
    # User errors from the same store are still 4xx.
    assert faulty.get(f"{API}/runs/get", params={"run_id": "x"}).status_code == 404


def test_user_error_statuses(client):  # type: ignore[no-untyped-def]
    assert InvalidParameterError.http_status == 400
    assert RequestTooLarge.http_status == 413
    bad_json = client.post(f"{API}/runs/create", content=b"\xff\xfe")
    assert bad_json.status_code == 400
    wrong_type = client.post(f"{API}/runs/create", json={"experiment_id": 5})
    assert wrong_type.status_code == 400
    assert "Invalid value 5 for parameter 'experiment_id'" in wrong_type.json()["message"]


def test_a_subset_of_route_modules_serves_only_their_routes(
    monkeypatch, server_store, tmp_path, make_client
):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(app_module, "ROUTE_MODULES", ("experiments",))
    partial = make_client(create_app(server_store, str(tmp_path / "a")))
    assert partial.get(f"{API}/experiments/get", params={"experiment_id": "0"}).status_code == 200
    missing = partial.get(f"{API}/runs/get", params={"run_id": "x"})
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "ENDPOINT_NOT_FOUND"


class _HeaderAuth:
    """A minimal authenticator: lets requests with the right header through, refuses others."""

    def wrap(self, inner: Any) -> Any:
        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            headers = dict(scope.get("headers", []))
            if scope["type"] == "http" and headers.get(b"x-key") != b"secret":
                body = b'{"error_code":"UNAUTHENTICATED","message":"no key"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            await inner(scope, receive, send)

        return middleware


def test_auth_wraps_the_app(server_store, tmp_path, make_client):  # type: ignore[no-untyped-def]
    guarded = make_client(create_app(server_store, str(tmp_path / "a"), auth=_HeaderAuth()))
    assert guarded.get("/health").status_code == 401
    assert guarded.get("/health", headers={"x-key": "secret"}).text == "OK"


def test_server_store_gives_proxied_artifact_locations(tmp_path):  # type: ignore[no-untyped-def]
    store = open_server_store(f"sqlite:///{tmp_path / 's.db'}")
    assert store.get_experiment("0").artifact_location == "mlflow-artifacts:/0"
    assert store.get_experiment(store.create_experiment("x")).artifact_location == (
        "mlflow-artifacts:/1"
    )
    store.close()
    # A store created before keeps its locations.
    local = SqlStore(f"sqlite:///{tmp_path / 'l.db'}")
    before = local.get_experiment("0").artifact_location
    local.close()
    reopened = open_server_store(f"sqlite:///{tmp_path / 'l.db'}")
    assert reopened.get_experiment("0").artifact_location == before
    reopened.close()
