"""Logged-model routes and run inputs/outputs over HTTP: MLflow's JSON shapes, errors as 4xx."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.server

API = "/api/2.0/mlflow"
LM = f"{API}/logged-models"


def _create(client, run: dict[str, Any], **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = {
        "experiment_id": run["experiment_id"],
        "name": "model",
        "source_run_id": run["run_id"],
        "tags": [
            {"key": "mlflow.user", "value": "root"},
            {"key": "mlflow.source.type", "value": "LOCAL"},
        ],
        **fields,
    }
    response = client.post(LM, json=body)
    assert response.status_code == 200, response.text
    model: dict[str, Any] = response.json()["model"]
    return model


def test_create_get_finalize_in_mlflows_shape(client, make_run):
    run = make_run()
    model = _create(client, run)
    info = model["info"]
    model_id = info["model_id"]
    assert re.fullmatch(r"m-[0-9a-f]{32}", model_id)
    assert info == {
        "model_id": model_id,
        "experiment_id": run["experiment_id"],
        "name": "model",
        "creation_timestamp_ms": info["creation_timestamp_ms"],
        "last_updated_timestamp_ms": info["creation_timestamp_ms"],
        "artifact_uri": f"mlflow-artifacts:/{run['experiment_id']}/models/{model_id}/artifacts",
        "status": "LOGGED_MODEL_PENDING",
        "model_type": "",
        "source_run_id": run["run_id"],
        "tags": [
            {"key": "mlflow.source.type", "value": "LOCAL"},
            {"key": "mlflow.user", "value": "root"},
        ],
    }
    assert model["data"] == {}
    assert client.get(f"{LM}/{model_id}").json() == {"model": model}

    done = client.patch(
        f"{LM}/{model_id}", json={"model_id": model_id, "status": "LOGGED_MODEL_READY"}
    )
    assert done.status_code == 200
    assert done.json()["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    assert client.get(f"{LM}/{model_id}").json()["model"]["info"]["status"] == "LOGGED_MODEL_READY"


def test_params_come_back_in_data(client, make_run):
    params = [{"key": "alpha", "value": "0.5"}, {"key": "n_estimators", "value": "3"}]
    model = _create(client, make_run(), params=params)
    assert model["data"] == {"params": params}


def test_tags_patch_and_delete(client, make_run):
    model_id = _create(client, make_run())["info"]["model_id"]
    value = '[{"name": "m1", "version": 1}]'
    response = client.patch(
        f"{LM}/{model_id}/tags", json={"tags": [{"key": "mlflow.modelVersions", "value": value}]}
    )
    assert response.status_code == 200 and response.json() == {}
    tags = client.get(f"{LM}/{model_id}").json()["model"]["info"]["tags"]
    assert {"key": "mlflow.modelVersions", "value": value} in tags
    assert client.delete(f"{LM}/{model_id}/tags/mlflow.modelVersions").status_code == 200
    tags = client.get(f"{LM}/{model_id}").json()["model"]["info"]["tags"]
    assert "mlflow.modelVersions" not in {t["key"] for t in tags}
    missing = client.delete(f"{LM}/{model_id}/tags/mlflow.modelVersions")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_search_by_name_and_empty_answer(client, make_run):
    run = make_run()
    model_id = _create(client, run)["info"]["model_id"]
    _create(client, run, name="other")
    exp = [run["experiment_id"]]
    found = client.post(f"{LM}/search", json={"experiment_ids": exp, "filter": "name = 'model'"})
    assert found.status_code == 200
    assert [m["info"]["model_id"] for m in found.json()["models"]] == [model_id]
    nothing = client.post(f"{LM}/search", json={"experiment_ids": exp, "filter": "name = 'dir'"})
    assert nothing.status_code == 200 and nothing.json() == {}


def test_search_order_messages_and_pages(client, make_run):
    run = make_run()
    for name in ("b", "a", "c"):
        _create(client, run, name=name)
    exp = [run["experiment_id"]]
    order = [{"field_name": "name", "ascending": False}]
    first = client.post(
        f"{LM}/search", json={"experiment_ids": exp, "order_by": order, "max_results": 2}
    ).json()
    assert [m["info"]["name"] for m in first["models"]] == ["c", "b"]
    second = client.post(
        f"{LM}/search",
        json={"experiment_ids": exp, "order_by": order, "page_token": first["next_page_token"]},
    ).json()
    assert [m["info"]["name"] for m in second["models"]] == ["a"]
    assert "next_page_token" not in second
    by_status = client.post(
        f"{LM}/search", json={"experiment_ids": exp, "filter": "status != 'READY'"}
    ).json()
    assert len(by_status["models"]) == 3


def test_outputs_and_inputs_show_on_runs_get(client, make_run):
    run = make_run()
    model_id = _create(client, run)["info"]["model_id"]
    linked = client.post(
        f"{API}/runs/outputs",
        json={"run_id": run["run_id"], "models": [{"model_id": model_id, "step": 0}]},
    )
    assert linked.status_code == 200 and linked.json() == {}
    dataset = {
        "name": "iris5",
        "digest": "affdde7d",
        "source_type": "code",
        "source": '{"tags": {}}',
        "schema": '{"mlflow_colspec": []}',
        "profile": '{"num_rows": 5, "num_elements": 20}',
    }
    tags = [{"key": "mlflow.data.context", "value": "training"}]
    logged = client.post(
        f"{API}/runs/log-inputs",
        json={
            "run_id": run["run_id"],
            "datasets": [{"tags": tags, "dataset": dataset}],
            "models": [{"model_id": model_id}],
        },
    )
    assert logged.status_code == 200 and logged.json() == {}
    got = client.get(f"{API}/runs/get", params={"run_id": run["run_id"]}).json()["run"]
    assert got["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 0}]}
    assert got["inputs"] == {
        "dataset_inputs": [{"tags": tags, "dataset": dataset}],
        "model_inputs": [{"model_id": model_id}],
    }
    searched = client.post(
        f"{API}/runs/search", json={"experiment_ids": [run["experiment_id"]]}
    ).json()["runs"]
    assert searched[0]["outputs"] == got["outputs"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("get", f"{LM}/m-{'0' * 32}", None, 404, "RESOURCE_DOES_NOT_EXIST"),
        (
            "patch",
            f"{LM}/m-{'0' * 32}",
            {"status": "LOGGED_MODEL_READY"},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
        ("post", LM, {"name": "x"}, 400, "INVALID_PARAMETER_VALUE"),
        ("post", LM, {"experiment_id": "99999"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("post", f"{LM}/search", {}, 400, "INVALID_PARAMETER_VALUE"),
        ("post", f"{LM}/search", {"experiment_ids": ["9" * 20]}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("post", LM, {"experiment_id": "9" * 20}, 404, "RESOURCE_DOES_NOT_EXIST"),
        (
            "post",
            f"{LM}/search",
            {"experiment_ids": ["0"], "filter": "nme = 'x'"},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        ("post", f"{API}/runs/outputs", {"models": []}, 400, "INVALID_PARAMETER_VALUE"),
        (
            "post",
            f"{API}/runs/log-inputs",
            {"run_id": "a" * 32, "datasets": [{"x": 1}]},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
    ],
)
def test_errors_are_mlflow_json(client, method, path, body, status, code):
    kwargs = {} if body is None else {"json": body}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code


def test_finalize_refuses_unknown_status(client, make_run):
    model_id = _create(client, make_run())["info"]["model_id"]
    response = client.patch(f"{LM}/{model_id}", json={"status": "DONE"})
    assert response.status_code == 400
    assert "LOGGED_MODEL_READY" in response.json()["message"]


@pytest.mark.parametrize("method", ["patch", "get"])
def test_search_path_with_another_method_is_405_not_a_model_id(client, method):
    # PATCH/GET /logged-models/{model_id} must not take "search" for a model id.
    kwargs = {"json": {"status": "LOGGED_MODEL_READY"}} if method == "patch" else {}
    response = getattr(client, method)(f"{LM}/search", **kwargs)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    body = response.json()
    assert body["error_code"] == "BAD_REQUEST"
    assert f"Method {method.upper()} is not allowed for {LM}/search" in body["message"]
    # The search itself and real model ids still work.
    assert client.post(f"{LM}/search", json={"experiment_ids": ["0"]}).status_code == 200
    assert (
        client.patch(f"{LM}/m-{'0' * 32}", json={"status": "LOGGED_MODEL_READY"}).json()[
            "error_code"
        ]
        == "RESOURCE_DOES_NOT_EXIST"
    )


def test_openapi_lists_the_logged_model_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (LM, f"{LM}/search", f"{LM}/{{model_id}}", f"{LM}/{{model_id}}/tags"):
        assert path in paths
    assert set(paths[f"{LM}/{{model_id}}"]) == {"get", "patch", "delete"}
    assert set(paths[f"{LM}/{{model_id}}/params"]) == {"post"}
    assert "post" in paths[f"{API}/runs/outputs"] and "post" in paths[f"{API}/runs/log-inputs"]


def test_params_and_delete_as_mlflow_answers(client):
    model_id = client.post(LM, json={"experiment_id": "0", "name": "m"}).json()["model"]["info"][
        "model_id"
    ]
    params = [{"key": "a", "value": "1"}]
    answer = client.post(f"{LM}/{model_id}/params", json={"model_id": model_id, "params": params})
    assert answer.status_code == 200 and answer.json() == {}
    assert client.get(f"{LM}/{model_id}").json()["model"]["data"]["params"] == params
    deleted = client.delete(f"{LM}/{model_id}")
    assert deleted.status_code == 200 and deleted.json() == {}
    missing = client.get(f"{LM}/{model_id}")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
