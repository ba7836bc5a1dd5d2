"""Run and metric endpoints, compared with MLflow 3.17's captured requests and responses."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

pytestmark = pytest.mark.server

API = "/api/2.0/mlflow"
RUN_INFO_KEYS = {
    "run_uuid",
    "experiment_id",
    "run_name",
    "user_id",
    "status",
    "start_time",
    "artifact_uri",
    "lifecycle_stage",
    "run_id",
}


def _tags(run: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


def _get(client: Any, run_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/runs/get", params={"run_uuid": run_id, "run_id": run_id})
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()["run"]
    return run


def test_create_answers_the_captured_shape(client):  # type: ignore[no-untyped-def]
    client.post(f"{API}/experiments/create", json={"name": "e1"})
    captured_request = {
        "experiment_id": "1",
        "user_id": "root",
        "run_name": "r1",
        "start_time": 1795363700945,
        "tags": [
            {"key": "mlflow.user", "value": "root"},
            {"key": "mlflow.source.name", "value": "workload.py"},
            {"key": "mlflow.source.type", "value": "LOCAL"},
            {"key": "mlflow.runName", "value": "r1"},
        ],
    }
    body = client.post(f"{API}/runs/create", json=captured_request).json()
    assert body.keys() == {"run"}
    assert body["run"].keys() == {"info", "data", "inputs"}
    info = body["run"]["info"]
    assert info.keys() == RUN_INFO_KEYS  # no end_time while running
    assert info["run_id"] == info["run_uuid"]
    assert info["artifact_uri"] == f"mlflow-artifacts:/1/{info['run_id']}/artifacts"
    assert (info["status"], info["start_time"], info["user_id"]) == (
        "RUNNING",
        1795363700945,
        "root",
    )
    assert _tags(body["run"])["mlflow.source.type"] == "LOCAL"


def test_run_name_is_generated_or_taken_from_the_tag(make_run, client):  # type: ignore[no-untyped-def]
    unnamed = make_run()
    assert unnamed["run_name"]
    assert _tags(_get(client, unnamed["run_id"]))["mlflow.runName"] == unnamed["run_name"]
    from_tag = make_run(tags=[{"key": "mlflow.runName", "value": "tagged"}])
    assert from_tag["run_name"] == "tagged"
    user = make_run(tags=[{"key": "mlflow.user", "value": "ada"}])
    assert user["user_id"] == "ada"


def test_get_accepts_either_id_and_reports_missing_runs(make_run, client):  # type: ignore[no-untyped-def]
    run_id = make_run(run_name="r")["run_id"]
    assert client.get(f"{API}/runs/get", params={"run_id": run_id}).status_code == 200
    assert client.get(f"{API}/runs/get", params={"run_uuid": run_id}).status_code == 200
    missing = client.get(f"{API}/runs/get", params={"run_id": "0123456789abcdef0123456789abcdef"})
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    no_id = client.get(f"{API}/runs/get")
    assert no_id.status_code == 400
    assert "run_id" in no_id.json()["message"]


def test_update_returns_run_info_and_renames(make_run, client):  # type: ignore[no-untyped-def]
    run_id = make_run(run_name="c1")["run_id"]
    body = {"run_uuid": run_id, "status": "FINISHED", "end_time": 1795363701531, "run_id": run_id}
    updated = client.post(f"{API}/runs/update", json=body).json()
    assert updated.keys() == {"run_info"}
    assert updated["run_info"].keys() == RUN_INFO_KEYS | {"end_time"}
    assert (updated["run_info"]["status"], updated["run_info"]["end_time"]) == (
        "FINISHED",
        1795363701531,
    )
    # Resume: status RUNNING with the old end_time sent again, as the client does.
    resumed = client.post(f"{API}/runs/update", json={**body, "status": "RUNNING"}).json()
    assert resumed["run_info"]["status"] == "RUNNING"
    renamed = client.post(
        f"{API}/runs/update", json={"run_id": run_id, "status": "KILLED", "run_name": "c1-renamed"}
    ).json()
    assert renamed["run_info"]["run_name"] == "c1-renamed"
    assert _tags(_get(client, run_id))["mlflow.runName"] == "c1-renamed"
    bad = client.post(f"{API}/runs/update", json={"run_id": run_id, "status": "DONE"})
    assert bad.status_code == 400


def test_params_are_idempotent_but_immutable(make_run, client):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    body = {"run_uuid": run_id, "key": "same", "value": "a", "run_id": run_id}
    assert client.post(f"{API}/runs/log-parameter", json=body).json() == {}
    assert client.post(f"{API}/runs/log-parameter", json=body).json() == {}
    changed = client.post(f"{API}/runs/log-parameter", json={**body, "value": "b"})
    assert changed.status_code == 400
    assert changed.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    long_value = client.post(
        f"{API}/runs/log-parameter", json={**body, "key": "l", "value": "x" * 6001}
    )
    assert long_value.status_code == 400


def test_non_finite_metrics_round_trip_as_strings(make_run, client, server_store):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    for key, value in (("nan", "NaN"), ("pinf", "Infinity"), ("ninf", "-Infinity"), ("s", "1.5")):
        body = {"run_id": run_id, "key": key, "value": value, "timestamp": "17", "step": "3"}
        assert client.post(f"{API}/runs/log-metric", json=body).status_code == 200
    raw = client.get(f"{API}/runs/get", params={"run_id": run_id}).text
    assert "NaN" in raw and "Infinity" in raw and ":NaN" not in raw and ":Infinity" not in raw
    metrics = {m["key"]: m["value"] for m in json.loads(raw)["run"]["data"]["metrics"]}
    assert metrics == {"nan": "NaN", "pinf": "Infinity", "ninf": "-Infinity", "s": 1.5}
    stored = server_store.get_run(run_id).data.metrics
    assert stored["pinf"] == math.inf and stored["ninf"] == -math.inf  # not clamped
    history = client.get(
        f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "pinf"}
    ).json()
    assert history == {
        "metrics": [{"key": "pinf", "value": "Infinity", "timestamp": 17, "step": 3}]
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"key": "m"}, "Missing value for required parameter 'value'"),
        ({"key": "m", "value": 1}, "Missing value for required parameter 'timestamp'"),
        ({"key": "m", "value": "high"}, "Invalid value \"high\" for parameter 'value'"),
        ({"key": "m", "value": True}, "parameter 'value'"),
        ({"key": "m", "value": 1, "timestamp": 1, "step": 1.5}, "parameter 'step'"),
        ({"key": "m", "value": 1, "timestamp": 2**70}, "int64"),
        ({"key": "../m", "value": 1, "timestamp": 1}, "Invalid Metric key"),
        ({"value": 1}, "parameter 'key'"),
    ],
)
def test_log_metric_rejects_bad_fields(make_run, client, body, message):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    response = client.post(f"{API}/runs/log-metric", json={"run_id": run_id, **body})
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_log_batch_is_atomic_and_limited(make_run, client):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    batch = {
        "run_id": run_id,
        "metrics": [
            {"key": "bm", "value": v, "timestamp": 5, "step": i} for i, v in enumerate((0.1, 0.2))
        ],
        "params": [{"key": "bp", "value": "v"}],
        "tags": [{"key": "bt", "value": "w"}],
    }
    assert client.post(f"{API}/runs/log-batch", json=batch).json() == {}
    run = _get(client, run_id)
    # The latest value with its timestamp and step, as MLflow sends it (issue 14 item 7).
    assert run["data"]["metrics"] == [{"key": "bm", "value": 0.2, "timestamp": 5, "step": 1}]
    assert run["data"]["params"] == [{"key": "bp", "value": "v"}]
    assert _tags(run)["bt"] == "w"
    # A conflicting param fails the whole batch: the new metric point is not stored either.
    conflict = {**batch, "params": [{"key": "bp", "value": "other"}], "metrics": [
        {"key": "late", "value": 1, "timestamp": 5, "step": 0}
    ]}  # fmt: skip
    assert client.post(f"{API}/runs/log-batch", json=conflict).status_code == 400
    assert "late" not in {m["key"] for m in _get(client, run_id)["data"]["metrics"]}
    too_many = {"run_id": run_id, "metrics": [{"key": "x", "value": 1, "timestamp": 1}] * 1001}
    response = client.post(f"{API}/runs/log-batch", json=too_many)
    assert response.status_code == 400 and "1000" in response.json()["message"]
    unknown = client.post(f"{API}/runs/log-batch", json={"run_id": "f" * 32})
    assert unknown.status_code == 404


def test_metric_history_pages(make_run, client):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    metrics = [{"key": "h", "value": float(i), "timestamp": 10 + i, "step": i} for i in range(5)]
    client.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics})
    url = f"{API}/metrics/get-history"
    params: dict[str, Any] = {"run_uuid": run_id, "metric_key": "h", "max_results": 2}
    steps, pages = [], 0
    while True:
        page = client.get(url, params=params).json()
        steps += [m["step"] for m in page["metrics"]]
        pages += 1
        if "next_page_token" not in page:
            break
        params["page_token"] = page["next_page_token"]
    assert (steps, pages) == ([0, 1, 2, 3, 4], 3)
    everything = client.get(url, params={"run_id": run_id, "metric_key": "h", "max_results": 25000})
    assert len(everything.json()["metrics"]) == 5 and "next_page_token" not in everything.json()
    assert client.get(url, params={"run_id": run_id, "metric_key": "none"}).json() == {}


def test_search_filter_order_paging_and_view_type(make_run, client):  # type: ignore[no-untyped-def]
    ids = {}
    for name, value in (("a", 2.5), ("b", 0.5), ("c", -1.0)):
        ids[name] = make_run(run_name=name)["run_id"]
        client.post(
            f"{API}/runs/log-metric",
            json={"run_id": ids[name], "key": "m", "value": value, "timestamp": 1},
        )
    body = {
        "experiment_ids": ["1"],
        "run_view_type": "ACTIVE_ONLY",
        "filter": "metrics.m > 0",
        "max_results": 10000,
        "order_by": ["metrics.m DESC"],
    }
    found = client.post(f"{API}/runs/search", json=body).json()
    assert [r["info"]["run_name"] for r in found["runs"]] == ["a", "b"]
    assert found["runs"][0].keys() >= {"info", "data", "inputs"}

    paged = {
        "experiment_ids": ["1"],
        "filter": "",
        "max_results": 1,
        "order_by": ["attributes.run_name ASC"],
    }
    names, token = [], None
    while True:
        page = client.post(
            f"{API}/runs/search", json={**paged, **({"page_token": token} if token else {})}
        ).json()
        names += [r["info"]["run_name"] for r in page["runs"]]
        token = page.get("next_page_token")
        if token is None:
            break
    assert names == ["a", "b", "c"]

    assert client.post(f"{API}/runs/delete", json={"run_id": ids["c"]}).json() == {}
    deleted = client.post(
        f"{API}/runs/search", json={"experiment_ids": ["1"], "run_view_type": "DELETED_ONLY"}
    )
    assert [r["info"]["lifecycle_stage"] for r in deleted.json()["runs"]] == ["deleted"]
    assert client.post(f"{API}/runs/restore", json={"run_id": ids["c"]}).json() == {}
    assert (
        client.post(
            f"{API}/runs/search", json={"experiment_ids": ["1"], "run_view_type": "DELETED_ONLY"}
        ).json()
        == {}
    )
    bad = client.post(f"{API}/runs/search", json={**body, "filter": "metrics.m >>> 1"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_tags_set_and_delete(make_run, client):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    client.post(
        f"{API}/runs/set-tag",
        json={"run_uuid": run_id, "key": "dt", "value": "x", "run_id": run_id},
    )
    assert _tags(_get(client, run_id))["dt"] == "x"
    assert client.post(f"{API}/runs/delete-tag", json={"run_id": run_id, "key": "dt"}).json() == {}
    assert "dt" not in _tags(_get(client, run_id))
    again = client.post(f"{API}/runs/delete-tag", json={"run_id": run_id, "key": "dt"})
    assert again.status_code == 404


def test_logging_to_a_deleted_run_is_refused(make_run, client):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    client.post(f"{API}/runs/delete", json={"run_id": run_id})
    response = client.post(
        f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "k", "value": "v"}
    )
    assert 400 <= response.status_code < 500
    # Deleting again is fine, as in MLflow (the run stays deleted).
    assert client.post(f"{API}/runs/delete", json={"run_id": run_id}).status_code == 200


@pytest.mark.parametrize(
    ("entry", "missing"),
    [
        ({"key": "m", "value": 1}, "metrics[1].timestamp"),
        ({"key": "m", "timestamp": 1}, "metrics[1].value"),
        ({"value": 1, "timestamp": 1}, "metrics[1].key"),
    ],
)
def test_log_batch_names_the_missing_metric_field_as_mlflow(make_run, client, entry, missing):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    good = {"key": "ok", "value": 1, "timestamp": 1, "step": 0}
    response = client.post(
        f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [good, entry]}
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Missing value for required parameter '{missing}'. "
        "See the API docs for more information about request parameters."
    )
    assert _get(client, run_id)["data"].get("metrics") is None  # nothing of the batch stored


@pytest.mark.parametrize("field", ["params", "tags"])
def test_log_batch_names_a_missing_key_as_mlflow(make_run, client, field):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    body = {"run_id": run_id, field: [{"key": "a", "value": "1"}, {"value": "v"}]}
    response = client.post(f"{API}/runs/log-batch", json=body)
    assert response.status_code == 400
    assert f"'{field}[1].key'" in response.json()["message"]


def test_writes_to_a_deleted_run_answer_as_mlflow(make_run, client):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    client.post(f"{API}/runs/set-tag", json={"run_id": run_id, "key": "t", "value": "v"})
    assert client.post(f"{API}/runs/delete", json={"run_id": run_id}).json() == {}
    assert client.post(f"{API}/runs/delete", json={"run_id": run_id}).json() == {}  # idempotent
    point = {"key": "m", "value": 1, "timestamp": 1}
    for endpoint, body in (
        ("runs/delete-tag", {"key": "t"}),
        ("runs/set-tag", {"key": "t2", "value": "v"}),
        ("runs/log-parameter", {"key": "p", "value": "v"}),
        ("runs/log-metric", point),
        ("runs/log-batch", {"metrics": [point]}),
        ("runs/update", {"status": "FINISHED"}),
    ):
        answer = client.post(f"{API}/{endpoint}", json={"run_id": run_id, **body})
        assert answer.status_code == 400, endpoint
        assert answer.json() == {
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": f"The run {run_id} must be in the 'active' state. Current state is deleted.",
        }, endpoint


def test_a_missing_run_tag_is_named_as_mlflow(make_run, client):  # type: ignore[no-untyped-def]
    run_id = make_run()["run_id"]
    answer = client.post(f"{API}/runs/delete-tag", json={"run_id": run_id, "key": "k"})
    assert answer.status_code == 404
    assert answer.json()["message"] == f"No tag with name: k in run with id {run_id}"
