"""Reading and writing the ``data/`` directory of a ``pytorch`` model, and its pyfunc wrapper.

The layout is MLflow 3's: ``data/model.pt2`` (a ``torch.export`` program) or ``data/model.pth``
(``torch.save`` with a pickle module) plus ``data/pickle_module_info.txt`` naming that module.
Everything here imports torch, so the flavor module imports this one only inside functions.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import InvalidInputError, InvalidParameterError, ModelFormatError

if TYPE_CHECKING:
    from jupyter_mltrack.models.signature import ModelSignature

__all__ = [
    "EXPORTED_FILE",
    "MLFLOW_PICKLE_MODULE",
    "PICKLE_INFO_FILE",
    "SERIALIZED_FILE",
    "STATE_DICT_FILE",
    "PyTorchPyFunc",
    "default_device",
    "export_inputs",
    "export_program",
    "export_shapes",
    "load_from_data_dir",
    "pickle_module_name",
    "save_pickled",
]

logger = logging.getLogger(__name__)

EXPORTED_FILE = "model.pt2"
SERIALIZED_FILE = "model.pth"
STATE_DICT_FILE = "state_dict.pth"
PICKLE_INFO_FILE = "pickle_module_info.txt"
#: The name MLflow records for its cloudpickle module; ours stands in for it on both sides.
MLFLOW_PICKLE_MODULE = "mlflow.pytorch.pickle_module"
_OUR_PICKLE_MODULE = "jupyter_mltrack.models.flavors._pytorch_pickle"


def pickle_module_name(pickle_module: ModuleType | None) -> str:
    """Return the name to record for ``pickle_module`` (None: the cloudpickle default)."""
    if pickle_module is None or pickle_module.__name__ == _OUR_PICKLE_MODULE:
        return MLFLOW_PICKLE_MODULE  # so MLflow, which cannot import ours, loads the model
    return pickle_module.__name__


def _import_pickle_module(name: str, model_dir: str) -> ModuleType:
    try:
        return importlib.import_module(_OUR_PICKLE_MODULE if name == MLFLOW_PICKLE_MODULE else name)
    except ImportError as exc:
        raise ModelFormatError(
            f"The PyTorch model in {model_dir!r} was saved with pickle module {name!r}, which "
            "cannot be imported here; install the package that provides it"
        ) from exc


def export_inputs(model: Any, example: Any) -> list[Any]:
    """Return the example as a list of tensors for ``torch.export``, or say what is missing."""
    import numpy as np
    import torch

    if isinstance(model, torch.jit.ScriptModule):
        raise InvalidParameterError(
            "A torch.jit scripted model cannot be saved as 'pt2'; pass "
            "serialization_format='pickle'"
        )
    values = (example,) if isinstance(example, np.ndarray | torch.Tensor) else example
    if (
        not isinstance(values, tuple | list)
        or not values
        or not all(isinstance(v, np.ndarray | torch.Tensor) for v in values)
    ):
        raise InvalidParameterError(
            "serialization_format='pt2' needs input_example: a numpy array or torch tensor of a "
            "few rows (or a tuple of them), because torch.export traces the model on it. Pass "
            "input_example=X[:4], or save with serialization_format='pickle'"
        )
    return [torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in values]


def export_shapes(signature: ModelSignature | None, count: int) -> list[tuple[int, ...]]:
    """The signature's input shapes, one per example tensor (``-1``: a dynamic dimension)."""
    from jupyter_mltrack.models.types import TensorSpec

    specs = [] if signature is None or signature.inputs is None else list(signature.inputs)
    if len(specs) != count or not all(isinstance(s, TensorSpec) for s in specs):
        raise InvalidParameterError(
            f"serialization_format='pt2' needs a tensor signature with one input per example "
            f"tensor ({count}); pass signature=infer_signature(example_array, output_array) or "
            "save with serialization_format='pickle'"
        )
    return [tuple(spec.shape) for spec in specs if isinstance(spec, TensorSpec)]


def export_program(
    model: Any, tensors: Sequence[Any], shapes: Sequence[Sequence[int]], path: str
) -> None:
    """Export ``model`` with ``torch.export`` on the example ``tensors`` and save it at ``path``.

    Dimensions that are ``-1`` in the signature's ``shapes`` are exported as dynamic
    (``Dim.AUTO``: a size-1 example dimension stays static, as in MLflow).
    """
    import torch
    from torch.export import Dim

    dynamic_shapes = []
    for shape in shapes:
        dims = {index: Dim.AUTO for index, size in enumerate(shape) if size == -1}
        dynamic_shapes.append(dims or None)
    program = torch.export.export(model, tuple(tensors), dynamic_shapes=dynamic_shapes)
    torch.export.save(program, path)


def save_pickled(
    model: Any, data_dir: str, pickle_module: ModuleType | None, **kwargs: Any
) -> None:
    """Write ``model.pth`` and ``pickle_module_info.txt`` into ``data_dir`` as MLflow does."""
    import torch

    from jupyter_mltrack.models.flavors import _pytorch_pickle

    with open(os.path.join(data_dir, PICKLE_INFO_FILE), "w", encoding="utf-8") as out:
        out.write(pickle_module_name(pickle_module))
    path = os.path.join(data_dir, SERIALIZED_FILE)
    if isinstance(model, torch.jit.ScriptModule):
        torch.jit.save(model, path)
    else:
        torch.save(model, path, pickle_module=pickle_module or _pytorch_pickle, **kwargs)


