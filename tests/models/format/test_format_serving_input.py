"""MLflow's scoring payloads parsed into model input and params."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mltrack.errors import InvalidInputError
from jupyter_mltrack.models import ColSpec, DataType, Schema, TensorSpec
from jupyter_mltrack.models.enforcement import enforce_schema
from jupyter_mltrack.models.serving import validate_serving_input
from jupyter_mltrack.models.serving_input import parse_serving_input

XY = Schema([ColSpec(DataType.double, "x"), ColSpec(DataType.long, "y")])


def test_dataframe_split_with_params() -> None:
    body = {"dataframe_split": {"columns": ["x", "y"], "data": [[1, 2]]}, "params": {"k": 1}}
    data, params = parse_serving_input(json.dumps(body).encode())
    assert list(data.columns) == ["x", "y"] and data.shape == (1, 2)
    assert params == {"k": 1}


def test_json_integers_are_read_as_the_schema_types() -> None:
    body = {"dataframe_records": [{"x": 1, "y": 2}, {"x": 2.5, "y": 3}]}
    data, params = parse_serving_input(body, schema=XY)
    assert params is None
    assert str(data["x"].dtype) == "float64" and str(data["y"].dtype) == "int64"
    enforce_schema(data, XY)  # long -> double would fail without the schema-aware read


def test_inputs_as_columns_and_instances_as_rows() -> None:
    columns, _ = parse_serving_input({"inputs": {"x": [1.0], "y": [2]}}, schema=XY)
    rows, _ = parse_serving_input({"instances": [{"x": 1.0, "y": 2}]}, schema=XY)
    pd.testing.assert_frame_equal(columns, rows)


def test_tensor_inputs_take_the_schema_dtype() -> None:
    schema = Schema([TensorSpec(np.dtype("float32"), (-1, 2))])
    data, _ = parse_serving_input('{"inputs": [[1, 2], [3, 4]]}', schema=schema)
    assert data.dtype == np.float32 and data.shape == (2, 2)
    named, _ = parse_serving_input('{"inputs": {"a": [1, 2]}}')
    assert named["a"].tolist() == [1, 2]


def test_instances_of_rows_without_schema_are_an_array() -> None:
    data, _ = parse_serving_input({"instances": [[1.0, 2.0]]})
    assert isinstance(data, np.ndarray) and data.shape == (1, 2)


def test_csv_body() -> None:
    data, params = parse_serving_input(b"x,y\n1,2\n3,4\n", "text/csv; charset=utf-8", schema=XY)
    assert params is None
    assert data["x"].tolist() == [1.0, 3.0] and str(data["x"].dtype) == "float64"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{", "not valid JSON"),
        ("[1, 2]", "must be a JSON object .* got a JSON list"),
        ({"data": [1]}, r"exactly one of dataframe_split, .*; got keys \['data'\]"),
        (
            {"inputs": [1], "instances": [1]},
            r"exactly one of .*got keys \['inputs', 'instances'\]",
        ),
        ({"inputs": [1], "extra": 1}, r"got keys \['extra', 'inputs'\]"),
        ({"inputs": [1], "params": [1]}, "'params' must be a JSON object"),
        ({"dataframe_split": [[1]]}, "dataframe_split must be an object"),
        ({"dataframe_split": {"data": [[1]], "foo": 1}}, r"got also \['foo'\]"),
        ({"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}, "does not describe a table"),
        ({"dataframe_records": {"x": 1}}, "dataframe_records must be a list of row objects"),
    ],
)
def test_bad_payloads_say_what_is_wrong(payload: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_serving_input(payload)  # type: ignore[arg-type]


def test_unsupported_content_type() -> None:
    with pytest.raises(InvalidInputError, match="Unsupported content type 'text/plain'"):
        parse_serving_input("x", "text/plain")


def test_bad_csv_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="not valid CSV"):
        parse_serving_input(b"", "text/csv")


DOUBLES = Schema([ColSpec(DataType.double, "a"), ColSpec(DataType.double, "b")])


def test_all_numeric_tables_are_read_as_one_block_of_the_schema_type() -> None:
    data, _ = parse_serving_input(
        {"dataframe_split": {"columns": ["b", "a"], "data": [[1, 2], [3, 4.5]]}}, schema=DOUBLES
    )
    assert data.dtypes.tolist() == [np.dtype("float64")] * 2
    assert data["a"].tolist() == [2.0, 4.5]
    assert enforce_schema(data, DOUBLES)["b"].tolist() == [1.0, 3.0]


def test_text_in_numeric_columns_is_not_converted() -> None:
    data, _ = parse_serving_input({"inputs": [["1.5", "2"]]}, schema=DOUBLES)
    with pytest.raises(InvalidInputError, match="Column 'a': cannot safely convert"):
        enforce_schema(data, DOUBLES)


def test_conforming_frame_is_returned_as_is() -> None:
    frame = pd.DataFrame({"a": [1.0], "b": [2.0]})
    assert enforce_schema(frame, DOUBLES) is frame


def test_validate_serving_input_predicts_with_the_saved_model(tmp_path: Path) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from jupyter_mltrack import sklearn as mlt_sklearn

    features, target = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=300).fit(features, target)
    mlt_sklearn.save_model(model, str(tmp_path / "m"), input_example=features.head(3))
    payload = (tmp_path / "m" / "serving_input_example.json").read_text()
    predictions = validate_serving_input(str(tmp_path / "m"), payload)
    assert np.asarray(predictions).tolist() == model.predict(features.head(3)).tolist()
    with pytest.raises(InvalidInputError, match="missing required columns"):
        validate_serving_input(str(tmp_path / "m"), {"dataframe_records": [{"x": 1.0}]})
