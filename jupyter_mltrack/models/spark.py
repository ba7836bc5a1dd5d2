"""Score Spark DataFrames with any ``python_function`` model, as MLflow's ``spark_udf`` does.

How the model reaches the executors: the model directory is zipped once on the driver and
shipped with ``SparkContext.addArchive``, which copies and unpacks it once per executor (not per
task or batch). Each Python worker loads the model the first time it scores a batch and keeps it
for the worker's life (Spark reuses Python workers across tasks), so a job pays one load per
worker.

How data reaches the model: the columns given to the UDF are packed into one struct, so each
batch arrives as a pandas DataFrame whose column names are the Spark column names, and the
model's signature is enforced by name, as for in-process ``predict``. Columns whose names do not
match the signature are matched by position, as MLflow does.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError, ModelFormatError

if TYPE_CHECKING:
    from pyspark.sql import Column, SparkSession
    from pyspark.sql.types import DataType

    from jupyter_mltrack.models.pyfunc import PyFuncModel

__all__ = ["SparkModelUdf", "spark_udf"]

#: Models loaded in this (worker) process, by the name of the archive they were shipped in.
_LOADED: dict[str, PyFuncModel] = {}
_NUMPY_TYPES = {
    "DoubleType": np.float64,
    "FloatType": np.float32,
    "LongType": np.int64,
    "IntegerType": np.int32,
    "ShortType": np.int16,
    "ByteType": np.int8,
    "BooleanType": np.bool_,
}


class SparkModelUdf:
    """A model as a Spark column function: ``df.withColumn("prediction", udf("a", "b"))``.

    Call it with column names or :class:`~pyspark.sql.Column` objects; with no arguments it
    uses the input names of the model's signature.

    Attributes:
        input_names: The signature's input names (empty when the model has no signature).
        result_type: The Spark type of the predictions column.
    """

    def __init__(self, udf: Any, input_names: list[str], result_type: DataType) -> None:
        self._udf = udf
        self.input_names = input_names
        self.result_type = result_type

    def __call__(self, *columns: str | Column) -> Column:
        from pyspark.sql import functions

        if not columns:
            if not self.input_names:
                raise InvalidParameterError(
                    "The model has no signature with input names; name the columns to score, "
                    "e.g. udf('a', 'b')"
                )
            columns = tuple(self.input_names)
        return cast("Column", self._udf(functions.struct(*columns)))


def spark_udf(
    spark: SparkSession,
    model_dir: str,
    result_type: str | DataType = "double",
    *,
    env_manager: str = "local",
    params: dict[str, Any] | None = None,
) -> SparkModelUdf:
    """Return a Spark UDF that scores DataFrames with the model in the local ``model_dir``.

    Args:
        spark: The active Spark session.
        model_dir: A local model directory with a ``python_function`` flavor.
        result_type: The predictions' Spark type, as a DDL string (``"double"``, ``"long"``,
            ``"string"``, ``"array<double>"``, ``"struct<a: double, b: string>"``) or a
            :class:`~pyspark.sql.types.DataType`.
        env_manager: Only ``"local"``: the executors' Python runs the model.
        params: Inference params passed to every ``predict`` call.

    Raises:
        MissingDependencyError: pyspark is not installed.
        ModelFormatError: The model has no ``python_function`` flavor.
        InvalidParameterError: An unsupported ``result_type`` or ``env_manager``.

    Example:
        >>> udf = spark_udf(spark, "/models/forest", result_type="long")  # doctest: +SKIP
        >>> df.withColumn("prediction", udf()).show()  # doctest: +SKIP
    """
    if env_manager != "local":
        raise InvalidParameterError(
            f"spark_udf supports env_manager='local' only, got {env_manager!r}; install the "
            "model's requirements on the executors (its requirements.txt lists them)"
        )
    try:
        from pyspark.sql.pandas.functions import pandas_udf
    except ImportError as exc:
        raise MissingDependencyError("pyspark", extra="spark", feature="spark_udf") from exc
    from jupyter_mltrack.models.mlmodel import Model

    mlmodel = Model.load(model_dir)
    if "python_function" not in mlmodel.flavors:
        raise ModelFormatError(
            f"The model at {model_dir!r} has no python_function flavor; spark_udf needs one"
        )
    rtype = _data_type(spark, result_type)
    archive = _ship(spark, model_dir)
    schema = mlmodel.get_input_schema()
    names = schema.input_names() if schema is not None and schema.has_input_names() else []

    def predict(batches: Iterator[pd.DataFrame]) -> Iterator[pd.Series]:
        return _predict_batches(archive, rtype, params, names, batches)

    return SparkModelUdf(pandas_udf(predict, returnType=rtype), names, rtype)  # type: ignore[call-overload]


def _data_type(spark: SparkSession, result_type: str | DataType) -> DataType:
    from pyspark.sql.types import ArrayType, DataType, StructType

    if isinstance(result_type, str):
        try:
            parsed = spark.createDataFrame([], f"v {result_type}").schema["v"].dataType
        except Exception as exc:  # pyspark raises several parse exception classes
            raise InvalidParameterError(
                f"result_type {result_type!r} is not a Spark type; use e.g. 'double', 'long', "
                "'string' or 'array<double>'"
            ) from exc
        result_type = parsed
    if not isinstance(result_type, DataType):
        raise InvalidParameterError(f"result_type must be a string or a DataType: {result_type!r}")
    if isinstance(result_type, StructType):
        leaves = [f.dataType for f in result_type.fields]
    elif isinstance(result_type, ArrayType):
        leaves = [result_type.elementType]
    else:
        leaves = [result_type]
    for leaf in leaves:
        if type(leaf).__name__ not in {*_NUMPY_TYPES, "StringType"}:
            raise InvalidParameterError(
                f"result_type {result_type.simpleString()!r} is not supported; use a number, "
                "boolean or string type, an array of one, or a struct of them"
            )
    return result_type


def _ship(spark: SparkSession, model_dir: str) -> str:
    """Zip the model once and hand it to Spark, which unpacks it once per executor."""
    folder = tempfile.mkdtemp(prefix="mltrack-spark-")
    atexit.register(shutil.rmtree, folder, True)  # executors fetch it until the driver ends
    base = os.path.join(folder, f"mltrack-model-{uuid.uuid4().hex}")
    archive = shutil.make_archive(base, "zip", root_dir=model_dir)
    spark.sparkContext.addArchive(archive)
    return os.path.basename(archive)


def _load(archive: str) -> PyFuncModel:
    """The model shipped as ``archive``, loaded once per Python worker."""
    model = _LOADED.get(archive)
    if model is None:
        from pyspark import SparkFiles

        from jupyter_mltrack.models.pyfunc import load_pyfunc

        model = _LOADED[archive] = load_pyfunc(SparkFiles.get(archive))
    return model


def _predict_batches(
    archive: str,
    result_type: DataType,
    params: dict[str, Any] | None,
    names: list[str],
    batches: Iterator[pd.DataFrame],
) -> Iterator[pd.Series]:
    model = _load(archive)
    for batch in batches:
        if len(batch) == 0:
            continue
        predictions = model.predict(_by_name(batch, names), params=params)
        yield _to_result(predictions, result_type, len(batch))


def _by_name(batch: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Name the columns as the signature does: by name when they match, else by position."""
    if not names or set(names) <= set(batch.columns) or len(batch.columns) != len(names):
        return batch
    return batch.set_axis(names, axis=1)


