"""Metrics logged against a logged model through our Python API (MLflow 3's ``model_id``).

``log_metric(..., model_id=..., dataset=...)``, ``log_metrics``, ``TrackingClient.log_metric``
and ``TrackingClient.log_batch`` with model points, on SQLite and through the REST store talking
to a real server (uvicorn on 127.0.0.1). The points must be in the run's history and on the
model, the model must be found by ``search_logged_models(datasets=...)``, and a plain
``log_metric`` must keep going through the background writer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_server import LiveServer, serve_app

import jupyter_mltrack as mlt
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import DatasetInput, Metric
from jupyter_mltrack.entities.logged_model import LoggedModel, LoggedModelMetric
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError
from jupyter_mltrack.tracking import fluent
from jupyter_mltrack.tracking.batching import BATCHER

EVAL = DatasetInput(name="eval", digest="d1", source_type="local", source='{"uri": "x"}')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Our tracking server on a SQLite store, shared by the module's REST cases."""
    from jupyter_mltrack.server import create_app, open_server_store

    root = tmp_path_factory.mktemp("model-metrics-server")
    backing = open_server_store(f"sqlite:///{root / 'server.db'}")
    live = serve_app(create_app(backing, str(root / "artifacts")))
    yield live
    live.stop()
    backing.close()