def load_from_data_dir(data_dir: str, device: str | None = None, **kwargs: Any) -> Any:
    """Load the model stored in a ``data/`` directory (``model.pth`` or ``model.pt2``).

    ``kwargs`` go to ``torch.load`` for pickled models. Loading ``model.pth`` runs code from the
    file: only load models you trust.
    """
    import torch

    pickled = os.path.join(data_dir, SERIALIZED_FILE)
    exported = os.path.join(data_dir, EXPORTED_FILE)
    if os.path.isfile(pickled):
        model = _load_pickled(data_dir, pickled, **kwargs)
        model.eval()
        if device:
            model.to(device=device)
        return model
    if not os.path.isfile(exported):
        raise ModelFormatError(
            f"The PyTorch model directory {data_dir!r} holds neither {SERIALIZED_FILE} nor "
            f"{EXPORTED_FILE}; it is not a model saved by jupyter_mltrack or MLflow"
        )
    try:
        module = torch.export.load(exported).module()
    except Exception as exc:  # a truncated or foreign archive: say which file
        raise ModelFormatError(f"Cannot load the exported program {exported!r}: {exc}") from exc
    if device:
        _check_exported_device(module, device, exported)
    return module


def _load_pickled(data_dir: str, path: str, **kwargs: Any) -> Any:
    import torch

    info = os.path.join(data_dir, PICKLE_INFO_FILE)
    if "pickle_module" not in kwargs:
        name = MLFLOW_PICKLE_MODULE
        if os.path.isfile(info):
            with open(info, encoding="utf-8") as handle:
                name = handle.read().strip()
        kwargs["pickle_module"] = _import_pickle_module(name, data_dir)
    kwargs.setdefault("weights_only", False)  # a whole module is not weights only
    try:
        if _is_torchscript(path):
            return torch.jit.load(  # type: ignore[no-untyped-call]
                path, map_location=kwargs.get("map_location")
            )
        return torch.load(path, **kwargs)
    except (AttributeError, ImportError) as exc:  # the model's class is not importable here
        raise ModelFormatError(
            f"Cannot load the PyTorch model {path!r}: {exc}. Make the model's class importable "
            "(save with code_paths=[...], or with the default cloudpickle module)"
        ) from exc
    except (OSError, EOFError, RuntimeError, pickle.UnpicklingError) as exc:
        raise ModelFormatError(f"Cannot read the PyTorch model file {path!r}: {exc}") from exc


def _is_torchscript(path: str) -> bool:
    """A ``torch.jit.save`` archive (``torch.load`` would dispatch to ``torch.jit.load``)."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("/constants.pkl") for name in archive.namelist())


def _check_exported_device(module: Any, device: str, path: str) -> None:
    import itertools

    import torch

    target = torch.device(device).type
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        if tensor.device.type != target:
            raise ModelFormatError(
                f"The exported program {path!r} holds weights on {tensor.device.type!r} and "
                f"cannot run on {target!r}; save the model after model.to({target!r})"
            )


def default_device(model_config: Mapping[str, Any], pyfunc_conf: Mapping[str, Any]) -> str:
    """The device to predict on: ``model_config``, the saved config, else cuda if present."""
    import torch

    saved = pyfunc_conf.get("model_config") or {}
    device = model_config.get("device") or saved.get("device")
    if not device:
        device = os.environ.get("MLTRACK_DEFAULT_PREDICTION_DEVICE")
    if not device:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


class PyTorchPyFunc:
    """The python_function implementation of a PyTorch model, as MLflow's ``_PyTorchWrapper``.

    A DataFrame becomes one float32 tensor and the predictions a DataFrame with the same index; a
    numpy array goes in as it is and the predictions come back as a numpy array.
    """

    def __init__(self, model: Any, device: str = "cpu") -> None:
        self.pytorch_model = model
        self.device = device

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        import numpy as np
        import pandas as pd
        import torch

        if params and "device" in params:
            raise InvalidInputError(
                "'device' is not an inference param; choose it at load time with "
                "pyfunc.load_model(uri, model_config={'device': 'cuda'})"
            )
        if isinstance(data, pd.DataFrame):
            array = data.to_numpy(dtype=np.float32)
        elif isinstance(data, np.ndarray):
            array = data
        else:
            raise InvalidInputError(
                f"A PyTorch model predicts on a pandas DataFrame or a numpy array, not "
                f"{type(data).__name__}"
            )
        if not array.flags.writeable:  # torch warns on read-only arrays (enforced inputs are)
            array = array.copy()
        with torch.no_grad():
            output = self.pytorch_model(torch.from_numpy(array).to(self.device), **(params or {}))
            if not isinstance(output, torch.Tensor):
                raise InvalidInputError(
                    f"The PyTorch model returned {type(output).__name__}; the python_function "
                    "flavor needs a model whose forward returns one tensor"
                )
            predictions = output.to("cpu").numpy()
        if isinstance(data, pd.DataFrame):
            return pd.DataFrame(predictions, index=data.index)
        return predictions

    def get_raw_model(self) -> Any:
        """Return the ``torch.nn.Module`` (MLflow's name for it)."""
        return self.pytorch_model

    def unwrap_python_model(self) -> Any:
        return self.pytorch_model