def _to_result(predictions: Any, result_type: DataType, rows: int) -> pd.Series:
    from pyspark.sql.types import ArrayType, StructType

    if isinstance(result_type, StructType):
        frame = _frame(predictions)
        missing = [f.name for f in result_type.fields if f.name not in frame.columns]
        if missing:
            raise InvalidParameterError(
                f"The predictions have no column(s) {missing} for the struct result_type; "
                f"they have {list(frame.columns)}"
            )
        out = pd.DataFrame({f.name: _cast(frame[f.name], f.dataType) for f in result_type.fields})
        return cast("pd.Series", out)  # Spark takes a DataFrame for a struct result
    if isinstance(result_type, ArrayType):
        values = predictions.to_numpy() if isinstance(predictions, pd.DataFrame) else predictions
        dtype = _numpy_type(result_type.elementType)
        # A 1-D prediction becomes a one-element array per row, as in MLflow.
        series = pd.Series([np.atleast_1d(np.asarray(row, dtype=dtype)) for row in values])
    else:
        frame = _frame(predictions)
        series = _cast(frame.iloc[:, 0], result_type)
    if len(series) != rows:
        raise InvalidParameterError(f"The model returned {len(series)} predictions for {rows} rows")
    return series.reset_index(drop=True)


def _frame(predictions: Any) -> pd.DataFrame:
    if isinstance(predictions, pd.DataFrame):
        return predictions
    if isinstance(predictions, pd.Series):
        return predictions.to_frame()
    array = np.asarray(predictions)
    return pd.DataFrame(array.reshape(len(array), -1) if array.ndim != 1 else {0: array})


def _numpy_type(data_type: DataType) -> Any:
    return _NUMPY_TYPES.get(type(data_type).__name__, object)


def _cast(column: pd.Series, data_type: DataType) -> pd.Series:
    name = type(data_type).__name__
    if name == "StringType":
        return column.astype(str)
    dtype = _NUMPY_TYPES[name]
    if np.issubdtype(dtype, np.integer) and not (
        pd.api.types.is_integer_dtype(column) or pd.api.types.is_bool_dtype(column)
    ):
        raise InvalidParameterError(
            f"The model predicts {column.dtype} values, which do not fit result_type "
            f"{data_type.simpleString()!r}; ask for 'double' or 'string'"
        )
    return column.astype(dtype)
