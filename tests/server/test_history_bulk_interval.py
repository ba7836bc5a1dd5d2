"""``GET metrics/get-history-bulk-interval``: sampled history of one metric across runs.

The expected answers below are what MLflow 3.17.2's own server returned for the same data
(recorded by sending the same requests to ``mlflow server``): the same points in the same order,
the same status codes and the same messages.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from jupyter_mltrack.entities import Metric
from jupyter_mltrack.server.routes.metric_intervals import sample_history
from jupyter_mltrack.store.sql.store import SqlStore

PATH = "/api/2.0/mlflow/metrics/get-history-bulk-interval"
SEE_DOCS = " See the API docs for more information about request parameters."
MAX_RESULTS = "max_results must be between 1 and 2500." + SEE_DOCS


@pytest.fixture
def runs(server_store: SqlStore) -> list[str]:
    """Two runs: R0 with 25 points of ``m`` (a NaN and a 7.0 share step 5), R1 with 3 at step 0."""
    exp_id = server_store.create_experiment("bulk", None, {})
    ids = [
        server_store.create_run(
            experiment_id=exp_id, user_id="u", start_time=0, tags={}, run_name=f"r{i}"
        ).info.run_id
        for i in range(2)
    ]
    points = [("m", i / 2, 100 + i, i) for i in range(23)]
    points += [("m", math.nan, 50, 5), ("m", 7.0, 50, 5)]
    server_store.log_metric_points(ids[0], points)
    server_store.log_metric_points(ids[1], [("m", 1.0, 1, 0), ("m", 2.0, 1, 0), ("m", 3.0, 2, 0)])
    return ids


def _get(client: Any, runs: list[str], **query: Any) -> tuple[int, Any]:
    response = client.get(PATH, params=query)
    body = response.json()
    for metric in body.get("metrics", ()):
        metric["run_id"] = f"R{runs.index(metric['run_id'])}"
    return response.status_code, body


def _points(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(m["run_id"], m["step"], m["timestamp"], m["value"]) for m in body["metrics"]]


def test_whole_histories_when_they_fit(client, runs) -> None:  # type: ignore[no-untyped-def]
    status, body = _get(client, runs, run_ids=runs, metric_key="m")
    assert status == 200
    assert len(body["metrics"]) == 28
    first = {"key": "m", "value": 0.0, "timestamp": 100, "step": 0, "run_id": "R0"}
    assert body["metrics"][0] == first
    # Step 5 in MLflow's order: timestamp, then value with NaN (stored as 0) before 7.0.
    at_five = [(m["step"], m["value"]) for m in body["metrics"][5:8]]
    assert at_five == [(5, "NaN"), (5, 7.0), (5, 2.5)]


def test_sampled_as_mlflow_samples(client, runs) -> None:  # type: ignore[no-untyped-def]
    status, body = _get(client, runs, run_ids=runs, metric_key="m", max_results=5)
    assert status == 200
    assert _points(body) == [
        ("R0", 0, 100, 0.0), ("R0", 5, 50, "NaN"), ("R0", 8, 108, 4.0), ("R0", 13, 113, 6.5),
        ("R0", 22, 122, 11.0), ("R1", 0, 1, 1.0), ("R1", 0, 1, 2.0), ("R1", 0, 2, 3.0),
    ]  # fmt: skip


def test_one_point_per_run_is_the_last(client, runs) -> None:  # type: ignore[no-untyped-def]
    _, body = _get(client, runs, run_ids=runs, metric_key="m", max_results=1)
    assert _points(body) == [("R0", 22, 122, 11.0), ("R1", 0, 2, 3.0)]


def test_step_range(client, runs) -> None:  # type: ignore[no-untyped-def]
    query = {"start_step": 3, "end_step": 9, "max_results": 3}
    _, body = _get(client, runs, run_ids=runs, metric_key="m", **query)
    assert _points(body) == [("R0", 3, 103, 1.5), ("R0", 5, 50, 7.0), ("R0", 9, 109, 4.5)]


def test_unknown_key_is_an_empty_answer(client, runs) -> None:  # type: ignore[no-untyped-def]
    assert _get(client, runs, run_ids=runs, metric_key="zz") == (200, {})


def test_unknown_runs_are_skipped_and_repeated_runs_repeated(client, runs) -> None:  # type: ignore[no-untyped-def]
    unknown = "0123456789abcdef0123456789abcdef"
    _, body = _get(client, runs, run_ids=[unknown, runs[1], runs[1]], metric_key="m")
    assert [m["run_id"] for m in body["metrics"]] == ["R1"] * 6


def test_deleted_runs_still_answer(client, runs, server_store) -> None:  # type: ignore[no-untyped-def]
    server_store.delete_run(runs[1])
    _, body = _get(client, runs, run_ids=[runs[1]], metric_key="m")
    assert [m["value"] for m in body["metrics"]] == [1.0, 2.0, 3.0]


def _bad(query: dict[str, Any], runs: list[str]) -> dict[str, Any]:
    return {k: (runs if v == "RUNS" else v) for k, v in query.items()}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Missing value for required parameter 'run_ids'." + SEE_DOCS),
        ({"metric_key": "m"}, "Missing value for required parameter 'run_ids'." + SEE_DOCS),
        ({"run_ids": "RUNS"}, "Missing value for required parameter 'metric_key'." + SEE_DOCS),
        (
            {"run_ids": ["a" * 32] * 101, "metric_key": "m"},
            "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. "
            "Received 101 run_ids." + SEE_DOCS,
        ),
        (
            {"run_ids": "RUNS", "metric_key": "m", "max_results": 0},
            MAX_RESULTS,
        ),
        (
            {"run_ids": "RUNS", "metric_key": "m", "max_results": 2501},
            MAX_RESULTS,
        ),
        (
            {"run_ids": "RUNS", "metric_key": "m", "max_results": "x"},
            "Invalid value \"x\" for parameter 'max_results' supplied:  Hint: Value was of type "
            "'str'." + SEE_DOCS,
        ),
        (
            {"run_ids": "RUNS", "metric_key": "m", "start_step": 1},
            "If either start step or end step are specified, both must be specified.",
        ),
        (
            {"run_ids": "RUNS", "metric_key": "m", "start_step": 5, "end_step": 1},
            "end_step must be greater than start_step. Found start_step=5 and end_step=1.",
        ),
    ],
)
def test_refusals_are_mlflows(client, runs, query, message) -> None:  # type: ignore[no-untyped-def]
    status, body = _get(client, runs, **_bad(query, runs))
    assert (status, body["error_code"], body["message"]) == (
        400,
        "INVALID_PARAMETER_VALUE",
        message,
    )


def _metric(step: int, timestamp: int = 0, value: float = 0.0) -> Metric:
    return Metric(key="m", value=value, timestamp=timestamp, step=step)


@pytest.mark.parametrize(
    ("total", "max_results", "steps"),
    [
        (10, 3, [0, 4, 9]),  # NTILE(3) of 10: buckets of 4, 3, 3; the last point replaces 7
        (10, 4, [0, 3, 6, 9]),  # buckets of 3, 3, 2, 2: firsts 0, 3, 6, 8; 8 becomes 9
        (4, 4, [0, 1, 2, 3]),  # fits: everything
        (5, 1, [4]),
    ],
)
def test_sample_history_buckets(total: int, max_results: int, steps: list[int]) -> None:
    history = [_metric(step) for step in reversed(range(total))]  # order is the sampler's job
    assert [m.step for m in sample_history(history, max_results, None)] == steps


def test_described_in_the_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    operation = spec["paths"][PATH]["get"]
    assert {p["name"] for p in operation["parameters"] if p["required"]} == {
        "run_ids",
        "metric_key",
    }
    assert "MetricWithRunId" in spec["components"]["schemas"]
