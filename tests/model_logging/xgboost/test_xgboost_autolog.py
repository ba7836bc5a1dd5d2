"""XGBoost autologging: what train and fit log, where, and that it never breaks training."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from xgb_helpers import iris, xgboost

import jupyter_mltrack as mlt
import jupyter_mltrack.xgboost as mlt_xgb
from jupyter_mltrack import pyfunc
from jupyter_mltrack.model_logging.autolog import _common
from jupyter_mltrack.model_logging.autolog import xgboost as xgb_autolog
from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["iris"]  # fixtures

PARAMS = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2, "nthread": 1}


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    uri = f"sqlite:///{tmp_path}/t.db"
    mlt.set_tracking_uri(uri)
    yield TrackingClient(uri)
    mlt_xgb.autolog(disable=True)
    while mlt.active_run() is not None:
        mlt.end_run()


def _runs(client: TrackingClient) -> list:  # type: ignore[type-arg]
    experiment = client.get_experiment_by_name("Default")
    assert experiment is not None
    return list(client.search_runs([experiment.experiment_id], order_by=["start_time ASC"]))


def _files(client: TrackingClient, run_id: str, path: str = "") -> set[str]:
    return {f.path for f in client.list_artifacts(run_id, path)}


def test_train_logs_params_metrics_importance_and_model(store, iris):
    mlt_xgb.autolog(importance_types=["weight", "gain"], log_input_examples=True)
    dtrain = xgboost.DMatrix(*iris)
    booster = xgboost.train(PARAMS, dtrain, 4, evals=[(dtrain, "train")], verbose_eval=False)
    assert mlt.active_run() is None, "the run autologging started is ended"
    (run,) = _runs(store)
    params = run.data.params
    assert params["max_depth"] == "2" and params["objective"] == "multi:softprob"
    assert params["num_boost_round"] == "4" and params["early_stopping_rounds"] == "None"
    assert "dtrain" not in params and "evals" not in params and "callbacks" not in params
    history = store.get_metric_history(run.info.run_id, "train-mlogloss")
    assert [m.step for m in history] == [0, 1, 2, 3]
    assert history[-1].value < history[0].value
    assert run.data.tags["mlflow.autologging"] == "xgboost"
    files = _files(store, run.info.run_id)
    expected = {f"feature_importance_{t}.{x}" for t in ("weight", "gain") for x in ("json", "png")}
    assert expected | {"model"} <= files
    local = store.download_artifacts(run.info.run_id, "feature_importance_weight.json")
    assert json.loads(Path(local).read_text()) == booster.get_score(importance_type="weight")
    model = pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert model.metadata.signature is not None
    assert "model/input_example.json" in _files(store, run.info.run_id, "model")
    np.testing.assert_allclose(model.predict(iris[0]), booster.predict(xgboost.DMatrix(iris[0])))


def test_training_module_and_early_stopping_record_the_best_iteration(store, iris):
    mlt_xgb.autolog(log_models=False)
    train, valid = xgboost.DMatrix(iris[0][::2], iris[1][::2]), xgboost.DMatrix(*iris)
    with mlt.start_run() as run:  # xgboost.training.train: the same function, another name
        booster = xgboost.training.train(
            {**PARAMS, "eta": 1.0, "max_depth": 6},
            train,
            200,
            evals=[(train, "train"), (valid, "valid")],
            early_stopping_rounds=2,
            verbose_eval=False,
        )
    metrics = mlt.get_run(run.run_id).data.metrics
    stopped = int(metrics["stopped_iteration"])
    assert stopped < 199 and metrics["best_iteration"] == booster.best_iteration
    history = store.get_metric_history(run.run_id, "valid-mlogloss")
    assert [m.step for m in history] == [*range(stopped + 1), stopped + 1]
    assert history[-1].value == history[booster.best_iteration].value
    assert "model" not in _files(store, run.run_id)


def test_sklearn_fit_logs_validation_metrics_and_the_estimator(store, iris):
    mlt_xgb.autolog()
    regressor = xgboost.XGBRegressor(n_estimators=3, max_depth=2, n_jobs=1)
    regressor.fit(iris[0], iris[1], eval_set=[(iris[0], iris[1])], verbose=False)
    (run,) = _runs(store)
    assert run.data.params["max_depth"] == "2" and run.data.params["num_boost_round"] == "3"
    history = store.get_metric_history(run.info.run_id, "validation_0-rmse")
    assert [m.step for m in history] == [0, 1, 2]
    loaded = mlt_xgb.load_model(f"runs:/{run.info.run_id}/model")
    assert type(loaded) is xgboost.XGBRegressor
    np.testing.assert_allclose(loaded.predict(iris[0]), regressor.predict(iris[0]))
    signature = pyfunc.load_model(f"runs:/{run.info.run_id}/model").metadata.signature
    assert signature is not None and signature.inputs.input_names() == list(iris[0].columns)
    assert "model/input_example.json" not in _files(store, run.info.run_id, "model")


def test_logs_into_the_active_run_unless_exclusive(store, iris):
    mlt_xgb.autolog(log_models=False, importance_types=[])
    with mlt.start_run() as run:
        xgboost.XGBClassifier(n_estimators=2, n_jobs=1).fit(*iris)
        xgboost.XGBClassifier(n_estimators=2, n_jobs=1).fit(*iris)  # same params: no conflict
    assert [r.info.run_id for r in _runs(store)] == [run.run_id]
    assert mlt.get_run(run.run_id).data.params["num_boost_round"] == "2"
    mlt_xgb.autolog(log_models=False, exclusive=True)
    with mlt.start_run() as mine:
        xgboost.train(PARAMS, xgboost.DMatrix(*iris), 2)
    assert "max_depth" not in mlt.get_run(mine.run_id).data.params
    xgboost.train(PARAMS, xgboost.DMatrix(*iris), 2)  # outside any run: a run of its own
    assert len(_runs(store)) == 3 and _runs(store)[-1].data.params["max_depth"] == "2"


def test_a_failing_logger_warns_and_training_still_returns(store, iris, monkeypatch, caplog):
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(xgb_autolog, "log_params", broken)
    monkeypatch.setattr(xgb_autolog, "log_feature_importance", broken)
    monkeypatch.setattr("jupyter_mltrack.tracking.fluent_logging.log_metrics", broken)
    mlt_xgb.autolog()
    dtrain = xgboost.DMatrix(*iris)
    with caplog.at_level(logging.WARNING, logger=xgb_autolog.logger.name):
        booster = xgboost.train(PARAMS, dtrain, 3, evals=[(dtrain, "t")], verbose_eval=False)
    assert isinstance(booster, xgboost.Booster) and booster.num_boosted_rounds() == 3
    assert "could not log params: disk full" in caplog.text
    assert "could not log eval metrics: disk full" in caplog.text
    assert "could not log the weight feature importance: disk full" in caplog.text
    (run,) = _runs(store)
    assert run.info.status.value == "FINISHED" and "model" in _files(store, run.info.run_id)
    caplog.clear()
    mlt_xgb.autolog(silent=True)
    xgboost.train(PARAMS, dtrain, 1)
    assert "disk full" not in caplog.text


def test_training_errors_propagate_and_fail_the_run(store, iris):
    mlt_xgb.autolog()
    with pytest.raises(xgboost.core.XGBoostError):
        xgboost.train({"objective": "no-such-objective"}, xgboost.DMatrix(*iris), 2)
    (run,) = _runs(store)
    assert run.info.status.value == "FAILED"


def test_disable_restores_the_original_functions(store, iris):
    originals = {
        "train": xgboost.train,
        "training": xgboost.training.train,
        "sklearn": xgboost.sklearn.train,
        "init": xgboost.DMatrix.__init__,
    }
    mlt_xgb.autolog()
    assert xgb_autolog.is_enabled() and xgboost.train is not originals["train"]
    assert "fit" in xgboost.XGBRegressor.__dict__  # inherited fit patched on the class
    mlt_xgb.autolog(disable=True)
    assert not xgb_autolog.is_enabled()
    assert xgboost.train is originals["train"]
    assert xgboost.training.train is originals["training"]
    assert xgboost.sklearn.train is originals["sklearn"]
    assert xgboost.DMatrix.__init__ is originals["init"]
    assert "fit" not in xgboost.XGBRegressor.__dict__
    xgboost.train(PARAMS, xgboost.DMatrix(*iris), 1)
    assert _runs(store) == []


def test_suspended_autologging_logs_nothing(store, iris):
    mlt_xgb.autolog()
    with _common.suspended():
        xgboost.XGBClassifier(n_estimators=2, n_jobs=1).fit(*iris)
        xgboost.train(PARAMS, xgboost.DMatrix(*iris), 1)
    assert _runs(store) == []


SCRIPT = """
import xgboost
from sklearn.datasets import load_iris
import jupyter_mltrack.xgboost

