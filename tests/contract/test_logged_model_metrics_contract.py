"""Metrics logged against logged models (MLflow's ``log_metric(..., model_id=...)``) and the
``datasets`` filter and metric order of ``search_logged_models`` - on every backend."""

from __future__ import annotations

import math

import pytest
from contract_helpers import make_run

from jupyter_mltrack.entities.logged_model import LoggedModel, LoggedModelMetric
from jupyter_mltrack.errors import InvalidParameterError, InvalidStateError, NotFoundError


def _point(model_id: str, key: str, value: float, **extra) -> LoggedModelMetric:  # type: ignore[no-untyped-def]
    extra.setdefault("timestamp", 1000)
    return LoggedModelMetric(key=key, value=value, model_id=model_id, **extra)


def _ids(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.model_id for m in found]


def test_points_show_on_the_model_and_in_the_run(store):
    run_id = make_run(store).info.run_id
    model = store.create_logged_model("0", name="m", source_run_id=run_id)
    store.log_model_metrics(
        run_id,
        [
            _point(model.model_id, "acc", 0.5, step=1, dataset_name="eval", dataset_digest="d1"),
            _point(model.model_id, "acc", 0.75, step=2, timestamp=2000),
            _point(model.model_id, "loss", math.inf, step=2),
        ],
    )
    got = store.get_logged_model(model.model_id)
    assert [(m.key, m.value, m.step, m.timestamp) for m in got.metrics] == [
        ("acc", 0.5, 1, 1000),
        ("acc", 0.75, 2, 2000),
        ("loss", math.inf, 2, 1000),
    ]
    first = got.metrics[0]
    assert (first.run_id, first.model_id) == (run_id, model.model_id)
    assert (first.dataset_name, first.dataset_digest) == ("eval", "d1")
    assert got.metrics[1].dataset_name is None
    # The points are the run's metrics too, as in MLflow.
    assert store.get_run(run_id).data.metrics == {"acc": 0.75, "loss": math.inf}
    assert [m.value for m in store.get_metric_history(run_id, "acc")] == [0.5, 0.75]


def test_model_metrics_json_is_mlflows_shape(store):
    run_id = make_run(store).info.run_id
    model = store.create_logged_model("0", name="m")
    point = _point(model.model_id, "acc", 0.5, step=3, dataset_name="eval", dataset_digest="d")
    store.log_model_metrics(run_id, [point])
    data = store.get_logged_model(model.model_id).to_dict()["data"]
    assert data["metrics"] == [
        {
            "key": "acc",
            "value": 0.5,
            "timestamp": 1000,
            "step": 3,
            "model_id": model.model_id,
            "dataset_name": "eval",
            "dataset_digest": "d",
            "run_id": run_id,
        }
    ]
    assert LoggedModel.from_dict(store.get_logged_model(model.model_id).to_dict()).metrics == (
        store.get_logged_model(model.model_id).metrics
    )


def test_a_repeated_point_is_stored_once(store):
    run_id = make_run(store).info.run_id
    model = store.create_logged_model("0", name="m")
    point = _point(model.model_id, "acc", 0.5)
    store.log_model_metrics(run_id, [point, point])
    store.log_model_metrics(run_id, [point])  # a retried batch
    assert len(store.get_logged_model(model.model_id).metrics) == 1


def test_unknown_model_or_deleted_run_writes_nothing(store):
    run_id = make_run(store).info.run_id
    model = store.create_logged_model("0", name="m")
    unknown = "m-" + "0" * 32
    with pytest.raises(NotFoundError, match="not found"):
        store.log_model_metrics(
            run_id, [_point(model.model_id, "acc", 0.5), _point(unknown, "acc", 0.6)]
        )
    assert store.get_logged_model(model.model_id).metrics == ()
    assert store.get_run(run_id).data.metrics == {}
    store.delete_run(run_id)
    with pytest.raises(InvalidStateError):
        store.log_model_metrics(run_id, [_point(model.model_id, "acc", 0.5)])


