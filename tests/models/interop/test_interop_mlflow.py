"""Models move both ways between jupyter_mltrack and the real MLflow 3.17.2, predicting the same.

MLflow runs in its own virtualenv (see conftest.py); each test runs one MLflow script in a
subprocess and exchanges models and predictions through files in tmp_path.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression

from jupyter_mltrack import pyfunc
from jupyter_mltrack import sklearn as mlt_sklearn

pytestmark = pytest.mark.slow

# A custom model importable in both interpreters: it subclasses MLflow's PythonModel where MLflow
# is installed and ours elsewhere, as a user's shared module would.
SCALER_MODULE = """
try:
    from mlflow.pyfunc import PythonModel
except ImportError:
    from jupyter_mltrack.pyfunc import PythonModel


class Scaler(PythonModel):
    def load_context(self, context):
        with open(context.artifacts["factor"]) as handle:
            self.factor = float(handle.read())

    def predict(self, context, model_input, params=None):
        return model_input * self.factor
"""


@pytest.fixture
def iris() -> pd.DataFrame:
    features, _ = load_iris(return_X_y=True, as_frame=True)
    return features.sample(200, replace=True, random_state=1).reset_index(drop=True)


def _write_shared_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "scaler_mod.py").write_text(SCALER_MODULE)
    (tmp_path / "factor.txt").write_text("2.5")


def test_sklearn_and_custom_models_saved_here_load_in_mlflow(tmp_path, iris, run_mlflow):
    _write_shared_files(tmp_path)
    features, target = load_iris(return_X_y=True, as_frame=True)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(features, target)
    for fmt in ("skops", "cloudpickle", "pickle"):
        mlt_sklearn.save_model(
            forest, tmp_path / f"ours_{fmt}", serialization_format=fmt, input_example=iris[:3]
        )
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        from scaler_mod import Scaler  # type: ignore[import-not-found]

        pyfunc.save_model(
            tmp_path / "ours_custom",
            python_model=Scaler(),
            artifacts={"factor": str(tmp_path / "factor.txt")},
            code_paths=[str(tmp_path / "scaler_mod.py")],
            input_example=iris[:3],
        )
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("scaler_mod", None)
    iris.to_csv(tmp_path / "input.csv", index=False)
    run_mlflow(
        textwrap.dedent(
            """
            import numpy as np, pandas as pd, mlflow.pyfunc, mlflow.sklearn
            data = pd.read_csv("input.csv")
            for fmt in ("skops", "cloudpickle", "pickle"):
                path = f"ours_{fmt}"
                np.save(f"pyfunc_{fmt}.npy", mlflow.pyfunc.load_model(path).predict(data))
                np.save(f"sklearn_{fmt}.npy", mlflow.sklearn.load_model(path).predict(data))
            out = mlflow.pyfunc.load_model("ours_custom").predict(data)
            np.save("custom.npy", np.asarray(out))
            """
        )
    )
    expected = forest.predict(iris)
    for fmt in ("skops", "cloudpickle", "pickle"):
        np.testing.assert_array_equal(np.load(tmp_path / f"pyfunc_{fmt}.npy"), expected)
        np.testing.assert_array_equal(np.load(tmp_path / f"sklearn_{fmt}.npy"), expected)
    np.testing.assert_allclose(np.load(tmp_path / "custom.npy"), iris.to_numpy() * 2.5)


MLFLOW_SAVES = """
import sys
import numpy as np, pandas as pd, mlflow.pyfunc, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression

sys.path.insert(0, ".")
from scaler_mod import Scaler


class Offset(mlflow.pyfunc.PythonModel):  # defined in __main__: cloudpickle saves it by value
    def predict(self, context, model_input, params=None):
        return model_input + 1.0


X, y = load_iris(return_X_y=True, as_frame=True)
data = pd.read_csv("input.csv")
forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
mlflow.sklearn.save_model(
    forest, "mlflow_skops", input_example=X[:3], skops_trusted_types=["sklearn.tree._tree.Tree"]
)
linear = LinearRegression().fit(X.iloc[:, :3], X.iloc[:, 3])
mlflow.sklearn.save_model(linear, "mlflow_cloudpickle", serialization_format="cloudpickle")
mlflow.pyfunc.save_model(
    "mlflow_custom", python_model=Scaler(), artifacts={"factor": "factor.txt"},
    code_paths=["scaler_mod.py"], input_example=X[:3],
)
mlflow.pyfunc.save_model("mlflow_by_value", python_model=Offset())
np.save("skops.npy", forest.predict(data))
np.save("cloudpickle.npy", linear.predict(data.iloc[:, :3]))
np.save("custom.npy", mlflow.pyfunc.load_model("mlflow_custom").predict(data).to_numpy())
np.save("by_value.npy", mlflow.pyfunc.load_model("mlflow_by_value").predict(data).to_numpy())
"""


def test_models_saved_by_mlflow_load_here(tmp_path, iris, run_mlflow, monkeypatch):
    _write_shared_files(tmp_path)
    iris.to_csv(tmp_path / "input.csv", index=False)
    run_mlflow(MLFLOW_SAVES)
    data = pd.read_csv(tmp_path / "input.csv")
    skops_expected = np.load(tmp_path / "skops.npy")
    np.testing.assert_array_equal(
        mlt_sklearn.load_model(tmp_path / "mlflow_skops").predict(data), skops_expected
    )
    np.testing.assert_array_equal(
        pyfunc.load_model(tmp_path / "mlflow_skops").predict(data), skops_expected
    )
    linear = mlt_sklearn.load_model(tmp_path / "mlflow_cloudpickle")
    assert isinstance(linear, LinearRegression)
    cloudpickle_expected = np.load(tmp_path / "cloudpickle.npy")
    np.testing.assert_allclose(linear.predict(data.iloc[:, :3]), cloudpickle_expected)
    loaded = pyfunc.load_model(tmp_path / "mlflow_cloudpickle")
    np.testing.assert_allclose(loaded.predict(data.iloc[:, :3]), cloudpickle_expected)

    monkeypatch.setattr("sys.path", list(__import__("sys").path))  # code/ is prepended on load
    monkeypatch.delitem(__import__("sys").modules, "scaler_mod", raising=False)
    custom = pyfunc.load_model(tmp_path / "mlflow_custom")
    np.testing.assert_allclose(np.asarray(custom.predict(data)), np.load(tmp_path / "custom.npy"))
    assert type(custom.unwrap_python_model()).__name__ == "Scaler"
    by_value = pyfunc.load_model(tmp_path / "mlflow_by_value")
    assert isinstance(by_value.unwrap_python_model(), pyfunc.PythonModel)
    np.testing.assert_allclose(
        np.asarray(by_value.predict(data)), np.load(tmp_path / "by_value.npy")
    )