jupyter_mltrack.xgboost.autolog(log_input_examples=True)
X, y = load_iris(return_X_y=True, as_frame=True)
clf = xgboost.XGBClassifier(n_estimators=3, max_depth=2, n_jobs=1)
clf.fit(X, y, eval_set=[(X, y)], verbose=False)
print("trained", clf.n_estimators)
"""


def test_autolog_in_a_script(store, tmp_path):
    (tmp_path / "train.py").write_text(textwrap.dedent(SCRIPT))
    env = {"MLTRACK_TRACKING_URI": store.tracking_uri, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "train.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "trained 3" in done.stdout
    (run,) = _runs(store)
    assert run.info.status.value == "FINISHED"
    assert run.data.params["max_depth"] == "2"
    assert len(store.get_metric_history(run.info.run_id, "validation_0-mlogloss")) == 3
    files = _files(store, run.info.run_id, "model")
    assert {"model/MLmodel", "model/model.ubj", "model/input_example.json"} <= files


def test_inside_an_autologged_sklearn_pipeline_only_sklearn_logs(store, iris):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import jupyter_mltrack.sklearn as mlt_sklearn

    mlt_sklearn.autolog(log_models=False)
    mlt_xgb.autolog()
    try:
        classifier = xgboost.XGBClassifier(n_estimators=2, n_jobs=1)
        make_pipeline(StandardScaler(), classifier).fit(*iris)
    finally:
        mlt_sklearn.autolog(disable=True)
    (run,) = _runs(store)
    assert run.data.params["xgbclassifier__n_estimators"] == "2"
    assert "num_boost_round" not in run.data.params
    assert "model" not in _files(store, run.info.run_id)
