"""Save, log and load PyTorch models in MLflow's ``pytorch`` flavor; Lightning autologging.

The public door MLflow users expect (``mlflow.pytorch`` becomes ``jupyter_mltrack.pytorch``); the
code lives in :mod:`jupyter_mltrack.model_logging.pytorch`. Importing it does not import torch.
"""

from jupyter_mltrack.model_logging.autolog.pytorch import autolog
from jupyter_mltrack.model_logging.pytorch import (
    get_default_pip_requirements,
    load_model,
    load_state_dict,
    log_model,
    log_state_dict,
    save_model,
    save_state_dict,
)

__all__ = [
    "autolog",
    "get_default_pip_requirements",
    "load_model",
    "load_state_dict",
    "log_model",
    "log_state_dict",
    "save_model",
    "save_state_dict",
]
