"""Model signatures: what a model takes, returns and accepts as params, and how to infer them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from jupyter_mltrack.errors import InvalidParameterError, ModelFormatError
from jupyter_mltrack.models.types import (
    ColSpec,
    ComplexType,
    DataType,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
)

__all__ = ["ModelSignature", "infer_param_schema", "infer_schema", "infer_signature"]


class ModelSignature:
    """The input schema, output schema and param schema of a model (each optional)."""

    def __init__(
        self,
        inputs: Schema | None = None,
        outputs: Schema | None = None,
        params: ParamSchema | None = None,
    ) -> None:
        for what, value, kind in (
            ("inputs", inputs, Schema),
            ("outputs", outputs, Schema),
            ("params", params, ParamSchema),
        ):
            if value is not None and not isinstance(value, kind):
                raise InvalidParameterError(
                    f"ModelSignature {what} must be a {kind.__name__} or None; "
                    f"got {type(value).__name__}"
                )
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def to_dict(self) -> dict[str, str | None]:
        """Return the ``signature`` mapping of an ``MLmodel`` file (values are JSON strings)."""
        return {
            "inputs": None if self.inputs is None else self.inputs.to_json(),
            "outputs": None if self.outputs is None else self.outputs.to_json(),
            "params": None if self.params is None else self.params.to_json(),
        }

    @classmethod
    def from_dict(cls, signature: Mapping[str, Any]) -> ModelSignature:
        """Parse the ``signature`` mapping of an ``MLmodel`` file."""
        if not isinstance(signature, Mapping):
            raise ModelFormatError(f"signature must be a mapping; got {signature!r}")
        inputs, outputs, params = (signature.get(k) for k in ("inputs", "outputs", "params"))
        return cls(
            None if inputs is None else Schema.from_json(inputs),
            None if outputs is None else Schema.from_json(outputs),
            None if params is None else ParamSchema.from_json(params),
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ModelSignature)
            and self.inputs == other.inputs
            and self.outputs == other.outputs
            and self.params == other.params
        )

    def __hash__(self) -> int:
        return hash((self.inputs, self.outputs, self.params))

    def __repr__(self) -> str:
        return f"ModelSignature(inputs={self.inputs!r}, outputs={self.outputs!r}, " + (
            f"params={self.params!r})"
        )


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> ModelSignature:
    """Infer a signature from example input, output and params.

    Args:
        model_input: A pandas DataFrame or Series, a numpy array, a dict of columns (lists or
            scalars) or of numpy arrays, a list of dicts (records), a list of scalars or a scalar.
        model_output: The model's output on ``model_input``, same kinds.
        params: Inference params with their default values.

    Returns:
        The signature; parts whose example is None are None.

    Example:
        >>> sig = infer_signature(X_train, model.predict(X_train), params={"top_k": 3})
    """
    return ModelSignature(
        None if model_input is None else infer_schema(model_input),
        None if model_output is None else infer_schema(model_output),
        None if not params else infer_param_schema(params),
    )


def infer_schema(data: Any) -> Schema:
    """Infer a column or tensor schema from example data."""
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return Schema(_colspec(data[c], str(c)) for c in data.columns)
    if isinstance(data, pd.Series):
        return Schema([_colspec(data, None if data.name is None else str(data.name))])
    if isinstance(data, np.ndarray):
        return Schema([_tensorspec(data, None)])
    if isinstance(data, Mapping):
        if data and all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema(_tensorspec(v, str(k)) for k, v in data.items())
        return infer_schema(_dict_to_frame(data))
    if isinstance(data, list | tuple):
        if data and all(isinstance(v, Mapping) for v in data):
            return infer_schema(pd.DataFrame(list(data)))
        if data and all(isinstance(v, list | tuple | np.ndarray) for v in data):
            return Schema([_tensorspec(np.asarray(data), None)])
        return Schema([_colspec(pd.Series(list(data)), None)])
    return Schema([_colspec(pd.Series([data]), None)])


def _dict_to_frame(data: Mapping[str, Any]) -> Any:
    import numpy as np
    import pandas as pd

    if all(np.ndim(v) == 0 for v in data.values()):
        return pd.DataFrame([dict(data)])
    return pd.DataFrame(dict(data))


def _tensorspec(array: Any, name: str | None) -> TensorSpec:
    if array.dtype.kind == "U":  # numpy strings have a length in their dtype; use object
        array = array.astype(object)
    return TensorSpec(array.dtype, (-1, *array.shape[1:]), name)


def _colspec(series: Any, name: str | None) -> ColSpec:
    return ColSpec(_column_type(series, name), name, not bool(series.isna().any()))


def _column_type(series: Any, name: str | None) -> DataType | ComplexType:
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return DataType.boolean
    if pd.api.types.is_integer_dtype(dtype):
        size = np.dtype(dtype.numpy_dtype if hasattr(dtype, "numpy_dtype") else dtype).itemsize
        signed = pd.api.types.is_signed_integer_dtype(dtype)
        if (signed and size <= 4) or (not signed and size <= 2):
            return DataType.integer
        if signed or size <= 4:
            return DataType.long
        return _unsupported(name, dtype)
    if pd.api.types.is_float_dtype(dtype):
        return DataType.float if np.dtype(str(dtype).lower()).itemsize <= 4 else DataType.double
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return DataType.datetime
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return DataType.string
    if isinstance(dtype, pd.CategoricalDtype):
        return _column_type(pd.Series(np.asarray(series)), name)
    return _object_type(series.dropna().tolist(), name, dtype)


def _object_type(values: list[Any], name: str | None, dtype: Any) -> DataType | ComplexType:
    if not values:
        return DataType.string  # all missing: MLflow also falls back to string
    kinds = {_value_type(v) for v in values}
    if len(kinds) == 1:
        (kind,) = kinds
        if kind is not None:
            return kind
    if kinds <= {DataType.long, DataType.double}:
        return DataType.double
    if all(isinstance(v, list | tuple) for v in values):
        items = {_value_type(x) for v in values for x in v}
        if len(items) == 1 and None not in items:
            item = next(iter(items))
            return ComplexType(json.dumps({"type": "array", "items": {"type": str(item)}}))
    return _unsupported(name, dtype)


def _value_type(value: Any) -> DataType | None:
    import numpy as np

    for types, data_type in (
        ((bool, np.bool_), DataType.boolean),
        ((int, np.integer), DataType.long),
        ((float, np.floating), DataType.double),
        ((str,), DataType.string),
        ((bytes, bytearray), DataType.binary),
        ((dt.datetime, dt.date, np.datetime64), DataType.datetime),
    ):
        if isinstance(value, types):
            return data_type
    return None


def _unsupported(name: str | None, dtype: Any) -> DataType:
    column = "the data" if name is None else f"column {name!r}"
    raise InvalidParameterError(
        f"Cannot infer a signature type for {column} of dtype {dtype}; convert it to a "
        "boolean, integer, float, string, bytes or datetime column, or build the Schema by hand"
    )


def infer_param_schema(params: Mapping[str, Any]) -> ParamSchema:
    """Infer a param schema from example params (their values become the defaults)."""
    specs = []
    for name, value in params.items():
        if isinstance(value, list | tuple):
            kinds = {_value_type(v) for v in value}
            if len(kinds) != 1 or None in kinds:
                raise InvalidParameterError(
                    f"Param {name!r}: a list param needs items of one scalar type; got {value!r}"
                )
            specs.append(ParamSpec(name, next(iter(kinds)), list(value), (-1,)))  # type: ignore[arg-type]
            continue
        kind = _value_type(value)
        if kind is None:
            raise InvalidParameterError(
                f"Param {name!r}: unsupported value {value!r} of type {type(value).__name__}; "
                "use bool, int, float, str, bytes, datetime or a list of one of those"
            )
        specs.append(ParamSpec(name, kind, value))
    return ParamSchema(specs)
