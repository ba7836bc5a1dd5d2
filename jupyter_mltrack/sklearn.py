"""Save, log and load scikit-learn models in MLflow's ``sklearn`` flavor; sklearn autologging.

The public door MLflow users expect (``mlflow.sklearn`` becomes ``jupyter_mltrack.sklearn``); the
code lives in :mod:`jupyter_mltrack.model_logging.sklearn`.
"""

from jupyter_mltrack.model_logging.autolog.sklearn import autolog
from jupyter_mltrack.model_logging.sklearn import load_model, log_model, save_model

__all__ = ["autolog", "load_model", "log_model", "save_model"]
