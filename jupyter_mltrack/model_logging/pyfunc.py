"""Custom Python models and the ``python_function`` interface every model offers.

Example:
    >>> from jupyter_mltrack import pyfunc
    >>> class AddN(pyfunc.PythonModel):
    ...     def __init__(self, n):
    ...         self.n = n
    ...
    ...     def predict(self, context, model_input, params=None):
    ...         return model_input + self.n
    >>> info = pyfunc.log_model("add_n", python_model=AddN(2))  # doctest: +SKIP
    >>> pyfunc.load_model(info.model_uri).predict(df)  # doctest: +SKIP

Warning:
    Custom models are pickled with cloudpickle; loading one runs code stored in the model. Only
    load models you trust.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.models.flavors._save import Requirements
from jupyter_mltrack.models.pyfunc import PyFuncModel, PythonModel, PythonModelContext
from jupyter_mltrack.models.pyfunc_custom import save_model

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DataType

    from jupyter_mltrack.model_logging.core import ModelInfo
    from jupyter_mltrack.models.signature import ModelSignature
    from jupyter_mltrack.models.spark import SparkModelUdf

__all__ = [
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
    "spark_udf",
]


def log_model(
    name: str,
    *,
    python_model: PythonModel | None = None,
    artifacts: Mapping[str, PathLike] | None = None,
    code_paths: Sequence[PathLike] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Mapping[str, Any] | None = None,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Save a custom :class:`PythonModel` and log it to the active run under ``name``.

    Takes the options of :func:`save_model`. Starts a run when none is active.

    Example:
        >>> files = {"vocab": "vocab.txt"}
        >>> info = log_model("model", python_model=AddN(2), artifacts=files)  # doctest: +SKIP
    """
    from jupyter_mltrack.model_logging.core import log_model as log_any_model

    return log_any_model(
        save_model,
        name,
        registered_model_name=registered_model_name,
        python_model=python_model,
        artifacts=artifacts,
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )


def load_model(
    model_uri: PathLike,
    *,
    verify: bool = True,
    model_config: Mapping[str, Any] | None = None,
) -> PyFuncModel:
    """Load any model with a ``python_function`` flavor (saved here or by MLflow) for ``predict``.

    ``model_uri`` is a local path, a ``file://`` URI or ``runs:/<run_id>/<path>``. Pickled models
    run code while loading: only load models you trust.

    Args:
        model_uri: Where the model is.
        verify: Check the sha256 of each model file recorded at save time.
        model_config: Settings given to custom models as ``context.model_config``.

    Raises:
        ModelFormatError: No ``MLmodel`` or ``python_function`` flavor, an unknown loader, or a
            file that changed since saving (the message names it).

    Example:
        >>> model = load_model("runs:/0f3c.../model")  # doctest: +SKIP
        >>> model.predict(df)  # doctest: +SKIP
    """
    from jupyter_mltrack.models.pyfunc import load_model as load_any

    return load_any(model_uri, verify=verify, model_config=model_config)


def spark_udf(
    spark: SparkSession,
    model_uri: PathLike,
    result_type: str | DataType = "double",
    *,
    env_manager: str = "local",
    params: dict[str, Any] | None = None,
) -> SparkModelUdf:
    """Return a Spark UDF that scores DataFrames with any ``python_function`` model.

    See :func:`jupyter_mltrack.models.spark.spark_udf`; ``model_uri`` may also be a ``runs:/``
    or ``models:/`` URI.

    Example:
        >>> udf = spark_udf(spark, "models:/forest/1", result_type="long")  # doctest: +SKIP
        >>> df.withColumn("prediction", udf()).show()  # doctest: +SKIP
    """
    from jupyter_mltrack.models.spark import spark_udf as make_udf
    from jupyter_mltrack.models.uri import resolve_model_uri

    model_dir = resolve_model_uri(model_uri)
    return make_udf(spark, model_dir, result_type, env_manager=env_manager, params=params)
