"""Input examples saved next to a model, in MLflow's file layout.

``input_example.json`` holds the example itself and ``serving_input_example.json`` the same data as
a scoring-server payload. Tables are written in pandas' ``split`` orient (``{"columns", "data"}``),
arrays and dicts of arrays as nested lists; an ``(example, params)`` tuple also saves the params.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_mltrack.errors import InvalidParameterError, ModelFormatError
from jupyter_mltrack.models.types import Schema

__all__ = [
    "INPUT_EXAMPLE_FILE",
    "SERVING_INPUT_FILE",
    "load_input_example",
    "load_input_example_params",
    "save_input_example",
]

INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_INPUT_FILE = "serving_input_example.json"


def save_input_example(
    model_dir: str | os.PathLike[str], example: Any, *, schema: Schema | None = None
) -> dict[str, Any]:
    """Write the example files and return the ``saved_input_example_info`` for ``MLmodel``.

    Args:
        model_dir: The model directory.
        example: A DataFrame or Series, a dict of columns, a list of dicts, a numpy array, a dict
            of arrays, a list or a scalar; or a tuple ``(example, params)``.
        schema: The model's input schema; unused for now, accepted so callers can pass it.
    """
    del schema  # the example's own dtypes are written; kept for a stable call signature
    params = None
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], Mapping):
        example, params = example[0], dict(example[1])
    kind, payload, serving_key = _encode(example)
    info: dict[str, Any] = {"artifact_path": INPUT_EXAMPLE_FILE, "type": kind}
    if kind == "dataframe":
        info["pandas_orient"] = "split"
    serving: dict[str, Any] = {serving_key: payload}
    stored: Any = payload
    if params is not None:
        info["params"] = "true"  # MLflow writes the string, not a boolean
        stored = {"inputs": payload, "params": params}
        serving["params"] = params
    info["serving_input_path"] = SERVING_INPUT_FILE
    root = Path(model_dir)
    root.mkdir(parents=True, exist_ok=True)
    (root / INPUT_EXAMPLE_FILE).write_text(_dumps(stored), encoding="utf-8")
    (root / SERVING_INPUT_FILE).write_text(_dumps(serving, indent=2), encoding="utf-8")
    return info


def _encode(example: Any) -> tuple[str, Any, str]:
    """Return (MLflow example type, JSON-ready payload, serving payload key)."""
    import numpy as np
    import pandas as pd

    if isinstance(example, pd.Series):
        example = example.to_frame()
    if (
        isinstance(example, Mapping)
        and example
        and not all(isinstance(v, np.ndarray) for v in example.values())
    ):
        example = _frame_from_dict(example)
    if isinstance(example, list) and example and all(isinstance(r, Mapping) for r in example):
        example = pd.DataFrame(example)
    if isinstance(example, pd.DataFrame):
        split = example.to_dict(orient="split", index=False)
        return "dataframe", {"columns": split["columns"], "data": split["data"]}, "dataframe_split"
    if isinstance(example, np.ndarray):
        return "ndarray", example.tolist(), "inputs"
    if isinstance(example, Mapping):
        return "ndarray", {str(k): v.tolist() for k, v in example.items()}, "inputs"
    if isinstance(example, list | str | int | float | bool | dt.datetime):
        return "json_object", example, "inputs"
    raise InvalidParameterError(
        f"Unsupported input example of type {type(example).__name__}; use a pandas DataFrame, "
        "a numpy array, a dict of columns or arrays, a list of dicts, a list or a scalar"
    )


def _frame_from_dict(example: Mapping[str, Any]) -> Any:
    import numpy as np
    import pandas as pd

    if all(np.ndim(v) == 0 for v in example.values()):
        return pd.DataFrame([dict(example)])
    return pd.DataFrame(dict(example))


def _dumps(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, default=_json_default)


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"Cannot write {type(value).__name__} value {value!r} to an input example")


def _read_stored(model_dir: str | os.PathLike[str], info: Mapping[str, Any]) -> Any:
    path = Path(model_dir) / str(info.get("artifact_path", INPUT_EXAMPLE_FILE))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFormatError(
            f"The MLmodel lists an input example at {str(path)!r} but the file is missing"
        ) from None
    except ValueError as exc:
        raise ModelFormatError(f"The input example {str(path)!r} is not valid JSON: {exc}") from exc


def _has_params(info: Mapping[str, Any]) -> bool:
    return str(info.get("params", "")).lower() == "true"


def load_input_example(
    model_dir: str | os.PathLike[str], info: Mapping[str, Any], *, schema: Schema | None = None
) -> Any:
    """Read a saved input example back as a DataFrame, an array, a dict of arrays or JSON.

    Args:
        model_dir: The model directory.
        info: The ``saved_input_example_info`` mapping of the ``MLmodel`` file.
        schema: The model's input schema; table columns and arrays get its types.
    """
    import numpy as np

    stored = _read_stored(model_dir, info)
    if _has_params(info):
        stored = stored["inputs"]
    kind = info.get("type")
    if kind == "dataframe":
        from jupyter_mltrack.models.serving_input import parse_serving_input

        orient = info.get("pandas_orient", "split")
        key = "dataframe_split" if orient == "split" else "dataframe_records"
        return parse_serving_input({key: stored}, schema=schema)[0]
    if kind == "ndarray":
        from jupyter_mltrack.models.serving_input import parse_serving_input

        return parse_serving_input({"inputs": stored}, schema=schema)[0]
    if kind in ("json_object", None):
        return stored
    if kind in ("sparse_matrix_csc", "sparse_matrix_csr"):
        raise ModelFormatError(f"Sparse-matrix input examples ({kind}) are not supported")
    return np.asarray(stored)


def load_input_example_params(
    model_dir: str | os.PathLike[str], info: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Return the params saved with the input example, or None."""
    if not _has_params(info):
        return None
    params = _read_stored(model_dir, info).get("params")
    return None if params is None else dict(params)
