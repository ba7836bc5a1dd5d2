"""Save, log and load XGBoost models in MLflow's ``xgboost`` flavor; XGBoost autologging.

The public door MLflow users expect (``mlflow.xgboost`` becomes ``jupyter_mltrack.xgboost``); the
code lives in :mod:`jupyter_mltrack.model_logging.xgboost`. XGBoost itself is imported only when
a function here is called.
"""

from jupyter_mltrack.model_logging.autolog.xgboost import autolog
from jupyter_mltrack.model_logging.xgboost import (
    get_default_pip_requirements,
    load_model,
    log_model,
    save_model,
)

__all__ = ["autolog", "get_default_pip_requirements", "load_model", "log_model", "save_model"]
