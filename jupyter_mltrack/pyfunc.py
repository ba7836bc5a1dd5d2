"""Custom Python models and the ``python_function`` interface every model offers.

The public door MLflow users expect (``mlflow.pyfunc`` becomes ``jupyter_mltrack.pyfunc``); the
code lives in :mod:`jupyter_mltrack.model_logging.pyfunc`.
"""

from jupyter_mltrack.model_logging.pyfunc import (
    PyFuncModel,
    PythonModel,
    PythonModelContext,
    load_model,
    log_model,
    save_model,
    spark_udf,
)

__all__ = [
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
    "spark_udf",
]
