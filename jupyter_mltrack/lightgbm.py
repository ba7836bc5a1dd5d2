"""Save, log and load LightGBM models in MLflow's ``lightgbm`` flavor; LightGBM autologging.

The public door MLflow users expect (``mlflow.lightgbm`` becomes ``jupyter_mltrack.lightgbm``);
the code lives in :mod:`jupyter_mltrack.model_logging.lightgbm`.
"""

from jupyter_mltrack.model_logging.autolog.lightgbm import autolog
from jupyter_mltrack.model_logging.lightgbm import (
    get_default_pip_requirements,
    load_model,
    log_model,
    save_model,
)

__all__ = ["autolog", "get_default_pip_requirements", "load_model", "log_model", "save_model"]
