"""Experiment endpoints, compared with responses captured from MLflow 3.17's server."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.server

API = "/api/2.0/mlflow"

# Captured from mlflow server 3.17.2 (protocol doc step a); "workspace" is MLflow-only.
CAPTURED_EXPERIMENT = {
    "experiment_id": "1",
    "name": "e1",
    "artifact_location": "mlflow-artifacts:/1",
    "lifecycle_stage": "active",
    "last_update_time": 1795363700669,
    "creation_time": 1795363700669,
}


def test_create_then_get_has_the_captured_shape(client):  # type: ignore[no-untyped-def]
    created = client.post(f"{API}/experiments/create", json={"name": "e1"})
    assert created.status_code == 200
    assert created.json() == {"experiment_id": "1"}

    got = client.get(f"{API}/experiments/get", params={"experiment_id": "1"}).json()
    assert got.keys() == {"experiment"}
    assert got["experiment"].keys() == CAPTURED_EXPERIMENT.keys()
    assert got["experiment"]["artifact_location"] == "mlflow-artifacts:/1"
    by_name = client.get(f"{API}/experiments/get-by-name", params={"experiment_name": "e1"})
    assert by_name.json() == got


def test_default_experiment_proxies_artifacts(client):  # type: ignore[no-untyped-def]
    default = client.get(f"{API}/experiments/get", params={"experiment_id": "0"}).json()
    assert default["experiment"]["name"] == "Default"
    assert default["experiment"]["artifact_location"] == "mlflow-artifacts:/0"


def test_create_with_tags_and_explicit_location(client):  # type: ignore[no-untyped-def]
    body = {
        "name": "tagged",
        "artifact_location": "s3://bucket/tagged",
        "tags": [{"key": "team", "value": "vision"}, {"key": "empty"}],
    }
    experiment_id = client.post(f"{API}/experiments/create", json=body).json()["experiment_id"]
    got = client.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()
    assert got["experiment"]["artifact_location"] == "s3://bucket/tagged"
    assert sorted(map(tuple, (t.values() for t in got["experiment"]["tags"]))) == [
        ("empty", ""),
        ("team", "vision"),
    ]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code", "message"),
    [
        ("get", "get-by-name", {"params": {"experiment_name": "nope"}}, 404,
         "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name 'nope'"),
        ("get", "get", {"params": {"experiment_id": "999999"}}, 404,
         "RESOURCE_DOES_NOT_EXIST", "999999"),
        ("get", "get", {}, 400, "INVALID_PARAMETER_VALUE",
         "Missing value for required parameter 'experiment_id'"),
        ("post", "create", {"json": {}}, 400, "INVALID_PARAMETER_VALUE",
         "Missing value for required parameter 'name'"),
        ("post", "create", {"json": {"name": 5}}, 400, "INVALID_PARAMETER_VALUE",
         "Invalid value 5 for parameter 'name'"),
        ("post", "create", {"json": {"name": "x", "tags": [{"key": "../bad", "value": "v"}]}},
         400, "INVALID_PARAMETER_VALUE", "Invalid Tag key"),
        ("post", "create", {"content": b"{not json"}, 400, "INVALID_PARAMETER_VALUE",
         "not valid JSON"),
        ("post", "create", {"content": b"[1, 2]"}, 400, "INVALID_PARAMETER_VALUE",
         "must be a JSON object"),
        ("post", "delete", {"json": {"experiment_id": "0"}}, 400, "INVALID_PARAMETER_VALUE",
         "cannot be deleted"),
        ("post", "search", {"json": {"view_type": "SOME"}}, 400, "INVALID_PARAMETER_VALUE",
         "ViewType"),
        ("post", "search", {"json": {"max_results": "many"}}, 400, "INVALID_PARAMETER_VALUE",
         "max_results"),
        ("post", "search", {"json": {"filter": "name >>> 'x'"}}, 400,
         "INVALID_PARAMETER_VALUE", "filter"),
        ("post", "search", {"json": {"page_token": "garbage"}}, 400,
         "INVALID_PARAMETER_VALUE", "page_token"),
    ],
)  # fmt: skip
def test_user_errors_are_4xx_json(client, method, path, kwargs, status, code, message):  # type: ignore[no-untyped-def]
    response = getattr(client, method)(f"{API}/experiments/{path}", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error_code"] == code
    assert message in body["message"]


def test_duplicate_name_is_resource_already_exists_400(client):  # type: ignore[no-untyped-def]
    client.post(f"{API}/experiments/create", json={"name": "e1"})
    again = client.post(f"{API}/experiments/create", json={"name": "e1"})
    assert again.status_code == 400
    assert again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"


def _names(page: dict[str, Any]) -> list[str]:
    return [e["name"] for e in page.get("experiments", [])]


def test_search_filters_orders_and_pages(client):  # type: ignore[no-untyped-def]
    for name in ("alpha", "beta", "gamma"):
        client.post(f"{API}/experiments/create", json={"name": name})
    body = {"filter": "name != 'Default'", "order_by": ["name DESC"], "max_results": 2}
    first = client.post(f"{API}/experiments/search", json=body).json()
    assert _names(first) == ["gamma", "beta"]
    second = client.post(
        f"{API}/experiments/search", json={**body, "page_token": first["next_page_token"]}
    ).json()
    assert _names(second) == ["alpha"]
    assert "next_page_token" not in second  # omitted on the last page, as MLflow does

    # GET works too, with the message in the query string.
    got = client.get(f"{API}/experiments/search", params={"filter": "name = 'beta'"}).json()
    assert _names(got) == ["beta"]
    empty = client.post(f"{API}/experiments/search", json={"filter": "name = 'none'"})
    assert empty.json() == {}


def test_delete_restore_and_view_types(client):  # type: ignore[no-untyped-def]
    experiment_id = client.post(f"{API}/experiments/create", json={"name": "gone"}).json()[
        "experiment_id"
    ]
    assert (
        client.post(f"{API}/experiments/delete", json={"experiment_id": experiment_id}).json() == {}
    )
    deleted = client.post(f"{API}/experiments/search", json={"view_type": "DELETED_ONLY"}).json()
    assert _names(deleted) == ["gone"]
    assert "gone" not in _names(client.post(f"{API}/experiments/search", json={}).json())
    assert sorted(
        _names(client.post(f"{API}/experiments/search", json={"view_type": "ALL"}).json())
    ) == [
        "Default",
        "gone",
    ]
    again = client.post(f"{API}/experiments/delete", json={"experiment_id": experiment_id})
    assert again.status_code == 400
    client.post(f"{API}/experiments/restore", json={"experiment_id": experiment_id})
    stage = client.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()
    assert stage["experiment"]["lifecycle_stage"] == "active"


def test_update_renames_and_set_tag(client):  # type: ignore[no-untyped-def]
    client.post(f"{API}/experiments/create", json={"name": "old"})
    client.post(f"{API}/experiments/create", json={"name": "taken"})
    renamed = client.post(
        f"{API}/experiments/update", json={"experiment_id": "1", "new_name": "e2-renamed"}
    )
    assert renamed.status_code == 200 and renamed.json() == {}
    clash = client.post(
        f"{API}/experiments/update", json={"experiment_id": "1", "new_name": "taken"}
    )
    assert clash.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    tagged = client.post(
        f"{API}/experiments/set-experiment-tag",
        json={"experiment_id": "1", "key": "k", "value": "v"},
    )
    assert tagged.json() == {}
    got = client.get(f"{API}/experiments/get-by-name", params={"experiment_name": "e2-renamed"})
    assert got.json()["experiment"]["tags"] == [{"key": "k", "value": "v"}]
    missing = client.post(
        f"{API}/experiments/set-experiment-tag",
        json={"experiment_id": "77", "key": "k", "value": "v"},
    )
    assert missing.status_code == 404
