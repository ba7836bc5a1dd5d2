"""mltrack's own endpoints: ``GET /api/2.0/mltrack/metrics/get-history-arrays`` and
``POST /api/2.0/mltrack/runs/count``, in-process on a real SQLite store."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from jupyter_mltrack.entities import Metric
from jupyter_mltrack.server.auth.roles import Role, required_role
from jupyter_mltrack.store.downsample import downsample_history
from jupyter_mltrack.store.sql.store import SqlStore

pytestmark = pytest.mark.server

EXT = "/api/2.0/mltrack"
ARRAYS = f"{EXT}/metrics/get-history-arrays"
COUNT = f"{EXT}/runs/count"


def _run(store: SqlStore, experiment_id: str = "0", name: str = "r") -> str:
    run = store.create_run(
        experiment_id=experiment_id, user_id="u", start_time=1, tags={}, run_name=name
    )
    return run.info.run_id


def _log(store: SqlStore, run_id: str, key: str, values: list[float]) -> None:
    metrics = [Metric(key=key, value=v, timestamp=1000 + i, step=i) for i, v in enumerate(values)]
    for start in range(0, len(metrics), 1000):
        store.log_batch(run_id, metrics=metrics[start : start + 1000])


def test_full_history_as_parallel_lists(client: Any, server_store: SqlStore) -> None:
    run_id = _run(server_store)
    _log(server_store, run_id, "loss", [0.5, math.nan, math.inf, -math.inf, 0.25])
    answer = client.get(ARRAYS, params={"run_id": run_id, "metric_key": "loss"})
    assert answer.status_code == 200
    assert b'"NaN","Infinity","-Infinity"' in answer.content  # strings, never bare tokens
    assert answer.json() == {
        "metric_key": "loss",
        "steps": [0, 1, 2, 3, 4],
        "timestamps": [1000, 1001, 1002, 1003, 1004],
        "values": [0.5, "NaN", "Infinity", "-Infinity", 0.25],
        "total_points": 5,
    }


def test_max_points_downsamples_like_the_store(client: Any, server_store: SqlStore) -> None:
    run_id = _run(server_store)
    values = [math.sin(i / 50) + i / 1000 for i in range(5000)]
    _log(server_store, run_id, "acc", values)
    answer = client.get(
        ARRAYS, params={"run_uuid": run_id, "metric_key": "acc", "max_points": "100"}
    ).json()
    expected = downsample_history(server_store.get_metric_history_arrays(run_id, "acc"), 100)
    assert answer["total_points"] == 5000
    assert len(answer["values"]) <= 100
    assert answer["steps"] == expected.steps.tolist()
    assert answer["timestamps"] == expected.timestamps.tolist()
    assert np.array_equal(np.array(answer["values"]), expected.values)


def test_unknown_metric_is_empty(client: Any, server_store: SqlStore) -> None:
    run_id = _run(server_store)
    answer = client.get(ARRAYS, params={"run_id": run_id, "metric_key": "nothing"})
    assert answer.status_code == 200
    assert answer.json() == {
        "metric_key": "nothing",
        "steps": [],
        "timestamps": [],
        "values": [],
        "total_points": 0,
    }


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"run_id": "f" * 32, "metric_key": "m"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ({"metric_key": "m"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "metric_key": "m", "max_points": "1"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "metric_key": "m", "max_points": "-5"}, 400, "INVALID_PARAMETER_VALUE"),
        (
            {"run_id": "RUN", "metric_key": "m", "max_points": "many"},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            {"run_id": "RUN", "metric_key": "m", "max_points": "1e99"},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
    ],
)
def test_history_errors(
    client: Any, server_store: SqlStore, params: dict[str, str], status: int, code: str
) -> None:
    run_id = _run(server_store)
    params = {k: run_id if v == "RUN" else v for k, v in params.items()}
    answer = client.get(ARRAYS, params=params)
    assert answer.status_code == status, answer.text
    assert answer.json()["error_code"] == code
    if "max_points" in params:
        assert "max_points" in answer.json()["message"]


def test_count_runs(client: Any, server_store: SqlStore) -> None:
    other = server_store.create_experiment("other")
    ids = [_run(server_store, name=f"a{i}") for i in range(3)] + [_run(server_store, other)]
    server_store.delete_run(ids[0])
    for body, expected in [
        ({"experiment_ids": ["0"]}, 2),
        ({"experiment_ids": ["0", other]}, 3),
        ({"experiment_ids": ["0"], "run_view_type": "ALL"}, 3),
        ({"experiment_ids": ["0"], "run_view_type": "DELETED_ONLY"}, 1),
        ({"experiment_ids": ["0"], "filter": "attributes.run_name = 'a1'"}, 1),
        ({}, 0),  # no experiments: nothing to count, as in runs/search
    ]:
        answer = client.post(COUNT, json=body)
        assert answer.status_code == 200, (body, answer.text)
        assert answer.json() == {"count": expected}, body


@pytest.mark.parametrize(
    "body",
    [
        {"experiment_ids": ["0"], "filter": "metrics.acc >"},
        {"experiment_ids": ["0"], "run_view_type": "SOMETIMES"},
        {"experiment_ids": "0x"},
        {"experiment_ids": [0]},
        {"experiment_ids": ["99999999999999999999999"]},
    ],
)
def test_count_runs_refuses_bad_requests(client: Any, body: dict[str, Any]) -> None:
    answer = client.post(COUNT, json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_both_routes_are_reads_for_the_auth_rule() -> None:
    assert required_role("GET", ARRAYS) is Role.READ
    assert required_role("POST", COUNT) is Role.READ
    assert required_role("POST", f"{EXT}/runs/delete") is Role.WRITE  # not a blanket rule


def test_routes_are_described(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths[ARRAYS] and "post" in paths[COUNT]
    names = {p["name"] for p in paths[ARRAYS]["get"]["parameters"]}
    assert {"run_id", "metric_key", "max_points"} <= names
