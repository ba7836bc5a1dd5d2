"""ModelSignature's MLmodel form and infer_signature on every supported input kind."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jupyter_mltrack.errors import InvalidParameterError, ModelFormatError
from jupyter_mltrack.models import (
    ColSpec,
    DataType,
    ModelSignature,
    ParamSchema,
    Schema,
    TensorSpec,
    infer_signature,
)


def test_to_dict_holds_json_strings_and_none() -> None:
    signature = ModelSignature(Schema([ColSpec(DataType.double, "x")]))
    assert signature.to_dict() == {
        "inputs": '[{"type": "double", "name": "x", "required": true}]',
        "outputs": None,
        "params": None,
    }
    assert ModelSignature.from_dict(signature.to_dict()) == signature


def test_from_dict_tolerates_missing_keys() -> None:
    signature = ModelSignature.from_dict({"inputs": '[{"type": "long"}]'})
    assert signature.outputs is None and signature.params is None
    assert signature.inputs == Schema([ColSpec(DataType.long)])


def test_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(ModelFormatError, match="signature must be a mapping"):
        ModelSignature.from_dict("inputs")  # type: ignore[arg-type]


def test_constructor_rejects_wrong_part_types() -> None:
    with pytest.raises(InvalidParameterError, match="inputs must be a Schema"):
        ModelSignature(inputs=[ColSpec(DataType.long)])  # type: ignore[arg-type]


def test_infer_from_dataframe_matches_mlflow() -> None:
    frame = pd.DataFrame(
        {
            "a": [1, 2],
            "b": [1.5, None],
            "c": ["x", "y"],
            "d": [True, False],
            "e": pd.to_datetime(["2020-01-01", "2021-01-01"]),
            "f": [b"ab", b"cd"],
            "g": np.array([1, 2], dtype=np.int32),
            "h": np.array([1.0, 2.0], dtype=np.float32),
        }
    )
    # The string real MLflow 3.17.2 writes for the same frame.
    assert infer_signature(frame).to_dict()["inputs"] == (
        '[{"type": "long", "name": "a", "required": true}, {"type": "double", "name": "b", '
        '"required": false}, {"type": "string", "name": "c", "required": true}, {"type": '
        '"boolean", "name": "d", "required": true}, {"type": "datetime", "name": "e", '
        '"required": true}, {"type": "binary", "name": "f", "required": true}, {"type": '
        '"integer", "name": "g", "required": true}, {"type": "float", "name": "h", "required": '
        "true}]"
    )


def test_infer_from_arrays_gives_tensor_specs_with_free_batch_dimension() -> None:
    signature = infer_signature(np.zeros((3, 4), dtype=np.float32), np.zeros(3))
    assert signature.inputs == Schema([TensorSpec(np.dtype("float32"), (-1, 4))])
    assert signature.outputs == Schema([TensorSpec(np.dtype("float64"), (-1,))])


def test_infer_from_dict_of_arrays_gives_named_tensors() -> None:
    signature = infer_signature({"a": np.zeros((2, 3)), "b": np.ones(2, dtype=np.int64)})
    assert signature.inputs == Schema(
        [TensorSpec(np.dtype("float64"), (-1, 3), "a"), TensorSpec(np.dtype("int64"), (-1,), "b")]
    )


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ([{"a": 1, "b": "x"}], [ColSpec(DataType.long, "a"), ColSpec(DataType.string, "b")]),
        ({"a": [1, 2], "b": [0.5, 1.5]}, [ColSpec(DataType.long, "a"), ColSpec("double", "b")]),
        ({"q": "hello"}, [ColSpec(DataType.string, "q")]),
        (pd.Series([1, 2]), [ColSpec(DataType.long)]),
        (pd.Series([1.0], name="y"), [ColSpec(DataType.double, "y")]),
        (["a", "b"], [ColSpec(DataType.string)]),
        ("abc", [ColSpec(DataType.string)]),
        (3.5, [ColSpec(DataType.double)]),
        ([1, 2.5], [ColSpec(DataType.double)]),
    ],
)
def test_infer_from_python_values(example: object, expected: list[ColSpec]) -> None:
    assert infer_signature(example).inputs == Schema(expected)


def test_infer_list_column_gives_mlflow_array_type() -> None:
    inputs = infer_signature(pd.DataFrame({"a": [[1, 2], [3]]})).to_dict()["inputs"]
    assert inputs == '[{"type": "array", "items": {"type": "long"}, "name": "a", "required": true}]'


def test_infer_nullable_and_string_dtypes() -> None:
    frame = pd.DataFrame(
        {
            "n": pd.array([1, None], dtype="Int64"),
            "s": pd.array(["a", None], dtype="string"),
            "u": np.array([1, 2], dtype=np.uint32),
            "cat": pd.Categorical(["a", "b"]),
        }
    )
    assert infer_signature(frame).inputs == Schema(
        [
            ColSpec(DataType.long, "n", required=False),
            ColSpec(DataType.string, "s", required=False),
            ColSpec(DataType.long, "u"),
            ColSpec(DataType.string, "cat"),
        ]
    )


def test_infer_rejects_unrepresentable_column() -> None:
    with pytest.raises(InvalidParameterError, match=r"column 'o'.*build the Schema by hand"):
        infer_signature(pd.DataFrame({"o": [object(), object()]}))


def test_infer_params_gives_types_defaults_and_list_shapes() -> None:
    when = dt.datetime(2024, 1, 1)
    params = infer_signature(
        params={"alpha": 0.5, "name": "x", "flag": True, "ids": [1, 2], "k": 3, "t": when}
    ).params
    assert params is not None
    assert [(p.name, p.type, p.default, p.shape) for p in params] == [
        ("alpha", DataType.double, 0.5, None),
        ("name", DataType.string, "x", None),
        ("flag", DataType.boolean, True, None),
        ("ids", DataType.long, [1, 2], (-1,)),
        ("k", DataType.long, 3, None),
        ("t", DataType.datetime, when, None),
    ]


def test_infer_params_rejects_mixed_lists_and_objects() -> None:
    with pytest.raises(InvalidParameterError, match="items of one scalar type"):
        infer_signature(params={"p": [1, "a"]})
    with pytest.raises(InvalidParameterError, match="unsupported value"):
        infer_signature(params={"p": {"nested": 1}})


def test_none_parts_stay_none() -> None:
    assert infer_signature() == ModelSignature()
    assert infer_signature(params={}).params is None


_column_dtypes = st.sampled_from(["int64", "int32", "float64", "float32", "bool"])


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(st.sampled_from("abcdef"), unique=True, max_size=5))
    rows = draw(st.integers(1, 8))
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(["float64", "int64", "int32", "float32", "bool", "str", "nan"]))
        if kind == "str":
            columns[name] = draw(st.lists(st.text(max_size=3), min_size=rows, max_size=rows))
        elif kind == "nan":
            values = draw(st.lists(st.floats(allow_nan=True), min_size=rows, max_size=rows))
            columns[name] = np.array(values, dtype="float64")
        else:
            columns[name] = np.zeros(rows, dtype=kind)
    return pd.DataFrame(columns, index=range(rows))


@given(_frames())
def test_inferred_schema_round_trips_and_names_every_column(frame: pd.DataFrame) -> None:
    inputs = infer_signature(frame).inputs
    assert inputs is not None
    assert inputs.input_names() == [str(c) for c in frame.columns]
    assert Schema.from_json(inputs.to_json()) == inputs
    for spec, column in zip(inputs.inputs, frame.columns, strict=True):
        assert isinstance(spec, ColSpec)
        assert spec.required == (not frame[column].isna().any())


@given(_column_dtypes, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
def test_inferred_tensor_spec_matches_array(dtype: str, shape: tuple[int, ...]) -> None:
    array = np.zeros(shape, dtype=dtype)
    (spec,) = infer_signature(array).inputs or []
    assert isinstance(spec, TensorSpec)
    assert spec.type == np.dtype(dtype)
    assert spec.shape == (-1, *shape[1:])


def test_param_schema_equality_is_by_content() -> None:
    first = infer_signature(params={"a": 1}).params
    assert first == ParamSchema.from_json('[{"name": "a", "default": 1, "type": "long"}]')
