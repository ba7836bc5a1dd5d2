"""evaluate() on regressors: metric values equal scikit-learn's, a residuals plot is logged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn import metrics as sk
from sklearn.datasets import load_diabetes, make_regression
from sklearn.linear_model import LinearRegression

import jupyter_mltrack as mlt
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.model_logging.evaluate import MODEL_TYPE_TAG


def test_regressor_metrics_equal_sklearn_and_are_logged() -> None:
    features, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(features, y)
    pred = model.predict(features)
    with mlt.start_run() as run:
        result = mlt.evaluate(
            model, features.assign(progression=y), "progression", model_type="regressor"
        )
    expected = {
        "example_count": float(len(y)),
        "mean_absolute_error": sk.mean_absolute_error(y, pred),
        "mean_squared_error": sk.mean_squared_error(y, pred),
        "root_mean_squared_error": sk.root_mean_squared_error(y, pred),
        "sum_on_target": float(y.sum()),
        "mean_on_target": float(y.sum()) / len(y),
        "r2_score": sk.r2_score(y, pred),
        "max_error": sk.max_error(y, pred),
        "mean_absolute_percentage_error": sk.mean_absolute_percentage_error(y, pred),
    }
    assert result.metrics == expected
    data = TrackingClient().get_run(run.info.run_id).data
    assert data.metrics == expected
    assert data.tags[MODEL_TYPE_TAG] == "regressor"


def test_numpy_data_with_label_array_and_residuals_plot(tmp_path: Path) -> None:
    features, y = make_regression(n_samples=1000, n_features=8, noise=5.0, random_state=0)
    model = LinearRegression().fit(features, y)
    with mlt.start_run() as run:
        result = mlt.evaluate(model, features, y, model_type="regressor")
    assert result.metrics["r2_score"] == sk.r2_score(y, model.predict(features))
    assert "residuals_plot.html" in result.artifacts
    files = TrackingClient().list_artifacts(run.info.run_id, "evaluation")
    assert "evaluation/residuals_plot.html" in [f.path for f in files]
    html = Path(result.artifacts["residuals_plot.html"]).read_text()
    assert "Residuals vs predicted" in html and '"mode":"markers"' in html


def test_predictions_as_a_one_column_frame_are_accepted() -> None:
    class FrameModel:
        """A model whose predict returns a one-column DataFrame, like many pyfunc models."""

        def predict(self, data: object) -> object:
            import pandas as pd

            return pd.DataFrame({"prediction": np.asarray(data)[:, 0] * 2.0})

    features = np.arange(1.0, 21.0).reshape(10, 2)
    y = features[:, 0] * 2.0 + 1.0
    with mlt.start_run():
        result = mlt.evaluate(FrameModel(), features, y, model_type="regressor")
    assert result.metrics["mean_absolute_error"] == 1.0
    assert result.metrics["max_error"] == 1.0
