"""Schema, ColSpec, TensorSpec and ParamSchema: construction rules and MLflow's JSON form."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_mltrack.errors import InvalidInputError, InvalidParameterError, ModelFormatError
from jupyter_mltrack.models import (
    ColSpec,
    DataType,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
)
from jupyter_mltrack.models.types import ComplexType

names = st.text(alphabet="abcdefghij_ XYZ", min_size=1, max_size=8)
colspecs = st.builds(ColSpec, st.sampled_from(list(DataType)), names, st.booleans())
dtypes = st.sampled_from(["float32", "float64", "int32", "int64", "bool", "uint8", "object"])
shapes = st.lists(st.sampled_from([-1, 1, 3, 28]), min_size=1, max_size=4).map(tuple)


def _unique(specs: list) -> bool:
    return len({s.name for s in specs}) == len(specs)


@given(st.lists(colspecs, max_size=6).filter(_unique))
def test_column_schema_json_round_trips(specs: list[ColSpec]) -> None:
    schema = Schema(specs)
    assert Schema.from_json(schema.to_json()) == schema
    assert [s["name"] for s in json.loads(schema.to_json())] == [s.name for s in specs]


@given(st.lists(st.tuples(dtypes, shapes), min_size=1, max_size=4), st.booleans())
def test_tensor_schema_json_round_trips(pairs: list, named: bool) -> None:
    specs = [
        TensorSpec(np.dtype(d), s, f"t{i}" if named else None) for i, (d, s) in enumerate(pairs)
    ]
    schema = Schema(specs)
    again = Schema.from_json(schema.to_json())
    assert again == schema
    assert again.is_tensor_spec()


def test_colspec_json_matches_mlflow_layout() -> None:
    schema = Schema([ColSpec(DataType.double, "x"), ColSpec("string", "y", required=False)])
    assert schema.to_json() == (
        '[{"type": "double", "name": "x", "required": true}, '
        '{"type": "string", "name": "y", "required": false}]'
    )


def test_tensorspec_json_matches_mlflow_layout() -> None:
    assert Schema([TensorSpec(np.dtype("int64"), (-1,))]).to_json() == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
    )
    assert Schema([TensorSpec(np.float32, (-1, 3), "img")]).to_json() == (
        '[{"name": "img", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'
    )


def test_mixed_specs_are_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="either ColSpec or TensorSpec"):
        Schema([ColSpec(DataType.long, "a"), TensorSpec(np.dtype("int64"), (-1,), "b")])


def test_partly_named_schema_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="every entry"):
        Schema([ColSpec(DataType.long, "a"), ColSpec(DataType.long)])


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="Duplicate"):
        Schema([ColSpec(DataType.long, "a"), ColSpec(DataType.double, "a")])


def test_unknown_type_is_a_model_format_error() -> None:
    with pytest.raises(ModelFormatError, match="Unknown data type 'decimal'"):
        Schema.from_json('[{"type": "decimal", "name": "a"}]')


def test_malformed_schema_json_is_a_model_format_error() -> None:
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        Schema.from_json("[{")
    with pytest.raises(ModelFormatError, match="JSON list of objects"):
        Schema.from_json('{"type": "long"}')


def test_unnamed_schema_uses_positions_as_names() -> None:
    schema = Schema([ColSpec(DataType.long), ColSpec(DataType.string, required=False)])
    assert not schema.has_input_names()
    assert schema.input_names() == ["0", "1"]
    assert schema.required_input_names() == ["0"]


def test_complex_mlflow_types_round_trip_unchanged() -> None:
    text = (
        '[{"type": "array", "items": {"type": "long"}, "name": "a", "required": true}, '
        '{"type": "object", "properties": {"k": {"type": "string", "required": true}}, '
        '"name": "b", "required": false}]'
    )
    schema = Schema.from_json(text)
    first = schema.inputs[0]
    assert isinstance(first, ColSpec) and isinstance(first.type, ComplexType)
    assert first.type.kind == "array"
    assert json.loads(schema.to_json()) == json.loads(text)


@pytest.mark.parametrize(
    ("data_type", "numpy_name"),
    [
        (DataType.boolean, "bool"),
        (DataType.integer, "int32"),
        (DataType.long, "int64"),
        (DataType.float, "float32"),
        (DataType.double, "float64"),
        (DataType.datetime, "datetime64[ns]"),
    ],
)
def test_data_type_numpy_dtypes(data_type: DataType, numpy_name: str) -> None:
    assert data_type.to_numpy() == np.dtype(numpy_name)
    assert data_type.to_pandas() == np.dtype(numpy_name)


def test_text_types_map_to_object_columns_in_pandas() -> None:
    assert DataType.string.to_pandas() is object
    assert DataType.binary.to_pandas() is object


def test_param_schema_json_matches_mlflow_layout() -> None:
    schema = ParamSchema(
        [ParamSpec("alpha", DataType.double, 0.5), ParamSpec("ids", DataType.long, [1, 2], (-1,))]
    )
    assert schema.to_json() == (
        '[{"name": "alpha", "default": 0.5, "shape": null, "type": "double"}, '
        '{"name": "ids", "default": [1, 2], "shape": [-1], "type": "long"}]'
    )
    assert ParamSchema.from_json(schema.to_json()) == schema


def test_param_datetime_default_is_written_as_iso_text() -> None:
    when = dt.datetime(2024, 5, 1, 12, 30)
    schema = ParamSchema([ParamSpec("since", DataType.datetime, when)])
    assert json.loads(schema.to_json())[0]["default"] == "2024-05-01T12:30:00"
    assert ParamSchema.from_json(schema.to_json()).params[0].default == when


def test_param_default_of_wrong_type_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match=r"Param 'k' must be of type long; got 'x'"):
        ParamSpec("k", DataType.long, "x")


def test_param_shape_other_than_list_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match=r"shape None \(scalar\) or \(-1,\)"):
        ParamSpec("k", DataType.long, [[1]], (-1, 2))


def test_object_params_written_by_mlflow_round_trip() -> None:
    text = (
        '[{"name": "cfg", "default": {"k": 1}, "shape": null, "type": "object", '
        '"properties": {"k": {"type": "long", "required": true}}}]'
    )
    schema = ParamSchema.from_json(text)
    (spec,) = schema.params
    assert isinstance(spec.type, ComplexType) and spec.type.kind == "object"
    assert json.loads(schema.to_json()) == json.loads(text)
    with pytest.raises(InvalidInputError, match="Param 'cfg' must be of type"):
        ParamSpec("cfg", spec.type, 5)
