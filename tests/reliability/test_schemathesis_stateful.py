"""Hostile input, part 5: schemathesis in stateful mode over the server's ``/openapi.json``.

``tests/server/test_schemathesis.py`` drives each operation alone, so most requests that need an
existing run, experiment or model end in a 404. Here the description is given OpenAPI ``links``
(create an experiment -> create a run in it -> log to / read / update / delete that run; create a
registered model -> create a version of it from that run -> stage / tag / alias it; create a
logged model -> tag / read / delete it) and schemathesis' state machine walks those chains with
generated values at every step, in-process against the real app on a real SQLite store. Every
response must be no 5xx, a documented status code and content type, and match its schema.
"""

from __future__ import annotations

import collections
import copy
import warnings
from pathlib import Path
from typing import Any

import pytest
from reliability_figures import report

from jupyter_mltrack.server.app import create_app, open_server_store
from jupyter_mltrack.store.sql.store import SqlStore

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette suggests httpx2 for its TestClient
    from starlette.testclient import TestClient

pytestmark = [pytest.mark.server]

API = "/api/2.0/mlflow"
EXPERIMENT_ID = "$response.body#/experiment_id"
RUN_ID = "$response.body#/run/info/run_id"
MODEL_NAME = "$response.body#/registered_model/name"
VERSION = {"name": "$response.body#/model_version/name"}
VERSION_Q = {
    "query.name": VERSION["name"],
    "query.version": "$response.body#/model_version/version",
}
LOGGED_MODEL_ID = {"path.model_id": "$response.body#/model/info/model_id"}

# (source method, source path) -> [(link name, target method, target path, parameters, body)]
LINKS: dict[tuple[str, str], list[tuple[str, str, str, dict[str, str], dict[str, Any]]]] = {
    ("post", "/experiments/create"): [
        ("CreateRun", "post", "/runs/create", {}, {"experiment_id": EXPERIMENT_ID}),
        ("GetExperiment", "get", "/experiments/get", {"query.experiment_id": EXPERIMENT_ID}, {}),
        (
            "TagExperiment",
            "post",
            "/experiments/set-experiment-tag",
            {},
            {"experiment_id": EXPERIMENT_ID},
        ),
        ("RenameExperiment", "post", "/experiments/update", {}, {"experiment_id": EXPERIMENT_ID}),
        ("DeleteExperiment", "post", "/experiments/delete", {}, {"experiment_id": EXPERIMENT_ID}),
        ("CreateLoggedModel", "post", "/logged-models", {}, {"experiment_id": EXPERIMENT_ID}),
    ],
    ("post", "/runs/create"): [
        *[
            (name, "post", path, {}, {"run_id": RUN_ID})
            for name, path in (
                ("LogMetric", "/runs/log-metric"),
                ("LogParam", "/runs/log-parameter"),
                ("SetTag", "/runs/set-tag"),
                ("DeleteTag", "/runs/delete-tag"),
                ("LogBatch", "/runs/log-batch"),
                ("UpdateRun", "/runs/update"),
                ("DeleteRun", "/runs/delete"),
                ("RestoreRun", "/runs/restore"),
            )
        ],
        ("GetRun", "get", "/runs/get", {"query.run_id": RUN_ID}, {}),
        ("History", "get", "/metrics/get-history", {"query.run_id": RUN_ID}, {}),
        ("ListArtifacts", "get", "/artifacts/list", {"query.run_id": RUN_ID}, {}),
        ("CreateVersion", "post", "/model-versions/create", {}, {"run_id": RUN_ID}),
    ],
    ("post", "/registered-models/create"): [
        ("CreateVersionOf", "post", "/model-versions/create", {}, {"name": MODEL_NAME}),
        ("GetModel", "get", "/registered-models/get", {"query.name": MODEL_NAME}, {}),
        ("TagModel", "post", "/registered-models/set-tag", {}, {"name": MODEL_NAME}),
        ("UpdateModel", "patch", "/registered-models/update", {}, {"name": MODEL_NAME}),
        ("RenameModel", "post", "/registered-models/rename", {}, {"name": MODEL_NAME}),
        ("DeleteModel", "delete", "/registered-models/delete", {}, {"name": MODEL_NAME}),
    ],
    ("post", "/model-versions/create"): [
        ("GetVersion", "get", "/model-versions/get", VERSION_Q, {}),
        ("Transition", "post", "/model-versions/transition-stage", {}, VERSION),
        ("TagVersion", "post", "/model-versions/set-tag", {}, VERSION),
        ("UpdateVersion", "patch", "/model-versions/update", {}, VERSION),
        ("Alias", "post", "/registered-models/alias", {}, VERSION),
        ("DeleteVersion", "delete", "/model-versions/delete", {}, VERSION),
    ],
    ("post", "/logged-models"): [
        ("GetLoggedModel", "get", "/logged-models/{model_id}", LOGGED_MODEL_ID, {}),
        ("TagLoggedModel", "patch", "/logged-models/{model_id}/tags", LOGGED_MODEL_ID, {}),
        ("LoggedModelParams", "post", "/logged-models/{model_id}/params", LOGGED_MODEL_ID, {}),
        ("DeleteLoggedModel", "delete", "/logged-models/{model_id}", LOGGED_MODEL_ID, {}),
    ],
}


