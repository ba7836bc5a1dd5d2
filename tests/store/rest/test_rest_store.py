"""RestStore against our tracking server: what goes over the wire, and REST-only behaviour.

The store's behaviour itself is the contract suite's (``tests/contract``, backend ``rest``);
these tests look at the requests: batching limits, MLflow's wire conventions, URI selection.
"""

from __future__ import annotations

import math

import pytest

from jupyter_mltrack.entities import Metric, Param, RunTag
from jupyter_mltrack.errors import InvalidStateError, RunNotFound
from jupyter_mltrack.store.registry import get_tracking_store
from jupyter_mltrack.store.rest import RestStore
from jupyter_mltrack.store.rest.store import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_PER_BATCH,
    MAX_TAGS_PER_BATCH,
)

pytestmark = pytest.mark.server


def _run_id(store: RestStore) -> str:
    run = store.create_run(experiment_id="0", user_id="u", start_time=1, tags={}, run_name="r")
    return run.info.run_id


def test_http_uris_select_the_rest_store(tracking_server):
    store = get_tracking_store(tracking_server.url)
    assert isinstance(store, RestStore)
    assert store.uri == tracking_server.url
    assert isinstance(get_tracking_store(tracking_server.url.replace("http", "https")), RestStore)


def test_log_batch_splits_at_mlflows_limits(rest_store, tracking_server):
    run_id = _run_id(rest_store)
    tracking_server.requests.clear()
    rest_store.log_batch(
        run_id,
        metrics=[Metric(key=f"m{i % 3}", value=float(i), timestamp=i, step=i) for i in range(2500)],
        params=[Param(key=f"p{i}", value=str(i)) for i in range(250)],
        tags=[RunTag(key=f"t{i}", value=str(i)) for i in range(150)],
    )
    batches = [r.json() for r in tracking_server.calls("/runs/log-batch")]
    sizes = [
        (len(b.get("metrics", [])), len(b.get("params", [])), len(b.get("tags", [])))
        for b in batches
    ]
    assert all(
        m <= MAX_METRICS_PER_BATCH and p <= MAX_PARAMS_PER_BATCH and t <= MAX_TAGS_PER_BATCH
        for m, p, t in sizes
    )
    assert all(m + p + t <= 1000 for m, p, t in sizes)
    assert [sum(column) for column in zip(*sizes, strict=True)] == [2500, 250, 150]
    # Params and tags fill each request first, metrics take the room left of 1,000 entries.
    assert sizes == [(800, 100, 100), (850, 100, 50), (850, 50, 0)]
    data = rest_store.get_run(run_id).data
    assert len(data.params) == 250 and data.params["p249"] == "249"
    assert {k for k in data.tags if k.startswith("t")} == {f"t{i}" for i in range(150)}
    history = rest_store.get_metric_history(run_id, "m0")
    assert len(history) == 834 and history[-1].value == 2499.0


def test_metric_points_go_in_batches_of_1000(rest_store, tracking_server):
    run_id = _run_id(rest_store)
    tracking_server.requests.clear()
    rest_store.log_metric_points(run_id, [("x", float(i), i, i) for i in range(2001)])
    counts = [len(r.json()["metrics"]) for r in tracking_server.calls("/runs/log-batch")]
    assert counts == [1000, 1000, 1]
    assert len(rest_store.get_metric_history(run_id, "x")) == 2001


def test_non_finite_values_travel_as_strings_and_come_back_as_floats(rest_store, tracking_server):
    run_id = _run_id(rest_store)
    tracking_server.requests.clear()
    rest_store.log_metric(run_id, Metric(key="a", value=math.nan, timestamp=1))
    rest_store.log_batch(
        run_id,
        metrics=[
            Metric(key="b", value=math.inf, timestamp=1),
            Metric(key="c", value=-math.inf, timestamp=1),
        ],
    )
    bodies = b"".join(r.body for r in tracking_server.requests)
    assert b'"value":"NaN"' in bodies
    assert b'"value":"Infinity"' in bodies and b'"value":"-Infinity"' in bodies
    assert b":NaN" not in bodies and b":Infinity" not in bodies
    metrics = rest_store.get_run(run_id).data.metrics
    assert math.isnan(metrics["a"]) and metrics["b"] == math.inf and metrics["c"] == -math.inf
    answers = rest_store.http.request("GET", f"/api/2.0/mlflow/runs/get?run_id={run_id}").data
    assert b"NaN" in answers and b'"NaN"' in answers


def test_single_calls_use_their_own_endpoints_with_both_run_id_names(rest_store, tracking_server):
    run_id = _run_id(rest_store)
    tracking_server.requests.clear()
    rest_store.log_metric(run_id, Metric(key="m", value=1.0, timestamp=5, step=2))
    rest_store.log_param(run_id, Param(key="p", value="v"))
    rest_store.set_tag(run_id, RunTag(key="t", value="w"))
    paths = [r.path.rsplit("/", 1)[-1] for r in tracking_server.requests]
    assert paths == ["log-metric", "log-parameter", "set-tag"]
    first = tracking_server.requests[0].json()
    assert first == {
        "run_id": run_id,
        "run_uuid": run_id,
        "key": "m",
        "value": 1.0,
        "timestamp": 5,
        "step": 2,
    }
    with pytest.raises(RunNotFound, match="f" * 32) as info:
        rest_store.log_metric("f" * 32, Metric(key="m", value=1.0, timestamp=1))
    assert info.value.run_id == "f" * 32


def test_the_servers_mlflow_name_tag_is_not_shown_twice(rest_store, tracking_server):
    run_id = _run_id(rest_store)
    # The server stores MLflow's name tag for MLflow clients next to ours ...
    assert tracking_server.backing.get_run(run_id).data.tags["mlflow.runName"] == "r"
    # ... and the REST store reads the run as a local store would.
    tags = rest_store.get_run(run_id).data.tags
    assert tags == {"mltrack.runName": "r"}
    rest_store.update_run_info(run_id, run_name="renamed")
    assert rest_store.get_run(run_id).data.tags == {"mltrack.runName": "renamed"}


def test_purging_is_refused_with_the_way_to_do_it(rest_store):
    with pytest.raises(InvalidStateError, match="mltrack gc"):
        rest_store.purge_runs(["a" * 32])
    with pytest.raises(InvalidStateError, match="not available over HTTP"):
        rest_store.list_deleted_run_ids()


def test_search_runs_frame_pages_through_the_server(rest_store, tracking_server):
    for i in range(7):
        run_id = _run_id(rest_store)
        rest_store.log_batch(run_id, metrics=[Metric(key="acc", value=i / 10, timestamp=1)])
    frame = rest_store.search_runs_frame(["0"], "metrics.acc >= 0.2", order_by=["metrics.acc DESC"])
    assert list(frame["metrics.acc"]) == [0.6, 0.5, 0.4, 0.3, 0.2]
    assert {"run_id", "status", "start_time", "tags.mltrack.runName"} <= set(frame.columns)
    page = rest_store.search_runs(["0"], max_results=3)
    rest = rest_store.search_runs(["0"], max_results=10, page_token=page.token)
    assert len(page) == 3 and page.token and len(rest) == 4 and rest.token is None
