"""Where models meet runs: log and load every flavor, evaluate, and autolog per library.

This package is the one layer that joins the MLmodel format (``models/``) with runs, artifacts and
the registry (``tracking/``, ``registry/``). Users import its public doors at the package root,
where MLflow users expect them: ``jupyter_mltrack.sklearn``, ``.pyfunc``, ``.xgboost``,
``.lightgbm``, ``.pytorch``, ``jupyter_mltrack.evaluate`` and ``jupyter_mltrack.autolog``.
"""

from __future__ import annotations

from jupyter_mltrack.model_logging.core import (
    LOGGED_MODELS_TAG,
    ModelInfo,
    log_model,
    logged_models,
)

__all__ = [
    "LOGGED_MODELS_TAG",
    "ModelInfo",
    "log_model",
    "logged_models",
]
