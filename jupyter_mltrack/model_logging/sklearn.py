"""Save, log and load scikit-learn models in MLflow's ``sklearn`` flavor.

Example:
    >>> import jupyter_mltrack as mlt
    >>> import jupyter_mltrack.sklearn
    >>> info = jupyter_mltrack.sklearn.log_model(rf, "model", input_example=X[:5])  # doctest: +SKIP
    >>> model = jupyter_mltrack.sklearn.load_model(info.model_uri)  # doctest: +SKIP

Warning:
    Models saved with ``serialization_format="cloudpickle"`` or ``"pickle"`` run code when loaded:
    only load models you trust. The default ``"skops"`` format loads only trusted types.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.models.flavors._save import Requirements
from jupyter_mltrack.models.flavors.sklearn import SerializationFormat, save_model

if TYPE_CHECKING:
    from jupyter_mltrack.model_logging.core import ModelInfo
    from jupyter_mltrack.models.signature import ModelSignature

__all__ = ["load_model", "log_model", "save_model"]


def log_model(
    sk_model: Any,
    name: str,
    *,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Mapping[str, Any] | None = None,
    serialization_format: SerializationFormat = "skops",
    skops_trusted_types: Iterable[str] | None = None,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Save a scikit-learn estimator and log it to the active run under ``name``.

    Takes the options of :func:`save_model`. Starts a run when none is active.

    Example:
        >>> info = log_model(rf, "model", input_example=X[:5])  # doctest: +SKIP
        >>> info.model_uri  # doctest: +SKIP
        'runs:/0f3c.../model'
    """
    from jupyter_mltrack.model_logging.core import log_model as log_any_model

    return log_any_model(
        functools.partial(save_model, sk_model),
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
    """Load the scikit-learn estimator of a model: a local path, ``file://`` or ``runs:/`` URI.

    Loading a ``cloudpickle`` or ``pickle`` model runs code from the file: only load models you
    trust. skops models trust their recorded scikit-learn, numpy and scipy types automatically;
    name any other type in ``skops_trusted_types``.

    Raises:
        ModelFormatError: No sklearn flavor, a file changed since saving (``verify=False`` skips
            the check), or untrusted skops types (named in the message).

    Example:
        >>> rf = load_model("runs:/0f3c.../model")  # doctest: +SKIP
    """
    from jupyter_mltrack.models.flavors import sklearn as flavor
    from jupyter_mltrack.models.uri import resolve_model_uri

    model_dir = resolve_model_uri(model_uri)
    return flavor.load_model(model_dir, skops_trusted_types=skops_trusted_types, verify=verify)
