"""Save, log and load LightGBM models in MLflow's ``lightgbm`` flavor.

Boosters are stored as LightGBM's ``model.lgb`` text file; scikit-learn API estimators as
``model.skops`` (default) or ``model.pkl``. See :mod:`jupyter_mltrack.models.flavors.lightgbm`.

Example:
    >>> import jupyter_mltrack.lightgbm
    >>> info = jupyter_mltrack.lightgbm.log_model(booster, "model")  # doctest: +SKIP
    >>> booster = jupyter_mltrack.lightgbm.load_model(info.model_uri)  # doctest: +SKIP

Warning:
    Models saved with ``serialization_format="cloudpickle"`` or ``"pickle"`` run code when loaded:
    only load models you trust.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.models.flavors._save import Requirements
from jupyter_mltrack.models.flavors.lightgbm import (
    SerializationFormat,
    get_default_pip_requirements,
    save_model,
)

if TYPE_CHECKING:
    from jupyter_mltrack.model_logging.core import ModelInfo
    from jupyter_mltrack.models.signature import ModelSignature

__all__ = ["get_default_pip_requirements", "load_model", "log_model", "save_model"]


def log_model(
    lgb_model: Any,
    name: str,
    *,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Mapping[str, Any] | None = None,
    serialization_format: SerializationFormat = "skops",
    skops_trusted_types: Iterable[str] | None = None,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Save a LightGBM Booster or estimator and log it to the active run under ``name``.

    Takes the options of :func:`save_model`. Starts a run when none is active; with
    ``registered_model_name`` the model is also registered (loadable as ``models:/name/1``).

    Example:
        >>> info = log_model(booster, "model", input_example=X[:5])  # doctest: +SKIP
        >>> info.model_uri  # doctest: +SKIP
        'runs:/0f3c.../model'
    """
    from jupyter_mltrack.model_logging.core import log_model as log_any_model

    return log_any_model(
        functools.partial(save_model, lgb_model),
        name,
        registered_model_name=registered_model_name,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        serialization_format=serialization_format,
        skops_trusted_types=skops_trusted_types,
    )


def load_model(
    model_uri: PathLike,
    *,
    skops_trusted_types: Iterable[str] | None = None,
    verify: bool = True,
) -> Any:
    """Load a LightGBM model: a local path, ``file://``, ``runs:/`` or ``models:/`` URI.

    Returns a ``lightgbm.Booster`` or the scikit-learn API estimator that was saved. Loading a
    ``cloudpickle`` or ``pickle`` model runs code from the file: only load models you trust.

    Raises:
        ModelFormatError: No lightgbm flavor, a file changed since saving (``verify=False``
            skips the check), or untrusted skops types (named in the message).

    Example:
        >>> booster = load_model("models:/churn/1")  # doctest: +SKIP
    """
    from jupyter_mltrack.models.flavors import lightgbm as flavor
    from jupyter_mltrack.models.uri import resolve_model_uri

    model_dir = resolve_model_uri(model_uri)
    return flavor.load_model(model_dir, skops_trusted_types=skops_trusted_types, verify=verify)
