"""Save, log and load XGBoost models in MLflow's ``xgboost`` flavor.

Example:
    >>> from jupyter_mltrack import xgboost as mlt_xgb
    >>> info = mlt_xgb.log_model(booster, "model", input_example=X[:5])  # doctest: +SKIP
    >>> booster = mlt_xgb.load_model(info.model_uri)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.models.flavors._save import Requirements
from jupyter_mltrack.models.flavors.xgboost import get_default_pip_requirements, save_model

if TYPE_CHECKING:
    from jupyter_mltrack.model_logging.core import ModelInfo
    from jupyter_mltrack.models.signature import ModelSignature

__all__ = [
    "get_default_pip_requirements",
    "load_model",
    "log_model",
    "save_model",
]


def log_model(
    xgb_model: Any,
    name: str,
    *,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    model_format: str = "ubj",
    metadata: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Save an XGBoost model and log it to the active run under ``name``.

    Takes the options of :func:`~jupyter_mltrack.models.flavors.xgboost.save_model` (extra
    keyword arguments go to the model's ``save_model``). Starts a run when none is active.

    Example:
        >>> info = log_model(booster, "model", input_example=X[:5])  # doctest: +SKIP
        >>> info.model_uri  # doctest: +SKIP
        'runs:/0f3c.../model'
    """
    from jupyter_mltrack.model_logging.core import log_model as log_any_model

    return log_any_model(
        functools.partial(save_model, xgb_model),
        name,
        registered_model_name=registered_model_name,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        model_format=model_format,
        **kwargs,
    )


def load_model(model_uri: PathLike, *, verify: bool = True) -> Any:
    """Load the XGBoost model of a model: a local path, ``file://``, ``runs:/`` or ``models:/`` URI.

    Returns the saved class: an ``xgboost.Booster`` or the scikit-learn API estimator.

    Raises:
        ModelFormatError: No xgboost flavor, or a file changed since saving (``verify=False``
            skips the check).

    Example:
        >>> booster = load_model("models:/churn/3")  # doctest: +SKIP
    """
    from jupyter_mltrack.models.flavors import xgboost as flavor
    from jupyter_mltrack.models.uri import resolve_model_uri

    model_dir = resolve_model_uri(model_uri)
    return flavor.load_model(model_dir, verify=verify)
