"""LightGBM autologging: lightgbm.train and the sklearn API, named as MLflow names things."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

import jupyter_mltrack as mlt
from jupyter_mltrack import pyfunc
from jupyter_mltrack.entities import Run
from jupyter_mltrack.tracking.client import TrackingClient

if os.environ.get("CI") == "true":
    import lightgbm as lgb
else:
    lgb = pytest.importorskip("lightgbm")

import jupyter_mltrack.lightgbm as mlt_lgb
from jupyter_mltrack.model_logging.autolog import lightgbm as autolog_module

PARAMS = {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1, "seed": 1}
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _store(tmp_path: Path) -> Iterator[None]:
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    yield
    mlt_lgb.autolog(disable=True)


def make_data() -> tuple[pd.DataFrame, pd.Series]:
    X, y = make_classification(n_samples=500, n_features=5, flip_y=0.2, random_state=0)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(5)]), pd.Series(y)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    return make_data()


def only_run() -> Run:
    (run,) = mlt.search_runs(output_format="list")
    return run


def _steps(run: Run, key: str) -> list[tuple[int, float]]:
    history = TrackingClient().get_metric_history(run.info.run_id, key)
    return sorted((m.step, m.value) for m in history)


def _train_with_early_stopping(data, **kwargs):  # type: ignore[no-untyped-def]
    X, y = data
    train, valid = lgb.Dataset(X[:350], y[:350]), lgb.Dataset(X[350:], y[350:])
    evals: dict = {}
    callbacks = [lgb.early_stopping(3, verbose=False), lgb.record_evaluation(evals)]
    booster = lgb.train(
        PARAMS, train, 40, valid_sets=[train, valid], valid_names=["train", "valid"],
        callbacks=callbacks, **kwargs,
    )  # fmt: skip
    assert len(callbacks) == 2, "the caller's callbacks list is never changed"
    return booster, evals


def test_train_logs_params_metrics_per_iteration_and_early_stopping(data):
    mlt_lgb.autolog()
    booster, evals = _train_with_early_stopping(data)
    run = only_run()
    assert run.info.status.value == "FINISHED"
    params = run.data.params
    assert params["objective"] == "binary"
    assert params["metric"] == "['binary_logloss', 'auc']"
    assert params["num_boost_round"] == "40"
    assert params["keep_training_booster"] == "False"
    assert not {"train_set", "valid_sets", "callbacks"} & set(params)
    stopped = len(evals["valid"]["auc"])
    best = booster.best_iteration
    assert 0 < best < stopped
    steps = _steps(run, "valid-auc")
    expected = [*enumerate(evals["valid"]["auc"]), (stopped, evals["valid"]["auc"][best - 1])]
    assert [step for step, _ in steps] == [step for step, _ in expected]
    assert [value for _, value in steps] == pytest.approx([value for _, value in expected])
    assert len(_steps(run, "train-binary_logloss")) == stopped + 1
    assert run.data.metrics["stopped_iteration"] == stopped
    assert run.data.metrics["best_iteration"] == best


def test_train_logs_feature_importance_and_the_booster(tmp_path, data):
    mlt_lgb.autolog(log_input_examples=True)
    booster, _ = _train_with_early_stopping(data)
    run_id = only_run().info.run_id
    client = TrackingClient()
    names = {a.path for a in client.list_artifacts(run_id)}
    expected_files = {
        f"feature_importance_{k}.{e}" for k in ("split", "gain") for e in ("json", "png")
    }
    assert expected_files | {"model"} <= names
    gain = json.loads(
        Path(client.download_artifacts(run_id, "feature_importance_gain.json")).read_text()
    )
    assert gain == pytest.approx(
        dict(zip(booster.feature_name(), booster.feature_importance("gain"), strict=True))
    )
    png = Path(client.download_artifacts(run_id, "feature_importance_split.png")).read_bytes()
    assert png.startswith(b"\x89PNG")
    model = pyfunc.load_model(f"runs:/{run_id}/model")
    X = data[0]
    np.testing.assert_allclose(model.predict(X), booster.predict(X))
    assert model.metadata.signature is not None
    assert model.metadata.signature.inputs.input_names() == list(X.columns)
    assert model.metadata.saved_input_example_info is not None


def test_log_models_false_and_no_signature(data):
    mlt_lgb.autolog(log_models=False)
    _train_with_early_stopping(data)
    names = {a.path for a in TrackingClient().list_artifacts(only_run().info.run_id)}
    assert "model" not in names and "feature_importance_split.json" in names


def test_sklearn_fit_logs_the_estimator_with_a_signature_but_no_example(data):
    X, y = data
    mlt_lgb.autolog()
    clf = lgb.LGBMClassifier(n_estimators=6, learning_rate=0.3, verbose=-1)
    clf.fit(X, y, eval_set=[(X, y)])
    run = only_run()
    assert run.data.params["learning_rate"] == "0.3"
    assert run.data.params["num_boost_round"] == "6"
    assert [s for s, _ in _steps(run, "training-binary_logloss")] == list(range(6))
    loaded = mlt_lgb.load_model(f"runs:/{run.info.run_id}/model")
    assert type(loaded) is lgb.LGBMClassifier
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    model = pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert model.metadata.signature is not None
    assert model.metadata.saved_input_example_info is None  # log_input_examples=False


def test_inside_an_autologged_sklearn_pipeline_sklearn_owns_the_run(data):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import jupyter_mltrack.sklearn as mlt_sklearn

    mlt_lgb.autolog(log_models=False)
    mlt_sklearn.autolog(log_models=False)
    try:
        make_pipeline(StandardScaler(), lgb.LGBMClassifier(n_estimators=3, verbose=-1)).fit(*data)
    finally:
        mlt_sklearn.autolog(disable=True)
    params = only_run().data.params
    assert params["lgbmclassifier__n_estimators"] == "3"
    assert "num_boost_round" not in params


def test_training_inside_a_run_logs_into_it_and_exclusive_stays_out(data):
    mlt_lgb.autolog(log_models=False)
    with mlt.start_run() as run:
        _train_with_early_stopping(data)
    assert only_run().info.run_id == run.run_id
    assert "valid-auc" in only_run().data.metrics
    mlt_lgb.autolog(log_models=False, exclusive=True, extra_tags={"team": "cancer"})
    with mlt.start_run(run_name="mine"):
        _train_with_early_stopping(data)
    runs = {r.info.run_name: r for r in mlt.search_runs(output_format="list")}
    assert "valid-auc" not in runs["mine"].data.metrics
    _train_with_early_stopping(data)
    (created,) = [r for r in mlt.search_runs(output_format="list") if r.data.tags.get("team")]
    assert "valid-auc" in created.data.metrics


def test_a_failure_inside_autolog_never_breaks_training(data, monkeypatch, caplog):
    import jupyter_mltrack.tracking.fluent_logging as fluent_logging
    from jupyter_mltrack.model_logging.autolog import lightgbm_records

    expected, _ = _train_with_early_stopping(data)
    mlt_lgb.autolog(log_models=False)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("store is on fire")

    monkeypatch.setattr(fluent_logging, "log_metrics", broken)
    monkeypatch.setattr(lightgbm_records, "log_feature_importance", broken)
    with caplog.at_level(logging.WARNING, logger="jupyter_mltrack.autolog.lightgbm"):
        booster, _ = _train_with_early_stopping(data)
    np.testing.assert_allclose(booster.predict(data[0]), expected.predict(data[0]))
    messages = [r.getMessage() for r in caplog.records]
    assert any("could not log the iteration's metrics: store is on fire" in m for m in messages)
    assert any("could not log feature importance: store is on fire" in m for m in messages)
    assert only_run().info.status.value == "FINISHED"
    caplog.clear()
    mlt_lgb.autolog(log_models=False, silent=True)
    with caplog.at_level(logging.WARNING, logger="jupyter_mltrack.autolog.lightgbm"):
        _train_with_early_stopping(data)
    assert not caplog.records, "silent=True keeps autologging quiet"


def test_failed_training_marks_the_run_failed(data):
    mlt_lgb.autolog()
    with pytest.raises(lgb.basic.LightGBMError):
        lgb.train({"objective": "no-such-objective", "verbose": -1}, lgb.Dataset(*data), 3)
    assert only_run().info.status.value == "FAILED"


def test_disable_restores_every_original():
    import lightgbm.engine
    import lightgbm.sklearn

    owners = [
        (lgb, "train"),
        (lightgbm.engine, "train"),
        (lightgbm.sklearn, "train"),
        *((cls, "fit") for cls in (lgb.LGBMModel, lgb.LGBMClassifier, lgb.LGBMRegressor)),
    ]
    before = [owner.__dict__[name] for owner, name in owners]
    mlt_lgb.autolog()
    assert autolog_module.is_enabled()
    assert all(
        owner.__dict__[name] is not old for (owner, name), old in zip(owners, before, strict=True)
    )
    mlt_lgb.autolog()  # twice is harmless
    mlt_lgb.autolog(disable=True)
    assert not autolog_module.is_enabled()
    assert all(
        owner.__dict__[name] is old for (owner, name), old in zip(owners, before, strict=True)
    )
    lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(*make_data()), 2)
    assert mlt.search_runs(output_format="list") == []


def test_autolog_in_a_script(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import lightgbm as lgb
            from sklearn.datasets import make_classification
            import jupyter_mltrack.lightgbm

            jupyter_mltrack.lightgbm.autolog()
            X, y = make_classification(n_samples=300, n_features=4, random_state=0)
            train = lgb.Dataset(X, y)
            lgb.engine.train({"objective": "binary", "verbose": -1}, train, 5, valid_sets=[train])
            lgb.LGBMRegressor(n_estimators=4, verbose=-1).fit(X, y)
            """
        )
    )
    uri = f"sqlite:///{tmp_path}/script.db"
    env = {**os.environ, "MLTRACK_TRACKING_URI": uri, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = TrackingClient(uri).search_runs(["0"], order_by=["start_time ASC"])
    assert [r.info.status.value for r in runs] == ["FINISHED", "FINISHED"]
    booster_run, regressor_run = runs
    assert [s for s, _ in _steps_of(uri, booster_run, "training-binary_logloss")] == list(range(5))
    assert regressor_run.data.params["num_boost_round"] == "4"
    for run in runs:
        files = {a.path for a in TrackingClient(uri).list_artifacts(run.info.run_id)}
        assert {"model", "feature_importance_gain.json"} <= files


def _steps_of(uri: str, run: Run, key: str) -> list[tuple[int, float]]:
    return sorted(
        (m.step, m.value) for m in TrackingClient(uri).get_metric_history(run.info.run_id, key)
    )
