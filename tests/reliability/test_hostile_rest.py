"""Hostile input, part 3: the REST server and the CLI answer hostile requests with our errors.

Generated JSON bodies (wrong types, missing fields, nesting), artifact paths (traversal, absolute,
percent-encoded, NUL, very long, backslashes) and a table of malformed requests go to the real
app on a real SQLite store, in-process. The only acceptable answers are 2xx, or 4xx with the
project's JSON error body (``error_code`` and ``message``); a 5xx, a non-JSON error or a file
written outside the artifacts destination fails the test. Command-line arguments go through
``mltrack`` the same way: exit code 0, or 1/2 with a one-line message and no traceback.
"""

from __future__ import annotations

import collections
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_figures import report

from jupyter_mltrack.cli.main import main
from jupyter_mltrack.server import create_app, open_server_store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette suggests httpx2 for its TestClient
    from starlette.testclient import TestClient

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
SETTINGS = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
tried: collections.Counter[str] = collections.Counter()
statuses: collections.Counter[int] = collections.Counter()


class Server:
    """The app on a fresh store, one experiment and run to aim at, and its artifacts folder."""

    def __init__(self, root: Path) -> None:
        self.store = open_server_store(f"sqlite:///{root / 'server.db'}")
        self.artifacts = root / "artifacts"
        app = create_app(self.store, str(self.artifacts), max_upload_mb=1)
        self.http = TestClient(app, raise_server_exceptions=False)
        self.experiment_id = self.store.create_experiment("hostile")
        run = self.store.create_run(
            experiment_id=self.experiment_id, user_id="u", start_time=0, tags={}, run_name="r"
        )
        self.run_id = run.info.run_id

    def check(self, target: str, response: Any) -> None:
        """Assert ``response`` is a success or one of our 4xx JSON errors."""
        tried[target] += 1
        statuses[response.status_code] += 1
        detail = f"{target}: {response.status_code} {response.text[:300]}"
        assert response.status_code < 500, detail
        if response.status_code >= 400:
            body = response.json()
            assert body.get("error_code") and body.get("message"), detail


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    made = Server(tmp_path_factory.mktemp("hostile-rest"))
    with made.http:
        yield made
    made.store.close()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# Each endpoint with the fields a valid request has; generated values replace or join them.
ENDPOINTS = {
    "/runs/create": ("experiment_id", "start_time", "run_name", "tags"),
    "/runs/update": ("run_id", "status", "end_time", "run_name"),
    "/runs/log-metric": ("run_id", "key", "value", "timestamp", "step"),
    "/runs/log-parameter": ("run_id", "key", "value"),
    "/runs/set-tag": ("run_id", "key", "value"),
    "/runs/log-batch": ("run_id", "metrics", "params", "tags"),
    "/runs/search": ("experiment_ids", "filter", "max_results", "order_by", "page_token"),
    "/experiments/create": ("name", "artifact_location", "tags"),
    "/experiments/search": ("filter", "max_results", "order_by", "view_type"),
    "/registered-models/create": ("name", "tags", "description"),
    "/model-versions/create": ("name", "source", "run_id", "tags"),
    "/model-versions/search": ("filter", "max_results", "order_by"),
    "/logged-models/search": ("experiment_ids", "filter", "order_by", "max_results"),
}


def test_generated_json_bodies(server: Server) -> None:
    @settings(SETTINGS, max_examples=150)
    @given(
        endpoint=st.sampled_from(sorted(ENDPOINTS)),
        values=st.lists(JSON, min_size=5, max_size=5),
        keep=st.lists(st.booleans(), min_size=5, max_size=5),
    )
    def check(endpoint: str, values: list[Any], keep: list[bool]) -> None:
        fields = ENDPOINTS[endpoint]
        body = {"run_id": server.run_id, "experiment_id": server.experiment_id}
        body |= {f: v for f, v, k in zip(fields, values, keep, strict=False) if k}
        # Encoded here, not by httpx (which refuses NaN/inf): Python's json writes them as the
        # NaN/Infinity tokens real clients send, and the server must refuse them cleanly too.
        content = json.dumps(body)
        headers = {"Content-Type": "application/json"}
        response = server.http.post(API + endpoint, content=content, headers=headers)
        server.check(f"POST {endpoint}", response)

    check()


