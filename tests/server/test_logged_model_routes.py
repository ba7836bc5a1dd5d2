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


def _model_id(client, run: dict[str, Any], name: str = "model") -> str:  # type: ignore[no-untyped-def]
    return str(_create(client, run, name=name)["info"]["model_id"])


def test_metrics_logged_with_a_model_id_show_on_the_model(client, make_run):
    run = make_run()
    model_id = _model_id(client, run)
    point = {"key": "acc", "value": 0.5, "timestamp": 7, "step": 2, "model_id": model_id}
    eval_set = {"dataset_name": "eval", "dataset_digest": "d1"}
    answer = client.post(f"{API}/runs/log-metric", json={"run_id": run["run_id"], **point})
    assert answer.status_code == 200 and answer.json() == {}
    batch = {
        "run_id": run["run_id"],
        "metrics": [
            {**point, "value": "NaN", "step": 3, **eval_set},
            {"key": "plain", "value": 1.0, "timestamp": 7, "step": 0},
        ],
        "params": [{"key": "p", "value": "1"}],
    }
    assert client.post(f"{API}/runs/log-batch", json=batch).status_code == 200
    metrics = client.get(f"{LM}/{model_id}").json()["model"]["data"]["metrics"]
    assert metrics == [
        {**point, "run_id": run["run_id"]},
        {**point, "value": "NaN", "step": 3, **eval_set, "run_id": run["run_id"]},
    ]
    got = client.get(f"{API}/runs/get", params={"run_id": run["run_id"]}).json()["run"]["data"]
    assert {m["key"] for m in got["metrics"]} == {"acc", "plain"}
    assert got["params"] == [{"key": "p", "value": "1"}]
    searched = client.post(f"{LM}/search", json={"experiment_ids": [run["experiment_id"]]})
    assert searched.json()["models"][0]["data"]["metrics"] == metrics


def test_search_honours_datasets_and_metric_order_on_a_dataset(client, make_run):
    run = make_run()
    ids = [_model_id(client, run, name) for name in ("a", "b", "c")]
    points = [
        (ids[0], 0.9, "eval", 0),
        (ids[0], 0.1, "test", 1),
        (ids[1], 0.5, "eval", 5),
    ]
    metrics = [
        {"key": "acc", "value": v, "timestamp": 1, "step": s, "model_id": m, "dataset_name": d}
        for m, v, d, s in points
    ]
    client.post(f"{API}/runs/log-batch", json={"run_id": run["run_id"], "metrics": metrics})

    def search(**fields: Any) -> list[str]:
        body = {"experiment_ids": [run["experiment_id"]], **fields}
        answer = client.post(f"{LM}/search", json=body)
        assert answer.status_code == 200, answer.text
        return [m["info"]["model_id"] for m in answer.json().get("models", [])]

    assert set(search(datasets=[{"dataset_name": "eval"}])) == {ids[0], ids[1]}
    assert search(datasets=[{"dataset_name": "test", "dataset_digest": "x"}]) == []
    assert search(filter="metrics.acc > 0.3", datasets=[{"dataset_name": "test"}]) == []
    on_eval = {"field_name": "metrics.acc", "ascending": False, "dataset_name": "eval"}
    assert search(order_by=[on_eval]) == ids  # a 0.9, b 0.5, c none: last
    assert search(order_by=[{"field_name": "metrics.acc", "ascending": False}])[:2] == [
        ids[1],
        ids[0],
    ]  # latest points: b 0.5 (step 5), a 0.1 (step 1)


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        (
            f"{LM}/search",
            {"experiment_ids": ["0"], "datasets": [{"dataset_digest": "d"}]},
            400,
            "`dataset_name` in the `datasets` clause must be specified",
        ),
        (
            f"{API}/runs/log-metric",
            {"key": "a", "value": 1, "timestamp": 1, "model_id": f"m-{'0' * 32}"},
            404,
            "not found",
        ),
        (
            f"{API}/runs/log-batch",
            {"metrics": [{"key": "a", "value": 1, "timestamp": 1, "model_id": 5}]},
            400,
            "model_id",
        ),
    ],
)
def test_model_metric_errors(client, make_run, path, body, status, message):
    answer = client.post(path, json={"run_id": make_run()["run_id"], **body})
    assert answer.status_code == status, answer.text
    assert message in answer.json()["message"]