def test_bad_points_are_refused(store):
    run_id = make_run(store).info.run_id
    model = store.create_logged_model("0", name="m")
    with pytest.raises(InvalidParameterError, match="dataset_digest"):
        store.log_model_metrics(run_id, [_point(model.model_id, "a", 1.0, dataset_digest="x" * 99)])
    with pytest.raises(InvalidParameterError):
        store.log_model_metrics(run_id, [_point(model.model_id, "", 1.0)])


def test_deleting_the_model_deletes_its_points(store):
    run_id = make_run(store).info.run_id
    model = store.create_logged_model("0", name="m")
    store.log_model_metrics(run_id, [_point(model.model_id, "acc", 0.5)])
    store.delete_logged_model(model.model_id)
    again = store.create_logged_model("0", name="m2")
    store.log_model_metrics(run_id, [_point(again.model_id, "acc", 0.5)])
    assert len(store.get_logged_model(again.model_id).metrics) == 1


@pytest.fixture
def scored(store):  # type: ignore[no-untyped-def]
    """Three models: a (eval 0.9, test 0.1), b (eval 0.5, latest point), c (no metrics)."""
    run_id = make_run(store).info.run_id
    a, b, c = (store.create_logged_model("0", name=n) for n in "abc")
    store.log_model_metrics(
        run_id,
        [
            _point(a.model_id, "acc", 0.9, dataset_name="eval", dataset_digest="e1"),
            _point(a.model_id, "acc", 0.1, dataset_name="test", dataset_digest="t1", step=1),
            _point(b.model_id, "acc", 0.2, dataset_name="eval", dataset_digest="e1"),
            _point(b.model_id, "acc", 0.5, dataset_name="eval", dataset_digest="e1", step=5),
        ],
    )
    return store, a.model_id, b.model_id, c.model_id


def test_datasets_filter_keeps_models_with_points_on_them(scored):
    store, a, b, _ = scored
    search = store.search_logged_models
    assert set(_ids(search(["0"], datasets=[{"dataset_name": "eval"}]))) == {a, b}
    assert _ids(search(["0"], datasets=[{"dataset_name": "test"}])) == [a]
    assert _ids(search(["0"], datasets=[{"dataset_name": "eval", "dataset_digest": "zz"}])) == []
    both = [{"dataset_name": "test", "dataset_digest": "t1"}, {"dataset_name": "nope"}]
    assert _ids(search(["0"], datasets=both)) == [a]
    assert len(search(["0"])) == 3  # no filter: every model, c included


def test_datasets_restrict_metric_filters(scored):
    store, a, b, _ = scored
    search = store.search_logged_models
    assert set(_ids(search(["0"], filter_string="metrics.acc > 0.3"))) == {a, b}
    on_test = search(["0"], filter_string="metrics.acc > 0.3", datasets=[{"dataset_name": "test"}])
    assert _ids(on_test) == []  # a's 0.9 is on eval, not on test
    on_eval = search(["0"], filter_string="metrics.acc >= 0.5", datasets=[{"dataset_name": "eval"}])
    assert set(_ids(on_eval)) == {a, b}


def test_order_by_a_metric_uses_the_latest_point(scored):
    store, a, b, c = scored
    search = store.search_logged_models
    # a's latest point is 0.1 (step 1, test), b's 0.5 (step 5): c has none and goes last.
    assert _ids(search(["0"], order_by=["metrics.acc DESC"])) == [b, a, c]
    assert _ids(search(["0"], order_by=["metrics.acc ASC"])) == [a, b, c]
    on_eval = {"field_name": "metrics.acc", "ascending": False, "dataset_name": "eval"}
    assert _ids(search(["0"], order_by=[on_eval])) == [a, b, c]  # a: 0.9 on eval


@pytest.mark.parametrize("datasets", [[{"dataset_digest": "e1"}], [{"dataset_name": ""}], ["eval"]])
def test_datasets_need_a_name(scored, datasets):
    with pytest.raises(InvalidParameterError, match="dataset_name"):
        scored[0].search_logged_models(["0"], datasets=datasets)


def test_purged_runs_take_their_model_points(store):
    run_id = make_run(store).info.run_id
    model = store.create_logged_model("0", name="m")
    store.log_model_metrics(run_id, [_point(model.model_id, "acc", 0.5)])
    store.delete_run(run_id)
    store.purge_runs([run_id])
    assert store.get_logged_model(model.model_id).metrics == ()
