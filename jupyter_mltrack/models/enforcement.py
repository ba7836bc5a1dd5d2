"""Check and convert model inputs and params against a signature.

Column-based schemas: missing required columns are an error (all are listed), extra columns are
dropped, columns are put in schema order, and only lossless conversions happen (integer -> long,
integer -> double, float -> double; never long -> double, never string -> number). Tensor-based
schemas: the dtype must match exactly and the shape must match, ``-1`` matching any length.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import InvalidInputError
from jupyter_mltrack.models.types import (
    ColSpec,
    ComplexType,
    DataType,
    ParamSchema,
    Schema,
    TensorSpec,
    convert_param,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["convert_param", "enforce_params", "enforce_schema", "to_model_input"]

logger = logging.getLogger(__name__)

# Numpy dtypes each DataType accepts; everything here converts without loss.
_SAFE_SOURCES: dict[DataType, frozenset[str]] = {
    DataType.boolean: frozenset({"bool"}),
    DataType.integer: frozenset({"int8", "int16", "int32", "uint8", "uint16"}),
    DataType.long: frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"}),
    DataType.float: frozenset({"float16", "float32", "int8", "int16", "uint8"}),
    DataType.double: frozenset(
        {"float16", "float32", "float64", "int8", "int16", "int32", "uint8", "uint16"}
    ),
}


def to_model_input(data: Any) -> pd.DataFrame | np.ndarray | dict[str, np.ndarray]:
    """Normalize accepted input kinds to a DataFrame, an array, or a dict of arrays.

    Accepts a DataFrame, a Series, a numpy array, a dict of numpy arrays (kept as a dict, for
    multi-tensor models), a dict of columns or of scalars (one row), a list of dicts (records),
    or a list of scalars / nested lists (an array).
    """
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame | np.ndarray):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, Mapping):
        if data and all(isinstance(v, np.ndarray) for v in data.values()):
            return {str(k): v for k, v in data.items()}
        return _dict_to_frame(data)
    if isinstance(data, list | tuple):
        if data and all(isinstance(v, Mapping) for v in data):
            return pd.DataFrame(list(data))
        return np.asarray(data)
    raise InvalidInputError(
        f"Unsupported model input of type {type(data).__name__}; pass a pandas DataFrame, a numpy "
        "array, a dict of columns or a list of dicts"
    )


def _dict_to_frame(data: Mapping[Any, Any]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    try:
        if all(np.ndim(v) == 0 for v in data.values()):
            return pd.DataFrame([dict(data)])
        return pd.DataFrame({k: list(v) if np.ndim(v) > 1 else v for k, v in data.items()})
    except ValueError as exc:
        raise InvalidInputError(f"Cannot turn the dict of columns into a table: {exc}") from exc


def enforce_schema(data: Any, schema: Schema) -> pd.DataFrame | np.ndarray | dict[str, np.ndarray]:
    """Check ``data`` against ``schema`` and return it converted and ordered as the schema says.

    Raises:
        InvalidInputError: A required column or tensor is missing, a type cannot be converted
            safely, or a tensor's dtype or shape does not match.
    """
    if not schema.inputs:
        return to_model_input(data)
    if schema.is_tensor_spec():
        return _enforce_tensors(data, schema)
    return _enforce_columns(data, schema)


# ---- column-based ---------------------------------------------------------------------------


def _enforce_columns(data: Any, schema: Schema) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    frame = to_model_input(data)
    if isinstance(frame, dict):
        frame = _dict_to_frame(frame)
    if isinstance(frame, np.ndarray):
        frame = _array_to_frame(frame, schema)
    assert isinstance(frame, pd.DataFrame)
    if _already_conforms(frame, schema):
        return frame
    if schema.has_input_names():
        return _by_name(frame, schema)
    return _by_position(frame, schema)


def _already_conforms(frame: pd.DataFrame, schema: Schema) -> bool:
    """Cheap check for the common case: right columns, in order, with exactly the right dtypes."""
    if frame.shape[1] != len(schema):
        return False
    if schema.has_input_names() and [str(c) for c in frame.columns] != schema.input_names():
        return False
    for dtype, spec in zip(frame.dtypes.tolist(), schema.inputs, strict=True):
        target = spec.type
        if not isinstance(target, DataType) or target not in _SAFE_SOURCES:
            return False
        if dtype != target.to_numpy():
            return False
    return True


def _array_to_frame(array: np.ndarray, schema: Schema) -> pd.DataFrame:
    import pandas as pd

    if array.ndim == 1 and len(schema) == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[1] != len(schema):
        raise InvalidInputError(
            f"An array input must have shape (n, {len(schema)}) to match the model's "
            f"{len(schema)} columns; got shape {array.shape}"
        )
    names = schema.input_names() if schema.has_input_names() else None
    return pd.DataFrame(array, columns=names)


def _by_name(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    present = {str(c): c for c in frame.columns}
    missing = [n for n in schema.required_input_names() if n not in present]
    if missing:
        raise InvalidInputError(
            f"Model input is missing required columns {missing}; got columns {list(present)}"
        )
    columns = {}
    for spec in schema.inputs:
        assert isinstance(spec, ColSpec) and spec.name is not None
        if spec.name in present:
            columns[spec.name] = _convert_column(frame[present[spec.name]], spec, spec.name)
    return _frame(columns, frame)


def _by_position(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    if frame.shape[1] != len(schema):
        raise InvalidInputError(
            f"The model expects {len(schema)} unnamed columns; got {frame.shape[1]} "
            f"({list(frame.columns)})"
        )
    columns = {}
    for position, (name, spec) in enumerate(zip(frame.columns, schema.inputs, strict=True)):
        assert isinstance(spec, ColSpec)
        columns[name] = _convert_column(frame.iloc[:, position], spec, str(name))
    return _frame(columns, frame)


def _frame(columns: dict[Any, pd.Series], like: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns, index=like.index)


def _convert_column(series: pd.Series, spec: ColSpec, name: str) -> pd.Series:
    import pandas as pd

    target = spec.type
    if isinstance(target, ComplexType):
        return series
    dtype = series.dtype
    if target in _SAFE_SOURCES:
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "numpy_dtype"):
            dtype = dtype.numpy_dtype  # nullable Int64 / Float64 / boolean
        if str(dtype) == str(target.to_numpy()):
            return series
        if str(dtype) in _SAFE_SOURCES[target]:
            return _cast(series, target, name)
        if pd.api.types.is_object_dtype(dtype) and _values_are(series, target):
            return _cast(series, target, name)
        if not spec.required and str(dtype) == "float64" and series.isna().all():
            return series
        raise _unsafe(name, series.dtype, target)
    if target is DataType.datetime:
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return series
        raise _unsafe(name, series.dtype, target)
    if _values_are(series, target):  # string and binary columns hold Python objects
        return series
    raise _unsafe(name, series.dtype, target)


def _cast(series: pd.Series, target: DataType, name: str) -> pd.Series:
    """Cast a column whose values are of the right kind; a value the type cannot hold (a missing
    value in an integer column, an int beyond 64 bits) is the caller's error, not the model's."""
    try:
        return series.astype(target.to_numpy())
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInputError(
            f"Column {name!r}: a value does not fit the schema type {target} "
            f"({target.to_numpy()}): {exc}; fill missing values and check the range first"
        ) from None


def _values_are(series: pd.Series, target: DataType) -> bool:
    import numpy as np
    import pandas as pd

    if not pd.api.types.is_object_dtype(series.dtype):
        # pandas' own string dtypes (pandas 3 makes "str" the default for text)
        return target is DataType.string and pd.api.types.is_string_dtype(series.dtype)
    kinds: dict[DataType, tuple[type, ...]] = {
        DataType.string: (str,),
        DataType.binary: (bytes, bytearray),
        DataType.boolean: (bool, np.bool_),
        DataType.integer: (int, np.integer),
        DataType.long: (int, np.integer),
        DataType.double: (float, int, np.floating, np.integer),
        DataType.float: (float, np.floating),
    }
    wanted = kinds.get(target, ())
    values = series.dropna()
    if target is not DataType.boolean and values.map(lambda v: isinstance(v, bool)).any():
        return False
    return bool(values.map(lambda v: isinstance(v, wanted)).all())


def _unsafe(name: str, dtype: Any, target: DataType) -> InvalidInputError:
    return InvalidInputError(
        f"Column {name!r}: cannot safely convert {dtype} to the schema type {target} "
        f"({target.to_numpy()}); cast the column to a compatible type before predicting"
    )


# ---- tensor-based ---------------------------------------------------------------------------


def _enforce_tensors(data: Any, schema: Schema) -> np.ndarray | dict[str, np.ndarray]:
    import numpy as np
    import pandas as pd

    specs = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    if len(specs) == 1:
        value = data
        if isinstance(data, Mapping) and specs[0].name in data:
            value = data[specs[0].name]
        if isinstance(value, pd.DataFrame):
            value = value.to_numpy()
        if isinstance(value, list | tuple):
            value = np.asarray(value)
        if not isinstance(value, np.ndarray):
            raise InvalidInputError(f"The model expects a numpy array; got {type(data).__name__}")
        return _check_tensor(value, specs[0])
    if isinstance(data, pd.DataFrame):
        data = {str(c): data[c].to_numpy() for c in data.columns}
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            f"The model expects a dict of arrays named {schema.input_names()}; "
            f"got {type(data).__name__}"
        )
    missing = [s.name for s in specs if s.name not in data]
    if missing:
        raise InvalidInputError(f"Model input is missing tensors {missing}; got {list(data)}")
    return {str(s.name): _check_tensor(np.asarray(data[s.name]), s) for s in specs}


def _check_tensor(array: np.ndarray, spec: TensorSpec) -> np.ndarray:
    label = "input" if spec.name is None else f"tensor {spec.name!r}"
    if array.dtype != spec.type and not (spec.type.kind == "O" and array.dtype.kind in "OUS"):
        raise InvalidInputError(
            f"The {label} has dtype {array.dtype} but the schema requires {spec.type}; "
            f"convert it with .astype({str(spec.type)!r})"
        )
    ok = len(array.shape) == len(spec.shape) and all(
        want in (-1, got) for want, got in zip(spec.shape, array.shape, strict=True)
    )
    if not ok:
        raise InvalidInputError(
            f"The {label} has shape {array.shape} but the schema requires {spec.shape} "
            "(-1 matches any length)"
        )
    return array


# ---- params ---------------------------------------------------------------------------------


def enforce_params(params: Mapping[str, Any] | None, schema: ParamSchema | None) -> dict[str, Any]:
    """Return ``params`` checked against ``schema`` with defaults filled in.

    Without a schema the params pass through unchanged. Params the schema does not know are
    dropped with a warning, as MLflow does.

    Raises:
        InvalidInputError: A param value does not have the schema's type or shape.
    """
    given = dict(params or {})
    if schema is None:
        return given
    unknown = sorted(set(given) - {p.name for p in schema.params})
    if unknown:
        logger.warning("Ignoring params %s that the model's signature does not define", unknown)
    return {
        spec.name: convert_param(spec, given[spec.name]) if spec.name in given else spec.default
        for spec in schema.params
    }
