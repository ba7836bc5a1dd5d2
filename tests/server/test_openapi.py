"""The OpenAPI description: complete, consistent with the served routes, and honest.

The last test is a small in-process schemathesis run over the tracking endpoints: generated
requests must never get a 5xx, and every response must match its documented status, content
type and schema. (The CI run over every endpoint is longer; see the server's CI job.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from starlette.routing import Route

from jupyter_mltrack.server.openapi import build_spec

pytestmark = pytest.mark.server

METHODS = {"get", "post", "put", "patch", "delete"}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _served(app: Any) -> set[tuple[str, str]]:
    out = set()
    for route in app.routes:
        if isinstance(route, Route) and route.methods:
            path = route.path.replace(":path}", "}")
            out |= {(path, m.lower()) for m in route.methods if m.lower() in METHODS}
    return out


def test_spec_is_served_and_self_consistent(client):  # type: ignore[no-untyped-def]
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert spec == build_spec()
    schemas = spec["components"]["schemas"]
    for ref in _refs(spec):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert method in METHODS, (path, method)
            assert operation["summary"], (path, method)
            assert "200" in operation["responses"], (path, method)


def test_every_served_route_is_described_and_vice_versa(server_app):  # type: ignore[no-untyped-def]
    spec = build_spec()
    described = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert _served(server_app) == described


def test_tracking_endpoints_of_the_protocol_are_described():  # type: ignore[no-untyped-def]
    paths = build_spec()["paths"]
    api = "/api/2.0/mlflow"
    required = {
        f"{api}/experiments/get-by-name": "get",
        f"{api}/experiments/create": "post",
        f"{api}/experiments/get": "get",
        f"{api}/experiments/search": "post",
        f"{api}/runs/create": "post",
        f"{api}/runs/get": "get",
        f"{api}/runs/update": "post",
        f"{api}/runs/log-parameter": "post",
        f"{api}/runs/log-metric": "post",
        f"{api}/runs/set-tag": "post",
        f"{api}/runs/log-batch": "post",
        f"{api}/runs/search": "post",
        f"{api}/runs/delete": "post",
        f"{api}/runs/restore": "post",
        f"{api}/metrics/get-history": "get",
        "/api/2.0/mlflow-artifacts/artifacts/{artifact_path}": "put",
        "/api/2.0/mlflow-artifacts/artifacts": "get",
        "/api/3.0/mlflow/server-info": "get",
        "/health": "get",
        "/version": "get",
    }
    for path, method in required.items():
        assert method in paths.get(path, {}), (path, method)


def test_wrong_method_is_405_json_with_the_full_allow_header(client):  # type: ignore[no-untyped-def]
    response = client.post("/api/2.0/mlflow/runs/get")
    assert response.status_code == 405
    assert response.json()["error_code"] == "BAD_REQUEST"
    artifact = client.request("OPTIONS", "/api/2.0/mlflow-artifacts/artifacts/1/x")
    assert artifact.status_code == 405
    assert set(artifact.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "DELETE"}


_TRACKING = re.compile(
    r"^/(health|version|api/3\.0|api/2\.0/mlflow-artifacts|"
    r"api/2\.0/mlflow/(experiments|runs/(create|get|update|search|log-|set-tag|delete|restore)|"
    r"metrics))"
)


@pytest.mark.slow
def test_generated_requests_get_documented_answers(server_app):  # type: ignore[no-untyped-def]
    import schemathesis
    from hypothesis import given
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    schema = schemathesis.openapi.from_asgi("/openapi.json", server_app)
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not _TRACKING.match(operation.path):
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(checks=checks)

        check()
        tested.append(operation.label)
    assert len(tested) >= 25, tested
