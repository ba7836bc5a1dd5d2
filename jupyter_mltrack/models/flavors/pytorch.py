"""The ``pytorch`` flavor: ``torch.nn.Module`` models in MLflow 3's ``data/`` layout.

Two serialization formats, as in MLflow 3:

* ``"pt2"`` (the default): ``data/model.pt2``, a program traced by ``torch.export`` on the input
  example (required). Loading it does not need the model's Python class.
* ``"pickle"``: ``data/model.pth`` written by ``torch.save`` with a pickle module (cloudpickle
  by default, so classes defined in a notebook are saved by value) and
  ``data/pickle_module_info.txt`` naming it. Scripted (``torch.jit``) models use this format.

The ``MLmodel`` carries a ``pytorch`` flavor block and a ``python_function`` block with
``loader_module: mlflow.pytorch`` exactly as MLflow writes them, so each side loads the other's
models. State dicts are saved on their own with :func:`save_state_dict`.

Warning:
    Loading a ``pickle`` model runs code stored in the file. Only load models you trust.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError, ModelFormatError
from jupyter_mltrack.models.flavors._save import (
    ENV_BLOCK,
    Requirements,
    SaveOptions,
    finish_model,
    python_version,
    save_into_new_dir,
)

if TYPE_CHECKING:
    from jupyter_mltrack.models.mlmodel import Model
    from jupyter_mltrack.models.signature import ModelSignature

__all__ = [
    "FLAVOR_NAME",
    "SERIALIZATION_FORMATS",
    "SerializationFormat",
    "get_default_pip_requirements",
    "load_model",
    "load_pytorch_pyfunc",
    "load_state_dict",
    "save_model",
    "save_state_dict",
]

logger = logging.getLogger(__name__)

FLAVOR_NAME = "pytorch"
SerializationFormat = Literal["pt2", "pickle"]
SERIALIZATION_FORMATS: tuple[str, ...] = ("pt2", "pickle")
DATA_DIR = "data"
_DEFAULT_PACKAGES = ("torch", "cloudpickle")  # MLflow's get_default_pip_requirements


def get_default_pip_requirements() -> list[str]:
    """Return ``torch`` and ``cloudpickle`` pinned to their installed versions (as MLflow)."""
    from jupyter_mltrack.models.environment import infer_pip_requirements

    return infer_pip_requirements(_DEFAULT_PACKAGES)


def save_model(
    pytorch_model: Any,
    path: PathLike,
    *,
    code_paths: Sequence[PathLike] | None = None,
    pickle_module: ModuleType | None = None,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Mapping[str, Any] | None = None,
    serialization_format: SerializationFormat | None = "pt2",
    **kwargs: Any,
) -> Model:
    """Save a PyTorch model as a model directory at ``path``; return its ``MLmodel``.

    Args:
        pytorch_model: A ``torch.nn.Module`` (a ``torch.jit`` scripted module needs
            ``serialization_format="pickle"``).
        path: A new (or empty) directory.
        code_paths: Files or packages the model's class needs, copied to ``code/``.
        pickle_module: The module ``torch.save`` pickles with (``"pickle"`` format); default
            cloudpickle.
        signature: The input/output schema; inferred from ``input_example`` when None. The
            ``"pt2"`` format needs a tensor signature: its ``-1`` dimensions are exported as
            dynamic.
        input_example: A numpy array or tensor of a few rows. Required by ``"pt2"``, which
            traces the model on it; a tuple of arrays exports a multi-input model (that model
            gets no ``python_function`` flavor, as in MLflow).
        pip_requirements: The requirements to record instead of the inferred ones.
        extra_pip_requirements: Requirements to record in addition to the inferred ones.
        metadata: Free-form information stored in the ``MLmodel``.
        serialization_format: ``"pt2"`` (``torch.export``; None means this too) or
            ``"pickle"`` (``torch.save``; runs code when loaded).
        **kwargs: Passed to ``torch.save`` (``"pickle"`` format).

    Raises:
        InvalidParameterError: Unknown format, not a ``torch.nn.Module``, or ``"pt2"`` without a
            usable input example or tensor signature.
        AlreadyExistsError: ``path`` exists and is not empty.

    Example:
        >>> save_model(net, "net_model", input_example=X[:4])  # doctest: +SKIP
    """
    import torch

    from jupyter_mltrack.models.flavors import _pytorch_io as io

    fmt = serialization_format or "pt2"
    if fmt not in SERIALIZATION_FORMATS:
        raise InvalidParameterError(
            f"Unknown serialization_format {fmt!r}; use 'pt2' (torch.export) or 'pickle'"
        )
    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidParameterError(
            f"pytorch_model must be a torch.nn.Module, got {type(pytorch_model).__name__}"
        )
    if signature is False and fmt == "pt2":
        raise InvalidParameterError(
            "serialization_format='pt2' needs a tensor signature (its -1 dimensions become "
            "dynamic); drop signature=False or save with serialization_format='pickle'"
        )
    tensors = io.export_inputs(pytorch_model, input_example) if fmt == "pt2" else None
    example = _savable_example(input_example)
    options = SaveOptions(
        signature=signature or None,
        input_example=example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )
    if tensors is not None and signature is None:
        options.signature = _infer_signature(pytorch_model, example)

    def write(model_dir: str) -> Model:
        mlmodel = _save(
            pytorch_model, model_dir, options, tensors, code_paths, pickle_module, kwargs
        )
        if signature is False and mlmodel.signature is not None:
            mlmodel.signature = None  # the example is kept; the caller asked for no signature
            mlmodel.save(model_dir)
        return mlmodel

    return save_into_new_dir(path, write)


def _savable_example(example: Any) -> Any:
    """The example as the input-example files store it: tensors become numpy arrays.

    A tuple of several arrays (a multi-input model) is not stored, as in MLflow.
    """
    import numpy as np

    if _is_tensor(example):
        return example.detach().cpu().numpy()
    several = isinstance(example, tuple | list) and bool(example)
    if several and all(isinstance(v, np.ndarray) or _is_tensor(v) for v in example):
        return None
    return example


def _is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _infer_signature(model: Any, example: Any) -> ModelSignature | None:
    """Infer the tensor signature ``torch.export`` needs before exporting (None: multi-input)."""
    from jupyter_mltrack.models.flavors._pytorch_io import PyTorchPyFunc
    from jupyter_mltrack.models.signature import ModelSignature, infer_schema

    if example is None:
        return None
    inputs = infer_schema(example)
    try:
        outputs = infer_schema(PyTorchPyFunc(model, "cpu").predict(example))
    except Exception as exc:  # the output schema is a convenience; saving must not fail on it
        logger.warning("Could not infer the model's output schema from the example: %s", exc)
        outputs = None
    return ModelSignature(inputs, outputs)


def _save(
    model: Any,
    model_dir: str,
    options: SaveOptions,
    tensors: list[Any] | None,
    code_paths: Sequence[PathLike] | None,
    pickle_module: ModuleType | None,
    torch_save_kwargs: dict[str, Any],
) -> Model:
    import torch

    from jupyter_mltrack.models.flavors import _pytorch_io as io
    from jupyter_mltrack.models.mlmodel import Model
    from jupyter_mltrack.models.pyfunc_custom import copy_code_paths

    code = copy_code_paths(model_dir, code_paths)
    data_dir = os.path.join(model_dir, DATA_DIR)
    os.makedirs(data_dir)
    if tensors is not None:
        shapes = io.export_shapes(options.signature, len(tensors))
        io.export_program(model, tensors, shapes, os.path.join(data_dir, io.EXPORTED_FILE))
    else:
        logger.info("Saving a PyTorch model with pickle: loading it will run code from the file")
        io.save_pickled(model, data_dir, pickle_module, **torch_save_kwargs)
    mlmodel = Model()
    mlmodel.add_flavor(
        FLAVOR_NAME, model_data=DATA_DIR, pytorch_version=str(torch.__version__), code=code
    )
    if tensors is None or (len(tensors) == 1 and options.input_example is not None):
        pyfunc_conf: dict[str, Any] = {
            "pickle_module_name": io.pickle_module_name(pickle_module),
            "loader_module": "mlflow.pytorch",
            "python_version": python_version(),
            "data": DATA_DIR,
            "env": dict(ENV_BLOCK),
            "model_config": {"device": None},
        }
        if code:
            pyfunc_conf["code"] = code
        mlmodel.add_flavor("python_function", **pyfunc_conf)
    return finish_model(
        model_dir,
        mlmodel,
        options,
        predict=lambda example: io.PyTorchPyFunc(model, "cpu").predict(example),
        default_packages=[*_DEFAULT_PACKAGES, *_model_packages(model, tensors is None)],
    )


def _model_packages(model: Any, pickled: bool) -> list[str]:
    """Distributions a pickled model's classes come from (e.g. ``lightning``), besides torch.

    Only top-level modules named like their distribution are found: scanning every installed
    distribution for its modules takes seconds, too slow for autologging after each fit.
    """
    if not pickled:
        return []  # an exported program needs only torch
    found: list[str] = []
    for cls in type(model).__mro__:
        top = cls.__module__.split(".", 1)[0]
        name = _distribution_of(top)
        if name is not None and name not in found and name.lower() != "torch":
            found.append(name)
    return found


@functools.lru_cache(maxsize=64)
def _distribution_of(module: str) -> str | None:
    from importlib import metadata

    if module in sys.stdlib_module_names or module in {"__main__", "builtins"}:
        return None
    try:
        return str(metadata.distribution(module).metadata["Name"])
    except metadata.PackageNotFoundError:
        return None


def load_model(
    model_dir: PathLike, *, device: str | None = None, verify: bool = True, **kwargs: Any
) -> Any:
    """Load the ``torch.nn.Module`` of the model in the local directory ``model_dir``.

    A ``pickle`` model runs code while loading: only load models you trust. A ``pt2`` model
    loads as the exported program's module (``torch.fx.GraphModule``).

    Args:
        model_dir: A model directory with a ``pytorch`` flavor (saved here or by MLflow).
        device: Move the model to this device (``"cpu"``, ``"cuda"``).
        verify: Check the sha256 of each model file recorded at save time (if any).
        **kwargs: Passed to ``torch.load`` (``pickle`` format), e.g. ``map_location``.

    Raises:
        ModelFormatError: No ``pytorch`` flavor, a changed file, or an unreadable model file.
    """
    import torch

    from jupyter_mltrack.models.flavors._open import open_flavor
    from jupyter_mltrack.models.flavors._pytorch_io import load_from_data_dir

    directory, conf = open_flavor(model_dir, FLAVOR_NAME, verify=verify)
    saved_version = conf.get("pytorch_version")
    if saved_version and saved_version != torch.__version__:
        logger.warning(
            "The model was saved with torch %s; torch %s is installed",
            saved_version,
            torch.__version__,
        )
    data_dir = os.path.join(directory, str(conf.get("model_data") or DATA_DIR))
    return load_from_data_dir(data_dir, device, **kwargs)


def load_pytorch_pyfunc(model_dir: str, mlmodel: Model, model_config: dict[str, Any]) -> Any:
    """The python_function loader of PyTorch models (``loader_module: mlflow.pytorch``).

    The device comes from ``model_config["device"]``, else the
    ``MLTRACK_DEFAULT_PREDICTION_DEVICE`` environment variable, else cuda when available.
    """
    from jupyter_mltrack.models.flavors import _pytorch_io as io
    from jupyter_mltrack.models.pyfunc_custom import add_code_to_path

    pyfunc_conf = mlmodel.flavors["python_function"]
    add_code_to_path(model_dir, pyfunc_conf.get("code"))
    device = io.default_device(model_config, pyfunc_conf)
    data_dir = os.path.join(model_dir, str(pyfunc_conf.get("data") or DATA_DIR))
    return io.PyTorchPyFunc(io.load_from_data_dir(data_dir, device), device)


def save_state_dict(state_dict: Mapping[str, Any], path: PathLike, **kwargs: Any) -> None:
    """Save a state dict as ``<path>/state_dict.pth`` (MLflow's layout); ``kwargs`` to torch.save.

    Raises:
        InvalidParameterError: ``state_dict`` is not a dict.

    Example:
        >>> save_state_dict(net.state_dict(), "weights")  # doctest: +SKIP
    """
    import torch

    from jupyter_mltrack.models.flavors._pytorch_io import STATE_DICT_FILE

    if not isinstance(state_dict, dict):
        raise InvalidParameterError(
            f"state_dict must be a dict (model.state_dict()), got {type(state_dict).__name__}"
        )
    os.makedirs(os.fspath(path), exist_ok=True)
    torch.save(state_dict, os.path.join(os.fspath(path), STATE_DICT_FILE), **kwargs)


def load_state_dict(path: PathLike, **kwargs: Any) -> dict[str, Any]:
    """Load the state dict saved in the local directory ``path`` by :func:`save_state_dict`.

    Loads with ``weights_only=True`` unless ``kwargs`` say otherwise, so only tensors and plain
    containers are read (no code runs).

    Raises:
        ModelFormatError: No ``state_dict.pth`` in ``path``, or it cannot be read.
    """
    import pickle

    import torch

    from jupyter_mltrack.models.flavors._pytorch_io import STATE_DICT_FILE

    file = os.path.join(os.fspath(path), STATE_DICT_FILE)
    if not os.path.isfile(file):
        raise ModelFormatError(
            f"No {STATE_DICT_FILE} in {os.fspath(path)!r}; save it with save_state_dict"
        )
    kwargs.setdefault("weights_only", True)
    try:
        return dict(torch.load(file, **kwargs))
    except (OSError, EOFError, RuntimeError, pickle.UnpicklingError) as exc:
        raise ModelFormatError(f"Cannot read the state dict {file!r}: {exc}") from exc
