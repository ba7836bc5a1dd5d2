"""Registry routes over HTTP: MLflow's JSON shapes, the logged-model links, errors as 4xx."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.server

API = "/api/2.0/mlflow"
RM = f"{API}/registered-models"
MV = f"{API}/model-versions"
PROMPT_FILTER = "tag.`mlflow.prompt.is_prompt` != 'true'"


def _ok(response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def _logged_model(client, run: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    body = {"experiment_id": run["experiment_id"], "name": "model", "source_run_id": run["run_id"]}
    model_id: str = _ok(client.post(f"{API}/logged-models", json=body))["model"]["info"]["model_id"]
    return model_id


@pytest.fixture
def m1(client, make_run) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Registered model m1 with version 1 made from a logged model (as MLflow 3 registers)."""
    run = make_run()
    model_id = _logged_model(client, run)
    created = _ok(client.post(f"{RM}/create", json={"name": "m1"}))
    version = _ok(
        client.post(
            f"{MV}/create",
            json={"name": "m1", "source": f"models:/{model_id}", "model_id": model_id},
        )
    )["model_version"]
    return {"run": run, "model_id": model_id, "created": created, "version": version}


def test_create_model_and_version_shapes(client, m1):
    rm = m1["created"]["registered_model"]
    assert rm["name"] == "m1"
    assert rm["creation_timestamp"] == rm["last_updated_timestamp"] > 0
    assert "tags" not in rm and "aliases" not in rm and "latest_versions" not in rm
    mv = m1["version"]
    assert mv["name"] == "m1"
    assert mv["version"] == "1"
    assert mv["status"] == "READY"
    assert mv["current_stage"] == "None"
    assert mv["source"] == f"models:/{m1['model_id']}"
    # The server takes run_id from the logged model (the request had none).
    assert mv["run_id"] == m1["run"]["run_id"]
    assert "aliases" not in mv and "tags" not in mv


def test_version_is_recorded_on_the_logged_model(client, m1):
    info = _ok(client.get(f"{API}/logged-models/{m1['model_id']}"))["model"]["info"]
    tags = {t["key"]: t["value"] for t in info["tags"]}
    assert json.loads(tags["mlflow.modelVersions"]) == [{"name": "m1", "version": 1}]


def test_get_model_has_latest_versions(client, m1):
    rm = _ok(client.get(f"{RM}/get", params={"name": "m1"}))["registered_model"]
    assert [v["version"] for v in rm["latest_versions"]] == ["1"]
    assert rm["latest_versions"][0]["status"] == "READY"


def test_search_tolerates_mlflows_prompt_filter(client, m1):
    _ok(client.post(f"{RM}/create", json={"name": "m2"}))
    prompt = {"name": "p", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]}
    _ok(client.post(f"{RM}/create", json=prompt))
    found = _ok(client.get(f"{RM}/search", params={"filter": PROMPT_FILTER, "max_results": 100}))
    assert [m["name"] for m in found["registered_models"]] == ["m1", "m2"]
    assert "next_page_token" not in found
    first = _ok(client.get(f"{RM}/search", params={"filter": PROMPT_FILTER, "max_results": 1}))
    assert [m["name"] for m in first["registered_models"]] == ["m1"]
    second = _ok(
        client.get(
            f"{RM}/search",
            params={
                "filter": PROMPT_FILTER,
                "max_results": 1,
                "page_token": first["next_page_token"],
            },
        )
    )
    assert [m["name"] for m in second["registered_models"]] == ["m2"]
    prompts = _ok(
        client.get(f"{RM}/search", params={"filter": "tags.`mlflow.prompt.is_prompt` = 'true'"})
    )
    assert [m["name"] for m in prompts["registered_models"]] == ["p"]


def test_get_and_search_versions(client, m1):
    got = _ok(client.get(f"{MV}/get", params={"name": "m1", "version": "1"}))["model_version"]
    assert got == m1["version"]
    found = _ok(client.get(f"{MV}/search", params={"filter": "name='m1'", "max_results": 10000}))
    assert [v["version"] for v in found["model_versions"]] == ["1"]
    assert _ok(client.get(f"{MV}/search", params={"filter": "name='nope'"})) == {}