@pytest.fixture(params=["sqlite", "rest"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrackingClient]:
    """The tracking URI set to a fresh SQLite file or to the shared server; a client on it."""
    if request.param == "rest":
        uri = request.getfixturevalue("server").url
    else:
        uri = f"sqlite:///{tmp_path / 't.db'}"
    mlt.set_tracking_uri(uri)
    yield TrackingClient()
    fluent._reset()


def _experiment_and_model(client: TrackingClient) -> tuple[str, LoggedModel]:
    """A fresh experiment (the server is shared) and a logged model in it."""
    exp_id = client.create_experiment(f"exp-{uuid.uuid4().hex}")
    model = client.store.create_logged_model(exp_id, name="clf")  # type: ignore[attr-defined]
    return exp_id, model


def _model_points(client: TrackingClient, model_id: str) -> list[tuple[Any, ...]]:
    got = client.store.get_logged_model(model_id)  # type: ignore[attr-defined]
    return [
        (m.key, m.value, m.step, m.run_id, m.dataset_name, m.dataset_digest) for m in got.metrics
    ]


def test_fluent_log_metric_with_model_id_and_dataset(client: TrackingClient) -> None:
    exp_id, model = _experiment_and_model(client)
    with mlt.start_run(experiment_id=exp_id) as run:
        mlt.log_metric("acc", 0.9, step=1, model_id=model.model_id, dataset=EVAL)
        # Written at the call: no flush, not in the background writer's buffer.
        assert [m.value for m in client.get_metric_history(run.run_id, "acc")] == [0.9]
    assert _model_points(client, model.model_id) == [("acc", 0.9, 1, run.run_id, "eval", "d1")]
    stored = client.get_run(run.run_id)
    assert stored.data.metrics == {"acc": 0.9}
    # As in MLflow: the model and the full dataset become inputs of the run.
    assert [m.model_id for m in stored.inputs.model_inputs] == [model.model_id]
    assert [(d.name, d.digest) for d in stored.inputs.dataset_inputs] == [("eval", "d1")]


def test_search_logged_models_finds_the_model_by_dataset(client: TrackingClient) -> None:
    exp_id, model = _experiment_and_model(client)
    other = client.store.create_logged_model(exp_id, name="other")  # type: ignore[attr-defined]
    with mlt.start_run(experiment_id=exp_id):
        mlt.log_metrics({"acc": 0.8, "f1": 0.7}, step=2, model_id=model.model_id, dataset=EVAL)
        mlt.log_metric("acc", 0.5, model_id=other.model_id)  # no dataset
    search = client.store.search_logged_models  # type: ignore[attr-defined]
    found = search([exp_id], datasets=[{"dataset_name": "eval", "dataset_digest": "d1"}])
    assert [m.model_id for m in found] == [model.model_id]
    assert list(search([exp_id], datasets=[{"dataset_name": "train"}])) == []
    assert sorted(p[:3] for p in _model_points(client, model.model_id)) == [
        ("acc", 0.8, 2),
        ("f1", 0.7, 2),
    ]


def test_model_points_land_after_pending_plain_points(client: TrackingClient) -> None:
    exp_id, model = _experiment_and_model(client)
    with mlt.start_run(experiment_id=exp_id) as run:
        mlt.log_metric("loss", 1.0, step=0, timestamp=1000)  # buffered
        mlt.log_metric("loss", 0.5, step=1, timestamp=2000, model_id=model.model_id)
        history = client.get_metric_history(run.run_id, "loss")
        assert [(m.value, m.step) for m in history] == [(1.0, 0), (0.5, 1)]
    assert [p[:3] for p in _model_points(client, model.model_id)] == [("loss", 0.5, 1)]


def test_unknown_model_id_is_refused_and_nothing_is_written(client: TrackingClient) -> None:
    exp_id, _ = _experiment_and_model(client)
    missing = "m-" + "0" * 32
    with mlt.start_run(experiment_id=exp_id) as run:
        with pytest.raises(NotFoundError, match=f"{missing}.*not found"):
            mlt.log_metric("acc", 0.9, model_id=missing)
        with pytest.raises(NotFoundError, match=missing):
            client.log_metric(run.run_id, "acc", 0.9, model_id=missing)
        batch: list[Metric | LoggedModelMetric] = [
            Metric(key="loss", value=1.0, timestamp=1),
            _point(missing, "acc", 0.9),
        ]
        with pytest.raises(NotFoundError, match=missing):
            client.log_batch(run.run_id, metrics=batch)
    assert client.get_metric_history(run.run_id, "acc") == []
    assert client.get_metric_history(run.run_id, "loss") == []


@pytest.mark.parametrize("bad", ["", "  ", 5])
def test_model_id_that_is_not_an_id_is_refused(client: TrackingClient, bad: object) -> None:
    with mlt.start_run(), pytest.raises(InvalidParameterError, match="model_id must be"):
        mlt.log_metric("acc", 0.9, model_id=bad)  # type: ignore[arg-type]


def test_client_log_metric_with_model_id_and_dataset_fields(client: TrackingClient) -> None:
    exp_id, model = _experiment_and_model(client)
    run_id = client.create_run(exp_id).info.run_id
    client.log_metric(
        run_id,
        "auc",
        0.75,
        step=4,
        timestamp=5000,
        model_id=model.model_id,
        dataset_name="holdout",
        dataset_digest="h9",
    )
    assert _model_points(client, model.model_id) == [("auc", 0.75, 4, run_id, "holdout", "h9")]
    assert [(m.value, m.step) for m in client.get_metric_history(run_id, "auc")] == [(0.75, 4)]


def _point(model_id: str, key: str, value: float, **extra: Any) -> LoggedModelMetric:
    return LoggedModelMetric(key=key, value=value, timestamp=1000, model_id=model_id, **extra)


def test_client_log_batch_routes_model_points(client: TrackingClient) -> None:
    exp_id, model = _experiment_and_model(client)
    run_id = client.create_run(exp_id).info.run_id
    client.log_batch(
        run_id,
        metrics=[
            Metric(key="loss", value=0.3, timestamp=1000, step=1),
            _point(model.model_id, "acc", 0.6, step=1, dataset_name="eval", dataset_digest="d"),
        ],
    )
    assert client.get_run(run_id).data.metrics == {"loss": 0.3, "acc": 0.6}
    assert _model_points(client, model.model_id) == [("acc", 0.6, 1, run_id, "eval", "d")]


def test_bad_run_point_in_a_batch_writes_no_model_point(client: TrackingClient) -> None:
    exp_id, model = _experiment_and_model(client)
    run_id = client.create_run(exp_id).info.run_id
    batch: list[Metric | LoggedModelMetric] = [
        Metric(key="", value=1.0, timestamp=1),
        _point(model.model_id, "acc", 0.6),
    ]
    with pytest.raises(InvalidParameterError):
        client.log_batch(run_id, metrics=batch)
    assert _model_points(client, model.model_id) == []


def test_plain_log_metric_is_unchanged(client: TrackingClient) -> None:
    exp_id, model = _experiment_and_model(client)
    with mlt.start_run(experiment_id=exp_id) as run:
        mlt.log_metric("loss", 0.4, step=3)
        mlt.log_metrics({"acc": 0.1}, step=3)
        mlt.flush()
        assert BATCHER.error is None
    assert client.get_run(run.run_id).data.metrics == {"loss": 0.4, "acc": 0.1}
    assert _model_points(client, model.model_id) == []
    assert client.get_run(run.run_id).inputs.model_inputs == ()


def test_dataset_without_model_logs_run_points_and_the_input(client: TrackingClient) -> None:
    exp_id, model = _experiment_and_model(client)
    with mlt.start_run(experiment_id=exp_id) as run:
        mlt.log_metric("acc", 0.2, dataset=EVAL)
    stored = client.get_run(run.run_id)
    assert stored.data.metrics == {"acc": 0.2}
    assert [d.name for d in stored.inputs.dataset_inputs] == ["eval"]
    assert _model_points(client, model.model_id) == []
