"""XGBoost models move both ways between jupyter_mltrack and the real MLflow 3.17.2.

MLflow runs in its own virtualenv (``tests/mlflow_venv.py``); each test runs one MLflow script
and exchanges models and predictions through files in tmp_path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from xgb_helpers import iris, xgboost

from jupyter_mltrack import pyfunc
from jupyter_mltrack import xgboost as mlt_xgb

__all__ = ["iris"]  # fixtures

pytestmark = pytest.mark.slow

MLFLOW_LOADS = """
import numpy as np, pandas as pd, xgboost, mlflow.pyfunc, mlflow.xgboost
data = pd.read_csv("input.csv")
for name in ("booster_ubj", "booster_json", "classifier"):
    native = mlflow.xgboost.load_model(name)
    print(name, type(native).__name__)
    is_booster = name.startswith("booster")
    raw = native.predict(xgboost.DMatrix(data)) if is_booster else native.predict(data)
    np.save(f"{name}_native.npy", raw)
    np.save(f"{name}_pyfunc.npy", np.asarray(mlflow.pyfunc.load_model(name).predict(data)))
"""


def test_models_saved_here_load_in_mlflow(tmp_path, iris, run_mlflow):
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2, "nthread": 1}
    booster = xgboost.train(params, xgboost.DMatrix(*iris), 5)
    classifier = xgboost.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(*iris)
    example = iris[0][:3]
    mlt_xgb.save_model(booster, tmp_path / "booster_ubj", input_example=example)
    mlt_xgb.save_model(booster, tmp_path / "booster_json", model_format="json")
    mlt_xgb.save_model(classifier, tmp_path / "classifier", input_example=example)
    iris[0].to_csv(tmp_path / "input.csv", index=False)
    out = run_mlflow(MLFLOW_LOADS)
    assert "booster_ubj Booster" in out and "classifier XGBClassifier" in out
    data = pd.read_csv(tmp_path / "input.csv")
    expected_booster = booster.predict(xgboost.DMatrix(data))
    for name in ("booster_ubj", "booster_json"):
        for kind in ("native", "pyfunc"):
            np.testing.assert_allclose(np.load(tmp_path / f"{name}_{kind}.npy"), expected_booster)
    for kind in ("native", "pyfunc"):
        np.testing.assert_array_equal(
            np.load(tmp_path / f"classifier_{kind}.npy"), classifier.predict(data)
        )


MLFLOW_SAVES = """
import numpy as np, pandas as pd, xgboost, mlflow.xgboost
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True, as_frame=True)
data = pd.read_csv("input.csv")
params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2, "nthread": 1}
booster = xgboost.train(params, xgboost.DMatrix(X, y), 5)
mlflow.xgboost.save_model(booster, "mlflow_booster", input_example=X[:3])
mlflow.xgboost.save_model(booster, "mlflow_booster_json", model_format="json")
regressor = xgboost.XGBRegressor(n_estimators=5, max_depth=2, n_jobs=1)
regressor.fit(X.iloc[:, :3], X.iloc[:, 3])
mlflow.xgboost.save_model(regressor, "mlflow_regressor", input_example=X.iloc[:3, :3])
np.save("booster.npy", booster.predict(xgboost.DMatrix(data)))
np.save("regressor.npy", regressor.predict(data.iloc[:, :3]))
"""


def test_models_saved_by_mlflow_load_here(tmp_path, iris, run_mlflow):
    iris[0].to_csv(tmp_path / "input.csv", index=False)
    run_mlflow(MLFLOW_SAVES)
    data = pd.read_csv(tmp_path / "input.csv")
    expected = np.load(tmp_path / "booster.npy")
    for name in ("mlflow_booster", "mlflow_booster_json"):
        native = mlt_xgb.load_model(tmp_path / name)
        assert type(native) is xgboost.Booster
        np.testing.assert_allclose(native.predict(xgboost.DMatrix(data)), expected, rtol=1e-6)
        np.testing.assert_allclose(pyfunc.load_model(tmp_path / name).predict(data), expected)
    regressor = mlt_xgb.load_model(tmp_path / "mlflow_regressor")
    assert type(regressor) is xgboost.XGBRegressor
    expected = np.load(tmp_path / "regressor.npy")
    np.testing.assert_allclose(regressor.predict(data.iloc[:, :3]), expected, rtol=1e-6)
    model = pyfunc.load_model(tmp_path / "mlflow_regressor")
    assert model.metadata.signature is not None  # MLflow's signature is enforced here
    np.testing.assert_allclose(model.predict(data.iloc[:, :3].to_numpy()), expected, rtol=1e-6)
