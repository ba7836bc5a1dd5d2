"""Same model, same data: every metric ``mlflow.evaluate`` logs has the same key and value here.

MLflow 3.17.2 runs in its own venv (``.bench/mlflow-venv``) in a subprocess; both venvs have the
same scikit-learn, so the models trained on each side are identical.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

import jupyter_mltrack as mlt

MLFLOW_SCRIPT = """
import json, sys
import mlflow
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

mlflow.set_tracking_uri("sqlite:///" + sys.argv[1] + "/mlflow.db")
cases = {
    "binary": (load_breast_cancer, lambda: LogisticRegression(max_iter=5000), "classifier"),
    "multiclass": (load_iris, lambda: LogisticRegression(max_iter=1000), "classifier"),
    "regressor": (load_diabetes, LinearRegression, "regressor"),
}
found = {}
for name, (load, make, model_type) in cases.items():
    features, labels = load(return_X_y=True, as_frame=True)
    features = features.iloc[:, :5]
    model = make().fit(features, labels)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model")
        result = mlflow.models.evaluate(
            info.model_uri, features.assign(label=labels), targets="label", model_type=model_type
        )
    found[name] = {key: float(value) for key, value in result.metrics.items()}
print(json.dumps(found))
"""

CASES = {
    "binary": (load_breast_cancer, lambda: LogisticRegression(max_iter=5000), "classifier"),
    "multiclass": (load_iris, lambda: LogisticRegression(max_iter=1000), "classifier"),
    "regressor": (load_diabetes, LinearRegression, "regressor"),
}


@pytest.fixture(scope="module")
def mlflow_metrics(
    tmp_path_factory: pytest.TempPathFactory, mlflow_python: Path
) -> dict[str, dict[str, float]]:
    folder = tmp_path_factory.mktemp("mlflow")
    done = subprocess.run(
        [str(mlflow_python), "-c", MLFLOW_SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=folder,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    metrics: dict[str, dict[str, float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return metrics


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_metrics_match_mlflow_evaluate(
    case: str, mlflow_metrics: dict[str, dict[str, float]]
) -> None:
    load, make, model_type = CASES[case]
    features, labels = load(return_X_y=True, as_frame=True)
    features = features.iloc[:, :5]
    model = make().fit(features, labels)
    with mlt.start_run():
        ours = mlt.evaluate(model, features.assign(label=labels), "label", model_type=model_type)
    theirs = dict(mlflow_metrics[case])
    theirs.pop("score")  # MLflow's extra call of the sklearn estimator's own score()
    assert {key: ours.metrics[key] for key in theirs} == theirs
