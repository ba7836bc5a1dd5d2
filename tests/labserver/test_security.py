"""Auth, XSRF, no CORS, masked credentials, and errors that never leak a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lab_seed import KERNEL
from lab_server import TOKEN, LabServer, jupyter_server

from jupyter_mltrack.labserver.handlers import routes

GETS = ["health", "experiments", "runs", "runs/abc", "runs/abc/artifacts", "runs/abc/artifact",
        "metrics/history", "models", "models/churn", f"kernels/{KERNEL}/run",
        "notebooks/parameters?path=proj/train.ipynb"]  # fmt: skip
POSTS = ["models/churn/alias", "models/churn/stage", "projects/run"]


def test_the_lists_above_cover_every_route() -> None:
    assert len(routes(fallback=False)) == len(GETS) + len(POSTS)


@pytest.mark.parametrize("route", GETS)
def test_get_without_token_is_refused(lab: LabServer, route: str) -> None:
    with lab.client(token=False) as anonymous:
        response = anonymous.get(route)
    assert response.status_code in (401, 403)
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("route", POSTS)
def test_post_without_token_is_refused(lab: LabServer, route: str) -> None:
    with lab.client(token=False) as anonymous:
        response = anonymous.post(route, json={"confirm": True})
    assert response.status_code in (401, 403)


def test_unknown_api_path_is_a_json_404(api: httpx.Client, lab: LabServer) -> None:
    response = api.get("runs/abc/nothing")
    assert response.status_code == 404 and response.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    with lab.client(token=False) as anonymous:
        assert anonymous.get("no-such-route").status_code in (401, 403)


def test_wrong_token_is_refused(lab: LabServer) -> None:
    with lab.client(token=False) as client:
        response = client.get("runs", headers={"Authorization": "token wrong"})
    assert response.status_code in (401, 403)


@pytest.fixture
def cookie_session(lab: LabServer) -> Iterator[httpx.Client]:
    """A browser-like session: logged in with the token through the login form (a cookie)."""
    with httpx.Client(base_url=lab.url, timeout=30) as browser:
        browser.get("login")
        xsrf = browser.cookies["_xsrf"]
        login = browser.post("login", data={"password": TOKEN, "_xsrf": xsrf})
        assert login.status_code in (200, 302)
        assert browser.get("mltrack/api/health").status_code == 200  # the cookie works
        yield browser


def test_cookie_post_without_xsrf_is_refused(cookie_session: httpx.Client) -> None:
    body = {"alias": "xsrf", "version": "1", "confirm": True}
    refused = cookie_session.post("mltrack/api/models/churn/alias", json=body)
    assert refused.status_code == 403
    assert "xsrf" in refused.json()["message"].lower()
    assert "xsrf" not in cookie_session.get("mltrack/api/models/churn").json()["aliases"]


def test_cookie_post_with_xsrf_header_is_accepted(cookie_session: httpx.Client) -> None:
    headers = {"X-XSRFToken": cookie_session.cookies["_xsrf"]}
    body = {"alias": "xsrf", "version": "1"}  # not confirmed: answered, but nothing changes
    response = cookie_session.post("mltrack/api/models/churn/alias", json=body, headers=headers)
    assert response.status_code == 409


def test_no_cors_headers_even_for_a_foreign_origin(api: httpx.Client) -> None:
    response = api.get("runs", headers={"Origin": "http://evil.example"})
    assert not any(h.startswith("access-control-") for h in response.headers)
    preflight = api.options("runs", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in preflight.headers


@pytest.fixture(scope="module")
def postgres_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A second server whose store (--MltrackLab.tracking_uri) has a password and is down."""
    root = tmp_path_factory.mktemp("pg-root")
    home = tmp_path_factory.mktemp("pg-home")
    uri = "postgresql+psycopg://ml:s3cr%40t@127.0.0.1:9/runs?sslmode=disable&password=hunter2"
    env = {"MLTRACK_TRACKING_URI": f"sqlite:///{root}/env.db"}  # the option wins over it
    with jupyter_server(root, home, f"--MltrackLab.tracking_uri={uri}", env=env) as server:
        yield server


def test_health_masks_the_postgres_password(postgres_lab: LabServer) -> None:
    with postgres_lab.client() as api:
        response = api.get("health")
    assert response.json()["tracking_uri"] == (
        "postgresql+psycopg://ml:***@127.0.0.1:9/runs?sslmode=disable&password=***"
    )
    assert "s3cr" not in response.text and "hunter2" not in response.text


def test_unreachable_store_is_a_json_error_without_secrets(postgres_lab: LabServer) -> None:
    with postgres_lab.client() as api:
        response = api.get("runs")
    assert response.status_code == 503
    assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert response.json()["message"].startswith(
        "Cannot reach the tracking store at postgresql+psycopg://ml:***@127.0.0.1:9/runs"
    )
    assert "Traceback" not in response.text
    assert "s3cr" not in response.text and "hunter2" not in response.text


def test_the_server_log_has_no_password(postgres_lab: LabServer) -> None:
    assert "hunter2" not in Path(postgres_lab.log).read_text()
