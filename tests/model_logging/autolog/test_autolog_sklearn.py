"""scikit-learn autologging: params, training metrics, models, run lifecycle, patching."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.ensemble._forest import BaseForest
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import jupyter_mltrack as mlt
import jupyter_mltrack.sklearn as mlt_sklearn
from jupyter_mltrack._validation import MAX_PARAM_VALUE_LENGTH
from jupyter_mltrack.entities import Run
from jupyter_mltrack.model_logging.autolog import sklearn as sklearn_autolog
from jupyter_mltrack.model_logging.autolog import sklearn_records


@pytest.fixture(autouse=True)
def _store(tmp_path: Path) -> Iterator[None]:
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    yield
    mlt_sklearn.autolog(disable=True)


def runs() -> list[Run]:
    return mlt.search_runs(output_format="list")


def only_run() -> Run:
    found = runs()
    assert len(found) == 1
    return found[0]


def test_classifier_params_and_metrics_equal_sklearn_values() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    clf = LogisticRegression(max_iter=500, C=0.5).fit(X, y)
    run = only_run()
    assert run.info.status.value == "FINISHED"
    params = run.data.params
    assert params == {k: str(v) for k, v in clf.get_params(deep=True).items()}
    pred, proba = clf.predict(X), clf.predict_proba(X)
    expected = {
        "training_score": clf.score(X, y),
        "training_accuracy_score": skm.accuracy_score(y, pred),
        "training_f1_score": skm.f1_score(y, pred, average="weighted"),
        "training_precision_score": skm.precision_score(y, pred, average="weighted"),
        "training_recall_score": skm.recall_score(y, pred, average="weighted"),
        "training_log_loss": skm.log_loss(y, proba),
        "training_roc_auc": skm.roc_auc_score(y, proba, average="weighted", multi_class="ovo"),
    }
    assert run.data.metrics == pytest.approx(expected)
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert run.data.tags["estimator_class"].endswith(".LogisticRegression")


def test_regressor_metrics_equal_sklearn_values() -> None:
    X, y = load_diabetes(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    reg = Ridge(alpha=0.3).fit(X, y)
    pred = reg.predict(X)
    metrics = only_run().data.metrics
    mse = skm.mean_squared_error(y, pred)
    assert metrics == pytest.approx(
        {
            "training_score": reg.score(X, y),
            "training_r2_score": skm.r2_score(y, pred),
            "training_mean_squared_error": mse,
            "training_root_mean_squared_error": math.sqrt(mse),
            "training_mean_absolute_error": skm.mean_absolute_error(y, pred),
        }
    )


def test_sample_weight_is_used_for_metrics() -> None:
    X, y = load_iris(return_X_y=True)
    weights = np.linspace(0.1, 2.0, len(y))
    mlt_sklearn.autolog(log_models=False)
    clf = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y, sample_weight=weights)
    pred = clf.predict(X)
    metrics = only_run().data.metrics
    expected = skm.accuracy_score(y, pred, sample_weight=weights)
    assert metrics["training_accuracy_score"] == pytest.approx(expected)
    assert metrics["training_score"] == pytest.approx(expected)


def test_model_is_logged_and_loadable_with_input_example() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_input_examples=True)
    clf = LogisticRegression(max_iter=500).fit(X, y)
    run = only_run()
    loaded = mlt_sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    files = {f.path for f in mlt.TrackingClient().list_artifacts(run.info.run_id, "model")}
    assert any("input_example" in path for path in files), files


def test_pipeline_creates_exactly_one_run_with_deep_params() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    run = only_run()
    assert run.data.params["logisticregression__max_iter"] == "500"
    assert run.data.params["standardscaler__with_mean"] == "True"
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert "training_accuracy_score" in run.data.metrics


def test_fit_inside_an_active_run_logs_into_it() -> None:
    X, y = load_diabetes(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    with mlt.start_run(run_name="outer") as outer:
        LinearRegression().fit(X, y)
        assert mlt.active_run() is outer
    run = only_run()
    assert run.info.run_id == outer.run_id
    assert run.info.run_name == "outer"
    assert "training_r2_score" in run.data.metrics
    assert run.data.params["fit_intercept"] == "True"


def test_two_fits_in_one_run_keep_the_first_params() -> None:
    X, y = load_diabetes(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    with mlt.start_run():
        Ridge(alpha=1.0).fit(X, y)
        Ridge(alpha=2.0).fit(X, y)  # conflicting param is skipped, fit still works
    assert only_run().data.params["alpha"] == "1.0"


def test_suspended_logs_nothing() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    with sklearn_autolog.suspended():
        assert not sklearn_autolog.is_enabled()
        LogisticRegression(max_iter=500).fit(X, y)
    assert sklearn_autolog.is_enabled()
    assert runs() == []


def test_disable_restores_original_fit() -> None:
    own = LogisticRegression.__dict__["fit"]
    assert "fit" not in RandomForestClassifier.__dict__  # inherited from BaseForest
    mlt_sklearn.autolog()
    mlt_sklearn.autolog()  # idempotent
    patched = LogisticRegression.__dict__["fit"]
    assert patched is not own
    assert patched.__wrapped__ is own
    assert RandomForestClassifier.__dict__["fit"].__wrapped__ is BaseForest.__dict__["fit"]
    mlt_sklearn.autolog(disable=True)
    assert LogisticRegression.__dict__["fit"] is own
    assert "fit" not in RandomForestClassifier.__dict__
    assert BaseForest.__dict__["fit"] is RandomForestClassifier.fit
    X, y = load_iris(return_X_y=True)
    LogisticRegression(max_iter=500).fit(X, y)
    assert runs() == []


def test_autolog_twice_logs_one_run_per_fit() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    mlt_sklearn.autolog(log_models=False)
    LogisticRegression(max_iter=500).fit(X, y)
    LogisticRegression(max_iter=500).fit(X, y)
    assert len(runs()) == 2
    assert mlt.active_run() is None


def test_failing_fit_marks_run_failed_and_reraises() -> None:
    X, y = load_iris(return_X_y=True)
    X = X.copy()
    X[0, 0] = np.nan
    mlt_sklearn.autolog()
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(X, y)
    run = only_run()
    assert run.info.status.value == "FAILED"
    assert run.data.params["max_iter"] == "100"
    assert mlt.active_run() is None


def test_failing_fit_inside_active_run_leaves_that_run_to_its_owner() -> None:
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog()
    outer = mlt.start_run()
    with pytest.raises(ValueError):
        LogisticRegression().fit(X, y[:10])
    assert mlt.active_run() is outer
    assert only_run().info.status.value == "RUNNING"


def test_logging_failure_is_a_warning_and_fit_returns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> dict[str, float]:
        raise RuntimeError("metric store down")

    monkeypatch.setattr(sklearn_autolog, "training_metrics", broken)
    X, y = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    with caplog.at_level(logging.WARNING, logger=sklearn_autolog.__name__):
        clf = LogisticRegression(max_iter=500).fit(X, y)
    assert hasattr(clf, "coef_")
    assert "metric store down" in caplog.text
    run = only_run()
    assert run.info.status.value == "FINISHED"
    assert run.data.params["max_iter"] == "500"


def test_long_param_values_are_truncated_with_marker() -> None:
    long = "x" * (MAX_PARAM_VALUE_LENGTH + 50)
    assert sklearn_records.param_strings({"p": long, "bad key!": 1}) == {
        "p": "x" * (MAX_PARAM_VALUE_LENGTH - len(sklearn_autolog.TRUNCATION_MARKER))
        + sklearn_autolog.TRUNCATION_MARKER
    }


def test_unsupervised_fit_logs_params_without_metrics() -> None:
    X, _ = load_iris(return_X_y=True)
    mlt_sklearn.autolog(log_models=False)
    StandardScaler().fit_transform(X)
    run = only_run()
    assert run.data.params["with_std"] == "True"
    assert run.data.metrics == {}
