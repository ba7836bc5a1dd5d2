"""Save, log and load PyTorch models in MLflow's ``pytorch`` flavor; state dicts too.

Example:
    >>> from jupyter_mltrack import pytorch as mlt_pytorch
    >>> info = mlt_pytorch.log_model(net, "model", input_example=X[:4])  # doctest: +SKIP
    >>> net2 = mlt_pytorch.load_model(info.model_uri)  # doctest: +SKIP

Warning:
    Models saved with ``serialization_format="pickle"`` run code when loaded: only load models
    you trust. The default ``"pt2"`` format stores a ``torch.export`` program instead.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.models.flavors._save import Requirements
from jupyter_mltrack.models.flavors.pytorch import (
    SerializationFormat,
    get_default_pip_requirements,
    save_model,
    save_state_dict,
)

if TYPE_CHECKING:
    from jupyter_mltrack.model_logging.core import ModelInfo
    from jupyter_mltrack.models.signature import ModelSignature

__all__ = [
    "get_default_pip_requirements",
    "load_model",
    "load_state_dict",
    "log_model",
    "log_state_dict",
    "save_model",
    "save_state_dict",
]


def log_model(
    pytorch_model: Any,
    name: str,
    *,
    code_paths: Sequence[PathLike] | None = None,
    pickle_module: ModuleType | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Mapping[str, Any] | None = None,
    serialization_format: SerializationFormat | None = "pt2",
    **kwargs: Any,
) -> ModelInfo:
    """Save a PyTorch model and log it to the active run under ``name``.

    Takes the options of :func:`jupyter_mltrack.pytorch.save_model`; ``"pt2"`` (the default)
    needs ``input_example``. Starts a run when none is active.

    Example:
        >>> info = log_model(net, "model", input_example=X[:4])  # doctest: +SKIP
        >>> info.model_uri  # doctest: +SKIP
        'runs:/0f3c.../model'
    """
    from jupyter_mltrack.model_logging.core import log_model as log_any_model

    return log_any_model(
        functools.partial(save_model, pytorch_model),
        name,
        registered_model_name=registered_model_name,
        code_paths=code_paths,
        pickle_module=pickle_module,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        serialization_format=serialization_format,
        **kwargs,
    )


def load_model(
    model_uri: PathLike, *, device: str | None = None, verify: bool = True, **kwargs: Any
) -> Any:
    """Load the ``torch.nn.Module`` of a model: a path, ``file://``, ``runs:/`` or ``models:/`` URI.

    Loading a ``pickle`` model runs code from the file: only load models you trust.

    Args:
        model_uri: Where the model is.
        device: Move the model to this device after loading.
        verify: Check the files against the hashes recorded at save time.
        **kwargs: Passed to ``torch.load`` (``pickle`` models), e.g. ``map_location="cpu"``.

    Raises:
        ModelFormatError: No pytorch flavor, a file changed since saving, or an unreadable file.

    Example:
        >>> net = load_model("models:/digits/1")  # doctest: +SKIP
    """
    from jupyter_mltrack.models.flavors import pytorch as flavor
    from jupyter_mltrack.models.uri import resolve_model_uri

    model_dir = resolve_model_uri(model_uri)
    return flavor.load_model(model_dir, device=device, verify=verify, **kwargs)


def log_state_dict(state_dict: Mapping[str, Any], artifact_path: str, **kwargs: Any) -> None:
    """Save a state dict and log it to the active run under ``artifact_path`` (as MLflow).

    Example:
        >>> log_state_dict(net.state_dict(), "weights")  # doctest: +SKIP
        >>> load_state_dict(f"runs:/{run_id}/weights")  # doctest: +SKIP
    """
    from jupyter_mltrack.tracking.fluent_artifacts import log_artifacts

    with tempfile.TemporaryDirectory(prefix="mltrack-state-dict-") as tmp:
        local = os.path.join(tmp, "state_dict")
        save_state_dict(state_dict, local, **kwargs)
        log_artifacts(local, artifact_path)


def load_state_dict(state_dict_uri: PathLike, **kwargs: Any) -> dict[str, Any]:
    """Load a state dict saved by ``save_state_dict``/``log_state_dict`` (path or URI).

    Loads with ``weights_only=True`` unless ``kwargs`` say otherwise.

    Example:
        >>> net.load_state_dict(load_state_dict("runs:/0f3c.../weights"))  # doctest: +SKIP
    """
    from jupyter_mltrack.models.flavors import pytorch as flavor
    from jupyter_mltrack.models.uri import resolve_model_uri

    return flavor.load_state_dict(resolve_model_uri(state_dict_uri), **kwargs)