def test_download_uri_of_logged_model_and_run_sources(client, m1, make_run):
    uri = _ok(client.get(f"{MV}/get-download-uri", params={"name": "m1", "version": "1"}))
    exp = m1["run"]["experiment_id"]
    assert uri == {"artifact_uri": f"mlflow-artifacts:/{exp}/models/{m1['model_id']}/artifacts"}
    run = make_run()
    body = {"name": "m1", "source": f"runs:/{run['run_id']}/model", "run_id": run["run_id"]}
    assert _ok(client.post(f"{MV}/create", json=body))["model_version"]["version"] == "2"
    uri = _ok(client.get(f"{MV}/get-download-uri", params={"name": "m1", "version": "2"}))
    assert uri == {"artifact_uri": f"{run['artifact_uri']}/model"}
    body = {"name": "copy", "source": "models:/m1/2"}
    _ok(client.post(f"{MV}/create", json=body))  # the model is created on the fly
    uri = _ok(client.get(f"{MV}/get-download-uri", params={"name": "copy", "version": "1"}))
    assert uri == {"artifact_uri": f"{run['artifact_uri']}/model"}


def test_aliases(client, m1):
    body = {"name": "m1", "alias": "champion", "version": "1"}
    assert _ok(client.post(f"{RM}/alias", json=body)) == {}
    mv = _ok(client.get(f"{RM}/alias", params={"name": "m1", "alias": "champion"}))
    assert mv["model_version"]["aliases"] == ["champion"]
    rm = _ok(client.get(f"{RM}/get", params={"name": "m1"}))["registered_model"]
    assert rm["aliases"] == [{"alias": "champion", "version": "1"}]
    assert (
        _ok(client.request("DELETE", f"{RM}/alias", json={"name": "m1", "alias": "champion"})) == {}
    )
    gone = client.get(f"{RM}/alias", params={"name": "m1", "alias": "champion"})
    assert gone.status_code in (400, 404)
    assert gone.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")


def test_stages_tags_descriptions(client, m1):
    body = {"name": "m1", "version": "1", "stage": "Staging", "archive_existing_versions": False}
    moved = _ok(client.post(f"{MV}/transition-stage", json=body))["model_version"]
    assert moved["current_stage"] == "Staging"
    tag = {"name": "m1", "version": "1", "key": "validated", "value": "yes"}
    assert _ok(client.post(f"{MV}/set-tag", json=tag)) == {}
    body = {"name": "m1", "version": "1", "description": "first version"}
    updated = _ok(client.patch(f"{MV}/update", json=body))["model_version"]
    assert updated["description"] == "first version"
    assert updated["tags"] == [{"key": "validated", "value": "yes"}]
    latest = _ok(client.post(f"{RM}/get-latest-versions", json={"name": "m1"}))
    assert [(v["version"], v["current_stage"]) for v in latest["model_versions"]] == [
        ("1", "Staging")
    ]
    staged = _ok(
        client.post(f"{RM}/get-latest-versions", json={"name": "m1", "stages": ["Production"]})
    )
    assert staged == {}
    delete = {"name": "m1", "version": "1", "key": "validated"}
    assert _ok(client.request("DELETE", f"{MV}/delete-tag", json=delete)) == {}
    assert (
        "tags"
        not in _ok(client.get(f"{MV}/get", params={"name": "m1", "version": "1"}))["model_version"]
    )


