"""Signature enforcement: columns, tensors and params."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from jupyter_mltrack.errors import InvalidInputError, MltrackError
from jupyter_mltrack.models import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec
from jupyter_mltrack.models.enforcement import enforce_params, enforce_schema, to_model_input

XY = Schema([ColSpec(DataType.double, "x"), ColSpec(DataType.long, "y")])


def test_missing_columns_are_all_listed() -> None:
    schema = Schema([ColSpec(DataType.double, n) for n in ("a", "b", "c")])
    with pytest.raises(InvalidInputError, match=r"missing required columns \['a', 'c'\]") as info:
        enforce_schema(pd.DataFrame({"b": [1.0]}), schema)
    assert isinstance(info.value, MltrackError)


def test_extra_columns_are_dropped_and_columns_reordered() -> None:
    frame = pd.DataFrame({"extra": ["z"], "y": [2], "x": [1.5]})
    result = enforce_schema(frame, XY)
    assert isinstance(result, pd.DataFrame)
    assert list(result.columns) == ["x", "y"]
    assert result.loc[0, "x"] == 1.5


def test_optional_columns_may_be_missing() -> None:
    schema = Schema([ColSpec(DataType.double, "x"), ColSpec(DataType.long, "y", required=False)])
    result = enforce_schema({"x": [1.0]}, schema)
    assert list(result.columns) == ["x"]


@pytest.mark.parametrize(
    ("values", "target", "result_dtype"),
    [
        (np.array([1], dtype=np.int32), DataType.long, "int64"),
        (np.array([1], dtype=np.int32), DataType.double, "float64"),
        (np.array([1.5], dtype=np.float32), DataType.double, "float64"),
        (np.array([1], dtype=np.int8), DataType.integer, "int32"),
        (np.array([1], dtype=np.int64), DataType.long, "int64"),
        (np.array([True]), DataType.boolean, "bool"),
        (pd.array([1, 2], dtype="Int64"), DataType.long, "Int64"),
    ],
)
def test_safe_conversions_happen(values: object, target: DataType, result_dtype: str) -> None:
    result = enforce_schema(pd.DataFrame({"c": values}), Schema([ColSpec(target, "c")]))
    assert str(result["c"].dtype) == result_dtype


@pytest.mark.parametrize(
    ("values", "target"),
    [
        (np.array([1], dtype=np.int64), DataType.double),
        (np.array([1.5]), DataType.float),
        (np.array([1.5]), DataType.long),
        (np.array([1], dtype=np.int64), DataType.integer),
        (["1.5"], DataType.double),
        (["7"], DataType.long),
        ([1.0], DataType.string),
        ([True], DataType.long),
        ([1], DataType.boolean),
        ([1.0], DataType.datetime),
    ],
)
def test_unsafe_conversions_name_column_and_both_types(values: object, target: DataType) -> None:
    frame = pd.DataFrame({"col": values})
    with pytest.raises(InvalidInputError, match=rf"Column 'col'.* to the schema type {target}"):
        enforce_schema(frame, Schema([ColSpec(target, "col")]))


def test_long_to_double_message_names_both_types() -> None:
    frame = pd.DataFrame({"x": np.array([1], dtype=np.int64), "y": [2]})
    with pytest.raises(InvalidInputError, match="Column 'x': cannot safely convert int64 to"):
        enforce_schema(frame, XY)


def test_text_binary_and_datetime_columns_pass() -> None:
    schema = Schema(
        [ColSpec(DataType.string, "s"), ColSpec(DataType.binary, "b"), ColSpec("datetime", "t")]
    )
    frame = pd.DataFrame({"s": ["a"], "b": [b"x"], "t": pd.to_datetime(["2024-01-01"])})
    result = enforce_schema(frame, schema)
    assert result.loc[0, "s"] == "a" and result.loc[0, "b"] == b"x"


@pytest.mark.parametrize(
    "data",
    [
        {"x": [1.5, 2.5], "y": [1, 2]},
        [{"x": 1.5, "y": 1}, {"x": 2.5, "y": 2}],
        np.array([[1.5, 1], [2.5, 2]], dtype=object),
    ],
)
def test_dicts_records_and_arrays_become_frames(data: object) -> None:
    schema = Schema([ColSpec(DataType.double, "x"), ColSpec(DataType.long, "y")])
    result = enforce_schema(data, schema)
    assert list(result.columns) == ["x", "y"]
    assert result["y"].tolist() == [1, 2]


def test_unnamed_schema_checks_columns_by_position() -> None:
    schema = Schema([ColSpec(DataType.double), ColSpec(DataType.double)])
    result = enforce_schema(np.array([[1.0, 2.0]]), schema)
    assert result.shape == (1, 2)
    with pytest.raises(InvalidInputError, match="expects 2 unnamed columns; got 3"):
        enforce_schema(pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0]}), schema)
    with pytest.raises(InvalidInputError, match="Column 'b': cannot safely convert str"):
        enforce_schema(pd.DataFrame({"a": [1.0], "b": ["x"]}), schema)


def test_array_with_wrong_width_is_rejected_for_column_schema() -> None:
    with pytest.raises(InvalidInputError, match=r"shape \(n, 2\).*got shape \(1, 3\)"):
        enforce_schema(np.zeros((1, 3)), XY)


def test_tensor_dtype_must_match_exactly() -> None:
    schema = Schema([TensorSpec(np.dtype("float32"), (-1, 4))])
    assert enforce_schema(np.zeros((2, 4), dtype=np.float32), schema).shape == (2, 4)
    with pytest.raises(InvalidInputError, match="dtype float64 but the schema requires float32"):
        enforce_schema(np.zeros((2, 4)), schema)


@pytest.mark.parametrize("shape", [(2, 3), (2, 4, 1), (4,)])
def test_tensor_shape_must_match_with_wildcards(shape: tuple[int, ...]) -> None:
    schema = Schema([TensorSpec(np.dtype("float64"), (-1, 4))])
    with pytest.raises(InvalidInputError, match=r"shape .* but the schema requires \(-1, 4\)"):
        enforce_schema(np.zeros(shape), schema)


def test_single_tensor_accepts_frames_and_lists() -> None:
    schema = Schema([TensorSpec(np.dtype("float64"), (-1, 2))])
    assert enforce_schema(pd.DataFrame({"a": [1.0], "b": [2.0]}), schema).shape == (1, 2)
    assert enforce_schema([[1.0, 2.0]], schema).shape == (1, 2)


def test_named_tensors_need_every_name() -> None:
    schema = Schema(
        [TensorSpec(np.dtype("int64"), (-1,), "a"), TensorSpec(np.dtype("int64"), (-1,), "b")]
    )
    result = enforce_schema({"a": np.array([1]), "b": np.array([2]), "c": np.array([3])}, schema)
    assert sorted(result) == ["a", "b"]
    with pytest.raises(InvalidInputError, match=r"missing tensors \['b'\]"):
        enforce_schema({"a": np.array([1])}, schema)


def test_to_model_input_kinds() -> None:
    assert isinstance(to_model_input(pd.Series([1, 2])), pd.DataFrame)
    assert isinstance(to_model_input({"a": np.zeros(2)}), dict)
    assert to_model_input({"a": 1, "b": "x"}).shape == (1, 2)
    assert to_model_input([[1, 2]]).shape == (1, 2)
    with pytest.raises(InvalidInputError, match="Unsupported model input of type object"):
        to_model_input(object())


PARAMS = ParamSchema(
    [
        ParamSpec("alpha", DataType.double, 0.5),
        ParamSpec("k", DataType.long, 3),
        ParamSpec("tags", DataType.string, ["a"], (-1,)),
        ParamSpec("since", DataType.datetime, None),
    ]
)


def test_params_get_defaults_and_conversions() -> None:
    result = enforce_params({"alpha": 1, "since": "2024-01-02T03:04:05"}, PARAMS)
    assert result == {
        "alpha": 1.0,
        "k": 3,
        "tags": ["a"],
        "since": dt.datetime(2024, 1, 2, 3, 4, 5),
    }
    assert isinstance(result["alpha"], float)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"k": 1.5}, r"Param 'k' must be of type long; got 1.5"),
        ({"k": True}, r"Param 'k' must be of type long"),
        ({"alpha": "fast"}, r"Param 'alpha' must be of type double"),
        ({"tags": "a"}, r"Param 'tags' must be a list of string"),
        ({"tags": ["a", 2]}, r"Param 'tags' must be of type string; got 2"),
        ({"since": "yesterday"}, r"Param 'since' must be of type datetime"),
    ],
)
def test_params_of_wrong_type_are_rejected(params: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        enforce_params(params, PARAMS)


def test_unknown_params_are_dropped_and_no_schema_passes_through() -> None:
    assert "other" not in enforce_params({"other": 1}, PARAMS)
    assert enforce_params({"other": 1}, None) == {"other": 1}
    assert enforce_params(None, None) == {}
