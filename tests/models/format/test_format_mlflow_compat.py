"""The format against real MLflow 3.17.2 (run in its own virtualenv, in subprocesses).

MLflow-written MLmodel files, examples and environment files parse here; MLmodel files written
here parse in MLflow with the same signature and input example.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from jupyter_mltrack.models import ColSpec, DataType, Model, TensorSpec, infer_signature
from jupyter_mltrack.models.enforcement import enforce_params, enforce_schema
from jupyter_mltrack.models.environment import write_environment_files
from jupyter_mltrack.models.input_example import save_input_example
from jupyter_mltrack.models.serving_input import parse_serving_input

pytestmark = pytest.mark.slow


_SAVE_WITH_MLFLOW = textwrap.dedent(
    """
    import sys
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    out = sys.argv[1]
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=300).fit(X, y)
    signature = infer_signature(X, model.predict(X), params={"alpha": 0.5, "ids": [1, 2]})
    mlflow.sklearn.save_model(model, out + "/frame", signature=signature, input_example=X.head(3))
    Xn = X.to_numpy()
    model_np = LogisticRegression(max_iter=300).fit(Xn, y)
    mlflow.sklearn.save_model(
        model_np, out + "/array", input_example=Xn[:2], serialization_format="cloudpickle"
    )
    """
)

_READ_WITH_MLFLOW = textwrap.dedent(
    """
    import json, sys
    from mlflow.models import Model
    from mlflow.models.utils import _enforce_schema

    seen = []
    for path in sys.argv[1:]:
        model = Model.load(path)
        example = model.load_input_example(path)
        checked = _enforce_schema(example, model.get_input_schema())
        params = model.get_params_schema()
        seen.append({
            "signature": model.signature.to_dict(),
            "uuid": model.model_uuid,
            "flavors": model.flavors,
            "example": example.to_dict(orient="split") if hasattr(example, "columns")
            else example.tolist(),
            "checked_dtypes": [str(t) for t in checked.dtypes] if hasattr(checked, "dtypes")
            else [str(checked.dtype)],
            "serving": json.loads(model.get_serving_input(path)),
            "params": [p.name for p in params.params] if params else [],
        })
    print(json.dumps(seen))
    """
)


def _run_mlflow(python: Path, script: str, *args: str) -> str:
    result = subprocess.run(
        [str(python), "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="session")
def mlflow_models(tmp_path_factory: pytest.TempPathFactory, mlflow_python: Path) -> Path:
    """Models saved by real MLflow: ``frame`` (DataFrame example, params) and ``array``."""
    root = tmp_path_factory.mktemp("mlflow-saved")
    _run_mlflow(mlflow_python, _SAVE_WITH_MLFLOW, str(root))
    return root


def test_mlflow_mlmodel_parses(mlflow_models: Path) -> None:
    model = Model.load(mlflow_models / "frame")
    inputs = model.get_input_schema()
    assert inputs is not None and inputs.input_names()[0] == "sepal length (cm)"
    assert all(isinstance(s, ColSpec) and s.type is DataType.double for s in inputs)
    outputs = model.get_output_schema()
    assert outputs is not None and outputs.inputs == [TensorSpec(np.dtype("int64"), (-1,))]
    params = model.get_params_schema()
    assert params is not None and [(p.name, p.default) for p in params] == [
        ("alpha", 0.5),
        ("ids", [1, 2]),
    ]
    assert model.flavors["sklearn"]["serialization_format"] == "skops"
    assert model.mlflow_version == "3.17.2"
    assert model.saved_input_example_info == {
        "artifact_path": "input_example.json",
        "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json",
        "type": "dataframe",
    }


def test_mlflow_mlmodel_round_trips_without_losing_keys(mlflow_models: Path) -> None:
    original = yaml.safe_load((mlflow_models / "frame" / "MLmodel").read_text())
    assert yaml.safe_load(Model.load(mlflow_models / "frame").to_yaml()) == original


def test_mlflow_examples_load_and_pass_enforcement(mlflow_models: Path) -> None:
    for name in ("frame", "array"):
        model = Model.load(mlflow_models / name)
        example = model.load_input_example(mlflow_models / name)
        schema = model.get_input_schema()
        assert schema is not None
        checked = enforce_schema(example, schema)
        assert len(checked) >= 2
        serving = (mlflow_models / name / "serving_input_example.json").read_text()
        data, params = parse_serving_input(serving, schema=schema)
        enforce_schema(data, schema)
        assert enforce_params(params, model.get_params_schema()) is not None


def test_mlflow_environment_files_match_our_layout(mlflow_models: Path, tmp_path: Path) -> None:
    write_environment_files(tmp_path, default_packages=["scikit-learn"])
    theirs = yaml.safe_load((mlflow_models / "frame" / "python_env.yaml").read_text())
    ours = yaml.safe_load((tmp_path / "python_env.yaml").read_text())
    assert list(ours) == list(theirs)
    assert ours["dependencies"] == theirs["dependencies"]
    their_conda = yaml.safe_load((mlflow_models / "frame" / "conda.yaml").read_text())
    our_conda = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert sorted(our_conda) == sorted(their_conda)
    assert our_conda["channels"] == their_conda["channels"]
    assert [type(d) for d in our_conda["dependencies"]] == [
        type(d) for d in their_conda["dependencies"]
    ]


def test_our_mlmodel_parses_in_mlflow(tmp_path: Path, mlflow_python: Path) -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5], "n": [1, 2], "s": ["a", "b"]})
    signature = infer_signature(frame, np.array([0, 1]), params={"alpha": 0.5})
    model = Model(signature=signature).add_flavor("custom_flavor", data="model.bin")
    model.saved_input_example_info = save_input_example(tmp_path / "f", frame)
    model.save(tmp_path / "f")
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    tensor_model = Model(signature=infer_signature(array))
    tensor_model.saved_input_example_info = save_input_example(tmp_path / "t", array)
    tensor_model.save(tmp_path / "t")

    seen_frame, seen_tensor = json.loads(
        _run_mlflow(mlflow_python, _READ_WITH_MLFLOW, str(tmp_path / "f"), str(tmp_path / "t"))
    )
    assert seen_frame["signature"] == signature.to_dict()
    assert seen_frame["uuid"] == model.model_uuid
    assert seen_frame["flavors"] == {"custom_flavor": {"data": "model.bin"}}
    assert seen_frame["example"]["columns"] == ["x", "n", "s"]
    assert seen_frame["checked_dtypes"][:2] == ["float64", "int64"]
    rows = [[1.5, 1, "a"], [2.5, 2, "b"]]
    assert seen_frame["serving"] == {"dataframe_split": {"columns": ["x", "n", "s"], "data": rows}}
    assert seen_frame["params"] == ["alpha"]
    assert seen_tensor["example"] == array.tolist()
    assert seen_tensor["checked_dtypes"] == ["float32"]
    assert seen_tensor["serving"] == {"inputs": array.tolist()}
