"""MLflow's scoring protocol: turn a request payload into model input and params.

JSON payloads are an object with exactly one of ``dataframe_split`` (``{"columns", "data"[,
"index"]}``), ``dataframe_records`` (a list of row objects), ``instances`` (rows, TF-serving style)
or ``inputs`` (columns or an array), plus optional ``params``. ``text/csv`` bodies are a table
with a header row.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from jupyter_mltrack.errors import InvalidInputError
from jupyter_mltrack.models.types import ColSpec, ComplexType, DataType, Schema, TensorSpec

__all__ = ["INPUT_FORMATS", "parse_serving_input"]

INPUT_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_JSON_TYPES = ("application/json", "")
_CSV_TYPES = ("text/csv",)


def parse_serving_input(
    payload: bytes | str | Mapping[str, Any],
    content_type: str = "application/json",
    *,
    schema: Schema | None = None,
) -> tuple[Any, dict[str, Any] | None]:
    """Parse a scoring request into ``(data, params)``.

    Args:
        payload: The request body (bytes or text), or an already decoded JSON object.
        content_type: The request's Content-Type; ``application/json`` or ``text/csv``
            (parameters such as ``; charset=utf-8`` are ignored).
        schema: The model's input schema. JSON has no integer/float distinction, so numbers are
            read as the schema's column or tensor types (as MLflow does).

    Returns:
        A DataFrame, a numpy array or a dict of arrays, and the params (None if absent).

    Raises:
        InvalidInputError: The body is not valid JSON/CSV or not in one of the protocol's shapes.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _CSV_TYPES:
        return _parse_csv(payload, schema), None
    if media not in _JSON_TYPES:
        raise InvalidInputError(
            f"Unsupported content type {content_type!r}; send application/json or text/csv"
        )
    body = _decode_json(payload)
    keys = sorted(str(k) for k in body)
    formats = [k for k in keys if k in INPUT_FORMATS]
    unknown = [k for k in keys if k not in INPUT_FORMATS and k != "params"]
    if len(formats) != 1 or unknown:
        raise InvalidInputError(
            "payload must be a JSON object with exactly one of "
            f"{', '.join(INPUT_FORMATS)} (and optionally params); got keys {keys}"
        )
    params = body.get("params")
    if params is not None and not isinstance(params, Mapping):
        raise InvalidInputError(f"'params' must be a JSON object; got {json.dumps(params)[:200]}")
    key = formats[0]
    data = _PARSERS[key](body[key], schema)
    return data, None if params is None else dict(params)


def _decode_json(payload: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(payload, Mapping):
        return payload
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, Mapping):
        raise InvalidInputError(
            "payload must be a JSON object with exactly one of "
            f"{', '.join(INPUT_FORMATS)}; got a JSON {type(body).__name__}"
        )
    return body


def _parse_split(value: Any, schema: Schema | None) -> Any:

    if not isinstance(value, Mapping) or "data" not in value:
        raise InvalidInputError(
            'dataframe_split must be an object {"columns": [...], "data": [[...], ...]}; '
            f"got {json.dumps(value)[:200]}"
        )
    unknown = sorted(set(value) - {"columns", "data", "index"})
    if unknown:
        raise InvalidInputError(
            f"dataframe_split allows only the keys columns, data, index; got also {unknown}"
        )
    return _table(value["data"], value.get("columns"), value.get("index"), schema)


def _parse_records(value: Any, schema: Schema | None) -> Any:
    import pandas as pd

    if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
        raise InvalidInputError(
            'dataframe_records must be a list of row objects like [{"x": 1}, ...]; '
            f"got {json.dumps(value)[:200]}"
        )
    keys = list(value[0]) if value else []
    if all(list(row) == keys for row in value):  # same keys in every row: read as one block
        return _table([list(row.values()) for row in value], keys, None, schema)
    return _cast_frame(pd.DataFrame(value), schema)


def _parse_instances(value: Any, schema: Schema | None) -> Any:
    if isinstance(value, list) and value and all(isinstance(r, Mapping) for r in value):
        names = list(value[0])
        value = {n: [row.get(n) for row in value] for n in names}  # rows -> columns
    return _parse_inputs(value, schema)


def _parse_inputs(value: Any, schema: Schema | None) -> Any:

    if isinstance(value, Mapping):
        if schema is not None and schema.inputs and not schema.is_tensor_spec():
            return _cast_frame(_columns_frame(value), schema)
        specs = _tensor_specs(schema)
        return {str(k): _array(v, specs.get(str(k))) for k, v in value.items()}
    if not isinstance(value, list):
        value = [value]
    if schema is not None and schema.inputs and not schema.is_tensor_spec():
        if not all(isinstance(row, list) for row in value):
            value = [[v] for v in value]  # one column
        names = schema.input_names() if schema.has_input_names() else None
        return _table(value, names, None, schema)
    specs = _tensor_specs(schema)
    return _array(value, next(iter(specs.values()), None))