def test_model_update_tags_rename_delete(client, m1):
    updated = _ok(client.patch(f"{RM}/update", json={"name": "m1", "description": "desc"}))
    assert updated["registered_model"]["description"] == "desc"
    assert (
        _ok(client.post(f"{RM}/set-tag", json={"name": "m1", "key": "owner", "value": "me"})) == {}
    )
    rm = _ok(client.get(f"{RM}/get", params={"name": "m1"}))["registered_model"]
    assert rm["tags"] == [{"key": "owner", "value": "me"}]
    assert (
        _ok(client.request("DELETE", f"{RM}/delete-tag", json={"name": "m1", "key": "owner"})) == {}
    )
    renamed = _ok(client.post(f"{RM}/rename", json={"name": "m1", "new_name": "m1b"}))
    assert renamed["registered_model"]["name"] == "m1b"
    assert (
        _ok(client.get(f"{MV}/get", params={"name": "m1b", "version": "1"}))["model_version"][
            "name"
        ]
        == "m1b"
    )
    assert _ok(client.request("DELETE", f"{MV}/delete", json={"name": "m1b", "version": "1"})) == {}
    assert client.get(f"{MV}/get", params={"name": "m1b", "version": "1"}).status_code == 404
    assert _ok(client.request("DELETE", f"{RM}/delete", json={"name": "m1b"})) == {}
    assert client.get(f"{RM}/get", params={"name": "m1b"}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("get", f"{RM}/get", {"params": {"name": "nope"}}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("post", f"{RM}/create", {"json": {"name": "m1"}}, 400, "RESOURCE_ALREADY_EXISTS"),
        ("post", f"{RM}/create", {"json": {}}, 400, "INVALID_PARAMETER_VALUE"),
        (
            "get",
            f"{MV}/get",
            {"params": {"name": "m1", "version": "9"}},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
        (
            "get",
            f"{MV}/get",
            {"params": {"name": "m1", "version": "x"}},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "get",
            f"{RM}/search",
            {"params": {"filter": "name ~ 'x'"}},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "post",
            f"{RM}/alias",
            {"json": {"name": "m1", "alias": "1", "version": "1"}},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "post",
            f"{MV}/transition-stage",
            {"json": {"name": "m1", "version": "1", "stage": "Gold"}},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "post",
            f"{MV}/create",
            {"json": {"name": "m1", "source": "models:/m-" + "0" * 32}},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
        ("post", f"{MV}/create", {"json": {"name": "m1"}}, 400, "INVALID_PARAMETER_VALUE"),
        (
            "post",
            f"{MV}/create",
            {"json": {"name": "m1", "source": "runs:/x/m", "run_id": "x" * 40}},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "get",
            f"{MV}/get",
            {"params": {"name": "m1", "version": "9" * 20}},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "get",
            f"{MV}/get-download-uri",
            {"params": {"name": "m1", "version": "7"}},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
    ],
)
def test_errors_are_mlflow_json(client, m1, method, path, kwargs, status, code):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code


def test_openapi_lists_the_registry_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths[f"{RM}/alias"]) == {"get", "post", "delete"}
    for path in (f"{RM}/create", f"{RM}/search", f"{MV}/create", f"{MV}/get-download-uri"):
        assert path in paths
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"ModelVersion", "RegisteredModel", "LoggedModel"} <= set(schemas)


def test_history_and_audit_fields(client, m1):
    body = {
        "name": "m1",
        "version": "1",
        "stage": "Production",
        "user_id": "ann",
        "comment": "passed checks",
        "evidence_uri": "runs:/abc/validation.ipynb",
        "metrics": {"auc": 0.91, "drift": "NaN"},
    }
    _ok(client.post(f"{MV}/transition-stage", json=body))
    alias = {"name": "m1", "alias": "champion", "version": "1", "user_id": "bob", "comment": "go"}
    _ok(client.post(f"{RM}/alias", json=alias))
    events = _ok(client.get(f"{RM}/history", params={"name": "m1"}))["events"]
    assert [(e["kind"], e["user_id"], e["from"], e["to"]) for e in events] == [
        ("stage", "ann", "None", "Production"),
        ("alias_set", "bob", None, "1"),
    ]
    assert events[0]["comment"] == "passed checks"
    assert events[0]["evidence_uri"] == "runs:/abc/validation.ipynb"
    assert events[0]["metrics"]["auc"] == 0.91
    assert events[0]["metrics"]["drift"] == "NaN"  # non-finite floats travel as strings
    assert _ok(client.get(f"{RM}/history", params={"name": "m1", "version": "2"})) == {}


def test_version_extension_fields_round_trip(client):
    body = {
        "name": "ext",
        "source": "s3://bucket/model",
        "experiment_id": "0",
        "signature": '{"inputs": "[]"}',
        "flavors": ["python_function", "sklearn"],
        "user_id": "ann",
    }
    mv = _ok(client.post(f"{MV}/create", json=body))["model_version"]
    assert mv["experiment_id"] == "0"
    assert mv["signature"] == '{"inputs": "[]"}'
    assert mv["flavors"] == ["python_function", "sklearn"]
    assert mv["user_id"] == "ann"
    assert _ok(client.get(f"{MV}/get-download-uri", params={"name": "ext", "version": "1"})) == {
        "artifact_uri": "s3://bucket/model"
    }


def test_authenticated_user_wins_over_the_body(tmp_path):
    import base64

    from starlette.testclient import TestClient

    from jupyter_mltrack.server.app import create_app, open_server_store
    from jupyter_mltrack.server.auth import Authenticator, AuthStore, Role

    store = open_server_store(f"sqlite:///{tmp_path}/auth.db")
    users = AuthStore(store.engine)
    users.create_user("writer", Role.WRITE, "writer-pw-1")
    headers = {"Authorization": "Basic " + base64.b64encode(b"writer:writer-pw-1").decode()}
    app = create_app(store, str(tmp_path / "artifacts"), Authenticator(users))
    with TestClient(app, headers=headers) as client:
        _ok(client.post(f"{MV}/create", json={"name": "m", "source": "s3://b/m"}))
        body = {"name": "m", "version": "1", "stage": "Staging", "user_id": "someone-else"}
        _ok(client.post(f"{MV}/transition-stage", json=body))
        [event] = _ok(client.get(f"{RM}/history", params={"name": "m"}))["events"]
    store.close()
    assert event["user_id"] == "writer"
