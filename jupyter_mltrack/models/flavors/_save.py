"""The steps every flavor's ``save_model`` shares after writing its own files.

Signature (given, or inferred from the input example and the model's prediction on it), input
example files, environment files, the ``python_function`` flavor's ``env`` block, file hashes, and
finally the ``MLmodel`` file.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import AlreadyExistsError

if TYPE_CHECKING:
    from jupyter_mltrack.models.mlmodel import Model
    from jupyter_mltrack.models.signature import ModelSignature

__all__ = [
    "ENV_BLOCK",
    "Requirements",
    "SaveOptions",
    "create_model_dir",
    "finish_model",
    "python_version",
    "save_into_new_dir",
]

logger = logging.getLogger(__name__)

ENV_BLOCK = {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
#: A list of requirement lines, or the path of a requirements file.
Requirements: TypeAlias = str | os.PathLike[str] | Sequence[str] | None


class SaveOptions:
    """The options every flavor's ``save_model`` accepts, passed on to :func:`finish_model`."""

    __slots__ = (
        "extra_pip_requirements",
        "input_example",
        "metadata",
        "pip_requirements",
        "signature",
    )

    def __init__(
        self,
        *,
        signature: ModelSignature | None = None,
        input_example: Any = None,
        pip_requirements: Requirements = None,
        extra_pip_requirements: Requirements = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.signature = signature
        self.input_example = input_example
        self.pip_requirements = pip_requirements
        self.extra_pip_requirements = extra_pip_requirements
        self.metadata = metadata


def python_version() -> str:
    """Return the running interpreter's version as MLflow records it, e.g. ``"3.11.7"``."""
    return platform.python_version()


def create_model_dir(path: PathLike) -> str:
    """Create the directory ``path`` for a new model and return its absolute path.

    Raises:
        AlreadyExistsError: ``path`` exists and is not empty (as in MLflow).
    """
    model_dir = os.path.abspath(os.fspath(path))
    if os.path.isdir(model_dir) and os.listdir(model_dir):
        raise AlreadyExistsError(
            f"Cannot save a model into {model_dir!r}: the directory exists and is not empty; "
            "choose a new path or delete it first"
        )
    os.makedirs(model_dir, exist_ok=True)
    return model_dir


def save_into_new_dir(path: PathLike, write: Callable[[str], Model]) -> Model:
    """Create the model directory, fill it with ``write(model_dir)``, and never leave half of it.

    A failed save removes the directory again, so a retry with the same path works.
    """
    model_dir = create_model_dir(path)
    try:
        return write(model_dir)
    except BaseException:
        shutil.rmtree(model_dir, ignore_errors=True)
        raise


def finish_model(
    model_dir: str,
    mlmodel: Model,
    options: SaveOptions,
    *,
    predict: Callable[[Any], Any] | None,
    default_packages: Iterable[str],
) -> Model:
    """Write the example, signature and environment files, the hashes and the ``MLmodel``.

    Args:
        model_dir: The model directory, holding the flavor's files already.
        mlmodel: The model with its flavors added.
        options: The caller's save options.
        predict: Predicts on the input example to infer the output schema (None: inputs only).
        default_packages: Distributions the model needs to load (``requirements.txt``).
    """
    example = options.input_example
    signature = options.signature
    if signature is None and example is not None:
        signature = _infer_signature(example, predict)
    mlmodel.signature = signature
    if options.metadata is not None:
        mlmodel.metadata = dict(options.metadata)
    if example is not None:
        from jupyter_mltrack.models.input_example import save_input_example

        schema = signature.inputs if signature is not None else None
        mlmodel.saved_input_example_info = save_input_example(model_dir, example, schema=schema)
    from jupyter_mltrack.models.environment import write_environment_files
    from jupyter_mltrack.models.integrity import record_file_hashes

    write_environment_files(
        model_dir,
        pip_requirements=options.pip_requirements,
        extra_pip_requirements=options.extra_pip_requirements,
        default_packages=tuple(default_packages),
    )
    record_file_hashes(model_dir, mlmodel)
    mlmodel.save(model_dir)
    return mlmodel


def _infer_signature(example: Any, predict: Callable[[Any], Any] | None) -> ModelSignature:
    """Infer the signature as MLflow does, from the example and the prediction on it."""
    import numpy as np

    from jupyter_mltrack.models.signature import (
        ModelSignature,
        infer_param_schema,
        infer_schema,
    )

    data, params = example if _has_params(example) else (example, None)
    inputs = infer_schema(data)
    outputs = None
    if predict is not None:
        try:
            output = predict(data)
            if isinstance(output, np.ndarray) and output.ndim == 1 and not inputs.is_tensor_spec():
                import pandas as pd

                output = pd.Series(output)  # one prediction per row: a column, as MLflow infers
            outputs = infer_schema(output)
        except Exception as exc:  # the signature is a convenience; saving must not fail on it
            logger.warning("Could not infer the model's output schema from the example: %s", exc)
    return ModelSignature(inputs, outputs, infer_param_schema(params) if params else None)


def _has_params(example: Any) -> bool:
    """An example may be ``(data, params)`` to document inference params, as in MLflow."""
    return isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], Mapping)