@pytest.mark.parametrize(
    ("endpoint", "content"),
    [
        ("/runs/create", b"{"),
        ("/runs/create", b"[" * 100_000 + b"]" * 100_000),
        ("/runs/create", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        ("/runs/log-batch", b'{"run_id":"' + b"a" * (20 << 20) + b'"}'),
        ("/runs/create", b"\xff\xfe\x00"),
        ("/runs/create", b'{"experiment_id": "0", "start_time": NaN}'),
        (
            "/runs/log-metric",
            b'{"run_id":"R","key":"m","value":1' + b"0" * 400 + b',"timestamp":1}',
        ),
        ("/runs/log-metric", b'{"run_id":"R","key":"m","value":1e999,"timestamp":1}'),
        ("/runs/log-parameter", b'{"run_id":"R","key":"p","value":"\\ud800"}'),
        ("/runs/log-parameter", b'{"run_id":"R","key":"p","value":"a\\u0000"}'),
        (
            "/runs/search",
            b'{"experiment_ids":["0"],"filter":"attributes.experiment_id = \'9'
            + b"9" * 30
            + b"'\"}",
        ),
        ("/runs/search", b'{"experiment_ids":["' + b"9" * 30 + b'"]}'),
        ("/experiments/create", b'{"name": "\\ud800"}'),
    ],
    ids=lambda v: v if isinstance(v, str) else repr(v[:40]),
)
def test_malformed_bodies(server: Server, endpoint: str, content: bytes) -> None:
    content = content.replace(b'"R"', json.dumps(server.run_id).encode())
    headers = {"content-type": "application/json"}
    server.check(
        f"bad body {endpoint}", server.http.post(API + endpoint, content=content, headers=headers)
    )


PATH_PARTS = st.sampled_from(
    [
        "..",
        ".",
        "a",
        "%2e%2e",
        "%2f",
        "%252e",
        "%00",
        "\\",
        "/",
        "C:",
        "~",
        "%C0%AE",
        "é",
        "x" * 300,
    ]
)
PATHS = st.lists(PATH_PARTS, min_size=1, max_size=8).map("/".join) | st.sampled_from(
    ["/etc/passwd", "a/" * 600 + "b", "..%2F..%2Fx", "%2e%2e%5c%2e%2e%5cx"]
)


def test_artifact_paths_over_http(server: Server) -> None:
    outside_before = set(server.artifacts.parent.rglob("*"))

    @SETTINGS
    @given(path=PATHS)
    def check(path: str) -> None:
        url = f"{ARTIFACTS}/{path}"
        server.check("PUT artifact", server.http.put(url, content=b"hostile"))
        server.check("GET artifact", server.http.get(url))
        server.check("list artifacts", server.http.get(ARTIFACTS, params={"path": path}))
        params = {"run_id": server.run_id, "path": path}
        server.check("run artifacts/list", server.http.get(f"{API}/artifacts/list", params=params))
        params = {"run_uuid": server.run_id, "path": path}
        server.check("get-artifact", server.http.get("/get-artifact", params=params))
        server.check("DELETE artifact", server.http.delete(url))

    check()
    root = server.artifacts.resolve()
    new = set(server.artifacts.parent.rglob("*")) - outside_before
    escaped = [p for p in new if not p.resolve().is_relative_to(root) and "server.db" not in p.name]
    assert not escaped, escaped


@pytest.mark.parametrize(
    "path", ["x" * 300, "a/" * 600 + "b", quote("x" * 300), f"0/{'y' * 256}/f.txt"]
)
def test_overlong_artifact_paths_are_400_not_500(server: Server, path: str) -> None:
    for label, method, url, params in (
        ("upload", "PUT", f"{ARTIFACTS}/{path}", None),
        ("list", "GET", ARTIFACTS, {"path": path}),
        ("run list", "GET", f"{API}/artifacts/list", {"run_id": server.run_id, "path": path}),
    ):
        response = server.http.request(method, url, params=params, content=b"x")
        server.check(f"overlong path {label}", response)
        assert response.status_code == 400, response.text


CLI_VALUES = st.text(max_size=30) | st.sampled_from(
    ["'; DROP TABLE runs; --", "params.p = 'x' OR 1=1", "\x1b[2J", "-h", "--", "a\x00b"]
)


def test_cli_arguments(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()

    @SETTINGS
    @given(value=CLI_VALUES, command=st.sampled_from(["filter", "order", "describe", "create"]))
    def check(value: str, command: str) -> None:
        args = {
            "filter": ["runs", "list", "--filter", value],
            "order": ["runs", "list", "--order-by", value],
            "describe": ["runs", "describe", value],
            "create": ["experiments", "create", value],
        }[command]
        tried[f"cli {command}"] += 1
        result = runner.invoke(main, ["--tracking-uri", uri, *args])
        assert result.exit_code in (0, 1, 2), (args, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            result.exception,
        )
        assert "Traceback" not in result.output

    check()


def test_zz_figures() -> None:
    """Print what the tests above sent (runs last in this module)."""
    for target in sorted(tried):
        report(f"6 hostile-input rest/cli [{target}]", examples=tried[target])
    report("6 hostile-input rest statuses", **{str(k): v for k, v in sorted(statuses.items())})
    assert not [code for code in statuses if code >= 500]