def _table(rows: Any, columns: Any, index: Any, schema: Schema | None) -> Any:
    """Build a DataFrame from row lists, in one numpy block when the schema allows."""
    import pandas as pd

    # pandas reads a mapping as columns and keeps only the named ones: {"x": 1} would become an
    # empty table (and a prediction for no rows) instead of an error.
    if not isinstance(rows, list) or (columns is not None and not isinstance(columns, list)):
        raise InvalidInputError(
            f"The table's data must be a list of rows and its columns a list of names; got "
            f"data of type {type(rows).__name__}, columns of type {type(columns).__name__}"
        )
    fast = _numeric_block(rows, columns, schema)
    try:
        if fast is not None:
            return pd.DataFrame(fast, columns=columns, index=index)
        return _cast_frame(pd.DataFrame(rows, columns=columns, index=index), schema)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"The input does not describe a table: {exc}") from exc


def _numeric_block(rows: Any, columns: Any, schema: Schema | None) -> Any:
    """Return rows as one 2-D array when every column has the same numeric schema type."""
    import numpy as np

    if schema is None or not schema.inputs or schema.is_tensor_spec() or columns is None:
        return None
    by_name = dict(zip(schema.input_names(), schema.inputs, strict=True))
    targets = {getattr(by_name.get(str(c)), "type", None) for c in columns}
    if len(targets) != 1:
        return None
    (target,) = targets
    if target not in (DataType.double, DataType.float, DataType.long, DataType.integer):
        return None
    try:
        raw = np.asarray(rows)
    except ValueError:
        return None
    wanted = "iu" if target in (DataType.long, DataType.integer) else "iuf"
    if raw.ndim != 2 or raw.shape[1] != len(columns) or raw.dtype.kind not in wanted:
        return None
    return raw.astype(target.to_numpy(), copy=False)


def _columns_frame(value: Mapping[str, Any]) -> Any:
    import numpy as np
    import pandas as pd

    try:
        if all(np.ndim(v) == 0 for v in value.values()):
            return pd.DataFrame([dict(value)])
        return pd.DataFrame(dict(value))
    except ValueError as exc:
        raise InvalidInputError(f"'inputs' does not describe a table of columns: {exc}") from exc


def _tensor_specs(schema: Schema | None) -> dict[str, TensorSpec]:
    if schema is None or not schema.is_tensor_spec():
        return {}
    return {
        n: s
        for n, s in zip(schema.input_names(), schema.inputs, strict=True)
        if isinstance(s, TensorSpec)
    }


def _array(value: Any, spec: TensorSpec | None) -> Any:
    import numpy as np

    try:
        if spec is not None and spec.type.kind in "biuf":
            return np.asarray(value, dtype=spec.type)
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        wanted = "" if spec is None else f" of dtype {spec.type}"
        raise InvalidInputError(f"Cannot read the input as an array{wanted}: {exc}") from exc


def _cast_frame(frame: Any, schema: Schema | None) -> Any:
    """Read JSON numbers as the schema's numeric types where that loses nothing."""
    import pandas as pd

    if schema is None or schema.is_tensor_spec():
        return frame
    names = schema.input_names() if schema.has_input_names() else list(frame.columns)
    for name, spec in zip(names, schema.inputs, strict=False):
        if not isinstance(spec, ColSpec) or isinstance(spec.type, ComplexType):
            continue
        if name not in frame.columns:
            continue
        column = frame[name]
        target = spec.type
        floating = target in (DataType.double, DataType.float) and _all_numbers(column)
        if floating or (target in (DataType.long, DataType.integer) and _all_integral(column)):
            frame[name] = column.astype(target.to_numpy())
        elif target is DataType.datetime and not pd.api.types.is_datetime64_any_dtype(column):
            try:
                frame[name] = pd.to_datetime(column)
            except (ValueError, TypeError) as exc:
                raise InvalidInputError(f"Column {name!r}: cannot read as datetime: {exc}") from exc
        elif target is DataType.boolean and _all_bools(column):
            frame[name] = column.astype(bool)
    return frame


def _all_numbers(column: Any) -> bool:
    import pandas as pd

    if pd.api.types.is_bool_dtype(column.dtype):
        return False
    if pd.api.types.is_numeric_dtype(column.dtype):
        return True
    return bool(column.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).all())


def _all_bools(column: Any) -> bool:
    import numpy as np

    if column.dtype != object:
        return False
    return bool(column.map(lambda v: isinstance(v, bool | np.bool_)).all())


def _all_integral(column: Any) -> bool:
    import pandas as pd

    if pd.api.types.is_integer_dtype(column.dtype):
        return True
    if column.dtype == object:
        return bool(column.map(lambda v: isinstance(v, int) and not isinstance(v, bool)).all())
    return False


def _parse_csv(payload: bytes | str | Mapping[str, Any], schema: Schema | None) -> Any:
    import pandas as pd

    if isinstance(payload, Mapping):
        raise InvalidInputError("A text/csv request needs a CSV body, not a JSON object")
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as exc:
        raise InvalidInputError(f"The request body is not valid CSV: {exc}") from exc
    return _cast_frame(frame, schema)


_PARSERS = {
    "dataframe_split": _parse_split,
    "dataframe_records": _parse_records,
    "instances": _parse_instances,
    "inputs": _parse_inputs,
}
