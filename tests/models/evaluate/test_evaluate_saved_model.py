"""evaluate() on saved models: by path, by runs:/ URI, and as a loaded PyFuncModel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as sk
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

import jupyter_mltrack as mlt
import jupyter_mltrack.pyfunc
import jupyter_mltrack.sklearn
from jupyter_mltrack import TrackingClient


def iris() -> tuple[pd.DataFrame, pd.Series, LogisticRegression]:
    features, labels = load_iris(return_X_y=True, as_frame=True)
    return features, labels, LogisticRegression(max_iter=1000).fit(features, labels)


def test_saved_model_by_path_gets_probability_metrics(tmp_path: Path) -> None:
    features, y, model = iris()
    jupyter_mltrack.sklearn.save_model(model, tmp_path / "model", input_example=features[:3])
    proba = model.predict_proba(features)
    with mlt.start_run():
        by_str = mlt.evaluate(str(tmp_path / "model"), features.assign(y=y), "y")
        by_path = mlt.evaluate(tmp_path / "model", features, y)
    assert by_str.metrics == by_path.metrics
    assert by_str.metrics["accuracy_score"] == sk.accuracy_score(y, model.predict(features))
    assert by_str.metrics["log_loss"] == sk.log_loss(y, proba)
    assert by_str.metrics["roc_auc_macro"] == sk.roc_auc_score(y, proba, multi_class="ovr")
    assert "roc_curve_plot.html" in by_str.artifacts


def test_logged_model_by_runs_uri_logs_into_the_evaluation_run() -> None:
    features, y, model = iris()
    with mlt.start_run():
        info = jupyter_mltrack.sklearn.log_model(model, "model")
    with mlt.start_run() as evaluation_run:
        result = mlt.evaluate(info.model_uri, features, y, dataset_name="train")
    assert info.model_uri.startswith("runs:/")
    assert result.run_id == evaluation_run.info.run_id != info.run_id
    logged = TrackingClient().get_run(evaluation_run.info.run_id).data.metrics
    assert logged["f1_score_macro"] == sk.f1_score(y, model.predict(features), average="macro")
    assert logged == result.metrics


def test_loaded_pyfunc_model_and_regressor(tmp_path: Path) -> None:
    features, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(features, y)
    jupyter_mltrack.sklearn.save_model(model, tmp_path / "reg", input_example=features[:2])
    loaded = jupyter_mltrack.pyfunc.load_model(tmp_path / "reg")
    with mlt.start_run():
        result = mlt.evaluate(loaded, features.assign(target=y), "target", model_type="regressor")
    # the metrics are of the pyfunc's predictions (schema enforcement may change the estimator's
    # input layout, hence the last bit of a float, compared to model.predict)
    pred = loaded.predict(features)
    assert result.metrics["root_mean_squared_error"] == sk.root_mean_squared_error(y, pred)
    assert result.metrics["mean_absolute_percentage_error"] == (
        sk.mean_absolute_percentage_error(y, pred)
    )
    assert list(result.artifacts) == ["residuals_plot.json", "residuals_plot.html"]


class Threshold(jupyter_mltrack.pyfunc.PythonModel):
    """A custom model: class 1 when the first column is above 0.5."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> np.ndarray:
        return (model_input.iloc[:, 0].to_numpy() > 0.5).astype(int)

    def predict_proba(self, context: Any, model_input: pd.DataFrame) -> np.ndarray:
        raise AssertionError("evaluate must not call a PythonModel's methods directly")


def test_custom_python_model_gets_label_metrics_only(tmp_path: Path) -> None:
    features = pd.DataFrame({"x": np.linspace(0, 1, 40), "z": np.zeros(40)})
    y = (np.arange(40) % 3 == 0).astype(int)
    jupyter_mltrack.pyfunc.save_model(tmp_path / "custom", python_model=Threshold())
    with mlt.start_run():
        result = mlt.evaluate(tmp_path / "custom", features, y)
    pred = (features["x"].to_numpy() > 0.5).astype(int)
    assert result.metrics["f1_score"] == sk.f1_score(y, pred)
    assert "log_loss" not in result.metrics and "roc_auc" not in result.metrics
    assert list(result.artifacts) == ["confusion_matrix.json", "confusion_matrix.html"]
