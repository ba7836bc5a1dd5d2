"""Batch prediction: read an input file, predict, and turn the predictions into a table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import InvalidInputError, MissingDependencyError

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mltrack.models.types import Schema

__all__ = ["INPUT_FORMATS", "input_format", "predictions_to_frame", "read_input"]

#: Input file formats by name, and the file extensions that imply them.
INPUT_FORMATS = {"csv": (".csv",), "json": (".json",), "parquet": (".parquet", ".pq")}


def input_format(path: str | Path, content_type: str | None = None) -> str:
    """Return ``csv``, ``json`` or ``parquet``: ``content_type`` if given, else by extension."""
    if content_type:
        if content_type not in INPUT_FORMATS:
            raise InvalidInputError(
                f"Unknown input format {content_type!r}; use one of {', '.join(INPUT_FORMATS)}"
            )
        return content_type
    suffix = Path(path).suffix.lower()
    for name, suffixes in INPUT_FORMATS.items():
        if suffix in suffixes:
            return name
    raise InvalidInputError(
        f"Cannot tell the format of {str(path)!r} from its extension; "
        "name it .csv, .json or .parquet, or pass --content-type"
    )


def read_input(
    path: str | Path, fmt: str, *, schema: Schema | None = None
) -> tuple[Any, dict[str, Any] | None]:
    """Read model input (and params, for JSON payloads) from a CSV, Parquet or JSON file.

    A JSON file holds a scoring payload (``{"dataframe_split": ...}``, ``{"inputs": ...}``, ...,
    as for ``POST /invocations``) or simply a list of row objects.
    """
    from jupyter_mltrack.models.serving_input import parse_serving_input

    try:
        if fmt == "json":
            body = json.loads(Path(path).read_text(encoding="utf-8"))
            if isinstance(body, list):
                body = {"dataframe_records": body}
            return parse_serving_input(body, "application/json", schema=schema)
        if fmt == "csv":
            return parse_serving_input(Path(path).read_bytes(), "text/csv", schema=schema)
        return _read_parquet(path), None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, InvalidInputError):
            raise
        raise InvalidInputError(f"Cannot read {fmt.upper()} input {str(path)!r}: {exc}") from exc


def _read_parquet(path: str | Path) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except ImportError as exc:
        raise MissingDependencyError("pyarrow", extra="parquet", feature="Parquet input") from exc
    except Exception as exc:  # pyarrow raises its own error types for malformed files
        raise InvalidInputError(f"Cannot read Parquet input {str(path)!r}: {exc}") from exc


def predictions_to_frame(predictions: Any) -> pd.DataFrame:
    """Return predictions as a table: one ``prediction`` column, or one column per output.

    DataFrames stay as they are; a Series keeps its name; a 2-D array gets the columns
    ``prediction_0``, ``prediction_1``, ...; a list of row objects becomes one column per key.
    """
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions
    if isinstance(predictions, pd.Series):
        return predictions.to_frame(name=predictions.name or "prediction")
    if isinstance(predictions, dict):
        return pd.DataFrame({k: np.asarray(v).ravel() for k, v in predictions.items()})
    if isinstance(predictions, list) and predictions and isinstance(predictions[0], dict):
        return pd.DataFrame(predictions)
    array = np.asarray(predictions)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim == 1:
        return pd.DataFrame({"prediction": array})
    array = array.reshape(array.shape[0], -1)
    return pd.DataFrame(array, columns=[f"prediction_{i}" for i in range(array.shape[1])])
