"""Input examples: MLflow's file layout and reading them back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mltrack.errors import InvalidParameterError, ModelFormatError
from jupyter_mltrack.models import Model, infer_signature
from jupyter_mltrack.models.input_example import (
    load_input_example,
    load_input_example_params,
    save_input_example,
)


def _read(path: Path) -> object:
    return json.loads(path.read_text())


def test_dataframe_example_uses_split_orient(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y"]})
    info = save_input_example(tmp_path, frame)
    assert info == {
        "artifact_path": "input_example.json",
        "type": "dataframe",
        "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json",
    }
    assert _read(tmp_path / "input_example.json") == {
        "columns": ["a", "b"],
        "data": [[1.5, "x"], [2.0, "y"]],
    }
    serving = (tmp_path / "serving_input_example.json").read_text()
    assert json.loads(serving) == {"dataframe_split": _read(tmp_path / "input_example.json")}
    assert serving.startswith('{\n  "dataframe_split"')  # indented like MLflow's
    loaded = load_input_example(tmp_path, info)
    pd.testing.assert_frame_equal(loaded, frame)


def test_dataframe_example_is_read_with_schema_types(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "t": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    info = save_input_example(tmp_path, frame)
    assert _read(tmp_path / "input_example.json")["data"][0] == [1.0, "2024-01-01T00:00:00"]
    loaded = load_input_example(tmp_path, info, schema=infer_signature(frame).inputs)
    assert str(loaded["a"].dtype) == "float64"
    assert pd.api.types.is_datetime64_any_dtype(loaded["t"])


def test_ndarray_example(tmp_path: Path) -> None:
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    info = save_input_example(tmp_path, array)
    assert info["type"] == "ndarray" and "pandas_orient" not in info
    assert _read(tmp_path / "serving_input_example.json") == {"inputs": array.tolist()}
    loaded = load_input_example(tmp_path, info, schema=infer_signature(array).inputs)
    assert loaded.dtype == np.float32 and loaded.tolist() == array.tolist()


def test_dict_of_arrays_example(tmp_path: Path) -> None:
    example = {"a": np.zeros((2, 2)), "b": np.ones(2, dtype=np.int64)}
    info = save_input_example(tmp_path, example)
    assert info["type"] == "ndarray"
    assert _read(tmp_path / "input_example.json") == {"a": [[0.0, 0.0], [0.0, 0.0]], "b": [1, 1]}
    loaded = load_input_example(tmp_path, info)
    assert loaded["b"].tolist() == [1, 1] and loaded["a"].shape == (2, 2)


@pytest.mark.parametrize("example", [{"a": [1, 2], "b": ["x", "y"]}, [{"a": 1, "b": "x"}]])
def test_dicts_and_records_are_saved_as_tables(tmp_path: Path, example: object) -> None:
    info = save_input_example(tmp_path, example)
    assert info["type"] == "dataframe"
    assert _read(tmp_path / "input_example.json")["columns"] == ["a", "b"]


def test_list_example_is_a_json_object(tmp_path: Path) -> None:
    info = save_input_example(tmp_path, ["a", "b"])
    assert info["type"] == "json_object"
    assert _read(tmp_path / "serving_input_example.json") == {"inputs": ["a", "b"]}
    assert load_input_example(tmp_path, info) == ["a", "b"]


def test_example_with_params(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.0]})
    info = save_input_example(tmp_path, (frame, {"alpha": 0.1}))
    assert info["params"] == "true"
    assert _read(tmp_path / "input_example.json") == {
        "inputs": {"columns": ["a"], "data": [[1.0]]},
        "params": {"alpha": 0.1},
    }
    assert _read(tmp_path / "serving_input_example.json")["params"] == {"alpha": 0.1}
    pd.testing.assert_frame_equal(load_input_example(tmp_path, info), frame)
    assert load_input_example_params(tmp_path, info) == {"alpha": 0.1}


def test_model_load_input_example(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.0]})
    model = Model(saved_input_example_info=save_input_example(tmp_path, frame))
    model.save(tmp_path)
    pd.testing.assert_frame_equal(Model.load(tmp_path).load_input_example(tmp_path), frame)


def test_missing_example_file_is_a_format_error(tmp_path: Path) -> None:
    info = save_input_example(tmp_path, ["a"])
    (tmp_path / "input_example.json").unlink()
    with pytest.raises(ModelFormatError, match="file is missing"):
        load_input_example(tmp_path, info)


def test_unsupported_example_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="Unsupported input example of type object"):
        save_input_example(tmp_path, object())
