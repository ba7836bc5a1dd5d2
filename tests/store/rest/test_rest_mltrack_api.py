"""RestStore on mltrack's own endpoints: downsampled histories and run counts come from
``/api/2.0/mltrack/*``; a server without them (an older mltrack, a real MLflow server) gets the
generic MLflow calls instead, decided once per store.

Real servers on 127.0.0.1 throughout: our app on uvicorn (with and without the extension
routes) and a scripted stdlib server for malformed answers. The real ``mlflow server`` case is in
``test_mlflow_server_interop.py``, which already runs one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rest_helpers import Recorded, TrackingServer, json_reply, recording
from rest_server import serve_app

from jupyter_mltrack.entities import Metric, ViewType
from jupyter_mltrack.errors import RunNotFound, StoreError
from jupyter_mltrack.store.downsample import downsample_history
from jupyter_mltrack.store.rest import RestStore

pytestmark = pytest.mark.server

ARRAYS = "/api/2.0/mltrack/metrics/get-history-arrays"
COUNT = "/api/2.0/mltrack/runs/count"


def _seed(backing: Any, points: int = 3000) -> tuple[str, str]:
    """An experiment with four runs (one deleted); the first logs ``points`` of "loss"."""
    experiment_id = backing.create_experiment("ext")
    run_ids = [
        backing.create_run(
            experiment_id=experiment_id, user_id="u", start_time=i, tags={}, run_name=f"r{i}"
        ).info.run_id
        for i in range(4)
    ]
    backing.delete_run(run_ids[3])
    values = [math.cos(i / 40) for i in range(points)]
    values[7], values[100] = math.nan, math.inf
    metrics = [Metric(key="loss", value=v, timestamp=5 + i, step=i) for i, v in enumerate(values)]
    for start in range(0, points, 1000):
        backing.log_batch(run_ids[0], metrics=metrics[start : start + 1000])
    return experiment_id, run_ids[0]


def _same(a: Any, b: Any) -> None:
    assert a.total_points == b.total_points
    assert np.array_equal(a.steps, b.steps) and np.array_equal(a.timestamps, b.timestamps)
    assert np.array_equal(a.values, b.values, equal_nan=True)
    assert a.steps.dtype == np.int64 and a.values.dtype == np.float64


def test_history_and_count_use_the_extension(
    tracking_server: TrackingServer, rest_store: RestStore
) -> None:
    experiment_id, run_id = _seed(tracking_server.backing)
    got = rest_store.get_metric_history_arrays(run_id, "loss", max_points=200)
    _same(got, tracking_server.backing.get_metric_history_arrays(run_id, "loss", max_points=200))
    assert got.total_points == 3000 and len(got) <= 204  # plus NaN/inf points of their buckets
    full = rest_store.get_metric_history_arrays(run_id, "loss")
    _same(full, tracking_server.backing.get_metric_history_arrays(run_id, "loss"))
    assert rest_store.count_runs([experiment_id]) == 3
    assert rest_store.count_runs([experiment_id], "attributes.run_name = 'r1'") == 1
    assert rest_store.count_runs([experiment_id], run_view_type=ViewType.ALL) == 4
    assert len(tracking_server.calls(ARRAYS)) == 2 and len(tracking_server.calls(COUNT)) == 3
    # None of the MLflow fallbacks was needed.
    assert not tracking_server.calls("/metrics/get-history")
    assert not tracking_server.calls("/runs/search")
    assert rest_store.lacking_endpoints == set()


def test_unknown_run_is_run_not_found_not_a_missing_endpoint(
    tracking_server: TrackingServer, rest_store: RestStore
) -> None:
    with pytest.raises(RunNotFound) as caught:
        rest_store.get_metric_history_arrays("0" * 32, "loss", max_points=10)
    assert caught.value.run_id == "0" * 32
    assert rest_store.lacking_endpoints == set()  # still asks the extension next time
    assert not tracking_server.calls("/metrics/get-history")


@pytest.fixture
def plain_server(tmp_path: Path) -> Iterator[TrackingServer]:
    """Our app without the /api/2.0/mltrack routes, like a server from before they existed."""
    from starlette.routing import Route

    from jupyter_mltrack.server import create_app, open_server_store

    backing = open_server_store(f"sqlite:///{tmp_path / 'plain.db'}")
    app = create_app(backing, str(tmp_path / "artifacts"))
    app.router.routes[:] = [  # type: ignore[attr-defined]
        r
        for r in app.router.routes  # type: ignore[attr-defined]
        if not (isinstance(r, Route) and r.path.startswith("/api/2.0/mltrack/"))
    ]
    requests: list[Recorded] = []
    live = serve_app(recording(app, requests))
    yield TrackingServer(url=live.url, backing=backing, artifacts=tmp_path, requests=requests)
    live.stop()
    backing.close()


def test_fallback_without_the_extension(plain_server: TrackingServer) -> None:
    store = RestStore(plain_server.url)
    experiment_id, run_id = _seed(plain_server.backing)
    backing = plain_server.backing
    for max_points in (None, 200, 2):
        got = store.get_metric_history_arrays(run_id, "loss", max_points=max_points)
        reference = backing.get_metric_history_arrays(run_id, "loss")
        _same(got, reference if max_points is None else downsample_history(reference, max_points))
    assert store.count_runs([experiment_id]) == 3
    assert store.count_runs([experiment_id], "attributes.run_name != 'r1'") == 2
    assert store.count_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY) == 1
    assert store.lacking_endpoints == {"metrics/get-history-arrays", "runs/count"}
    # Each missing endpoint was tried once; afterwards only MLflow's endpoints were called.
    assert len(plain_server.calls(ARRAYS)) == 1 and len(plain_server.calls(COUNT)) == 1
    assert len(plain_server.calls("/api/2.0/mlflow/metrics/get-history")) == 3
    assert len(plain_server.calls("/api/2.0/mlflow/runs/search")) == 3
    # The fallback still tells an unknown run apart.
    with pytest.raises(RunNotFound):
        store.get_metric_history_arrays("0" * 32, "loss")
    # A new store for the same server asks again (the server may have been upgraded).
    assert RestStore(plain_server.url).lacking_endpoints == set()


def test_malformed_answers_are_store_errors(scripted: Any) -> None:
    store = RestStore(scripted.url)
    scripted.script(json_reply(200, {"steps": [1, 2], "timestamps": [1], "values": [1.0, 2.0]}))
    with pytest.raises(StoreError, match="parallel lists"):
        store.get_metric_history_arrays("r", "m")
    scripted.script(json_reply(200, {"steps": ["x"], "timestamps": [1], "values": [1.0]}))
    with pytest.raises(StoreError, match="malformed metric history"):
        store.get_metric_history_arrays("r", "m")
    scripted.script(json_reply(200, {"count": [3]}))
    with pytest.raises(StoreError, match="runs/count"):
        store.count_runs(["0"])
    scripted.script(json_reply(200, {}))  # proto-JSON leaves zeros and empty lists out
    assert store.count_runs(["0"]) == 0
    assert len(store.get_metric_history_arrays("r", "m")) == 0
    assert store.lacking_endpoints == set()