def _ref(method: str, path: str) -> str:
    escaped = (API + path).replace("~", "~0").replace("/", "~1")
    return f"#/paths/{escaped}/{method}"


def with_links(spec: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Return a copy of ``spec`` with :data:`LINKS` on the 200 responses, and the link count."""
    linked = copy.deepcopy(spec)
    count = 0
    for (method, path), links in LINKS.items():
        response = linked["paths"][API + path][method]["responses"]["200"]
        response["links"] = {}
        for name, target_method, target_path, parameters, body in links:
            assert target_method in linked["paths"][API + target_path], (target_method, target_path)
            link: dict[str, Any] = {"operationRef": _ref(target_method, target_path)}
            if parameters:
                link["parameters"] = parameters
            if body:
                link["requestBody"] = body
            response["links"][name] = link
            count += 1
    return linked, count


class FreshApp:
    """An ASGI app that forwards to the server app on the newest of a series of fresh stores."""

    def __init__(self, root: Path) -> None:
        self.root, self.count = root, 0
        self.store: SqlStore | None = None
        self.renew()

    def renew(self) -> None:
        self.close()
        self.count += 1
        folder = self.root / f"scenario-{self.count}"
        self.store = store = open_server_store(f"sqlite:///{folder}.db")
        self.current = create_app(store, str(folder / "artifacts"), max_upload_mb=1)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.current(scope, receive, send)


@pytest.mark.timeout(240)
def test_linked_operations_in_stateful_mode(tmp_path: Path) -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, settings
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    # Each scenario starts from an empty store, so a replayed scenario behaves the same (with one
    # store for all, Hypothesis sees the state of earlier scenarios as flaky data generation).
    app = FreshApp(tmp_path)
    with TestClient(app.current) as http:
        spec, link_count = with_links(http.get("/openapi.json").json())
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    calls: collections.Counter[str] = collections.Counter()
    statuses: collections.Counter[int] = collections.Counter()

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            app.renew()

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            calls[f"{case.operation.method.upper()} {case.operation.path}"] += 1
            statuses[response.status_code] += 1
            case.validate_response(response, checks=checks)

    Machine.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=8,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    app.close()
    # The walk meant something only if linked steps reached existing entities.
    reached = {op: n for op, n in calls.items() if "create" not in op}
    report(
        "6 schemathesis stateful",
        links=link_count,
        operations=len(calls),
        calls=sum(calls.values()),
        **{f"status_{code}": n for code, n in sorted(statuses.items())},
        server_errors=sum(n for code, n in statuses.items() if code >= 500),
    )
    assert not [code for code in statuses if code >= 500], dict(statuses)
    assert statuses[200] > 20, dict(statuses)
    assert len(reached) >= 10, calls
