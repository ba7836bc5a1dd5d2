"""Custom Python models on disk: ``python_model.pkl`` + ``artifacts/`` + ``code/``.

The layout and the ``python_function`` flavor block are MLflow's (``loader_module:
mlflow.pyfunc.model``), so MLflow loads models saved here and we load MLflow's. Unpickling maps
MLflow's ``PythonModel`` and ``PythonModelContext`` classes to ours, so a custom model whose class
was pickled by value (defined in a notebook) loads without MLflow installed.

Warning:
    ``python_model.pkl`` is a cloudpickle file: loading it runs code stored in it. Only load
    models you trust.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

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
from jupyter_mltrack.models.pyfunc import (
    FLAVOR_NAME,
    PythonModel,
    PythonModelContext,
    TypeHints,
    predict_caller,
)

if TYPE_CHECKING:
    from jupyter_mltrack.models.mlmodel import Model
    from jupyter_mltrack.models.signature import ModelSignature

__all__ = [
    "add_code_to_path",
    "copy_code_paths",
    "load_custom_model",
    "save_custom_files",
    "save_model",
]

PYTHON_MODEL_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"
CODE_DIR = "code"
LOADER_MODULE = "mlflow.pyfunc.model"
# Classes an MLflow-pickled custom model refers to, mapped to ours so it loads without MLflow.
_MLFLOW_ALIASES = {
    ("mlflow.models.signature", "_TypeHints"): TypeHints,
    ("mlflow.pyfunc.model", "PythonModel"): PythonModel,
    ("mlflow.pyfunc", "PythonModel"): PythonModel,
    ("mlflow.pyfunc.model", "PythonModelContext"): PythonModelContext,
    ("mlflow.pyfunc", "PythonModelContext"): PythonModelContext,
}


def save_custom_files(
    model_dir: str,
    python_model: PythonModel,
    *,
    artifacts: Mapping[str, PathLike] | None,
    code_paths: Sequence[PathLike] | None,
) -> dict[str, Any]:
    """Write the custom model's files into ``model_dir``; return its python_function flavor."""
    import cloudpickle

    if not isinstance(python_model, PythonModel) and not callable(
        getattr(python_model, "predict", None)
    ):
        raise InvalidParameterError(
            f"python_model must be a PythonModel subclass instance, got {type(python_model)!r}"
        )
    code = copy_code_paths(model_dir, code_paths)
    saved = _copy_artifacts(model_dir, artifacts or {})
    with open(os.path.join(model_dir, PYTHON_MODEL_FILE), "wb") as out:
        cloudpickle.dump(python_model, out)
    return {
        "loader_module": LOADER_MODULE,
        "python_model": PYTHON_MODEL_FILE,
        "cloudpickle_version": cloudpickle.__version__,
        "code": code,
        "streamable": False,
        **({"artifacts": saved} if saved else {}),
    }


def copy_code_paths(model_dir: str, code_paths: Sequence[PathLike] | None) -> str | None:
    """Copy files and packages in ``code_paths`` to ``<model_dir>/code``; return ``"code"``."""
    if not code_paths:
        return None
    if isinstance(code_paths, str | os.PathLike):
        raise InvalidParameterError("code_paths must be a list of paths, not a single path")
    target = os.path.join(model_dir, CODE_DIR)
    os.makedirs(target, exist_ok=True)
    for path in code_paths:
        _copy_into(os.fspath(path), target, what="code path")
    return CODE_DIR


def _copy_artifacts(model_dir: str, artifacts: Mapping[str, PathLike]) -> dict[str, Any]:
    from jupyter_mltrack.models.uri import resolve_model_uri

    saved: dict[str, Any] = {}
    for name, uri in artifacts.items():
        local = resolve_model_uri(uri)
        base = os.path.basename(local.rstrip("/\\"))
        rel = f"{ARTIFACTS_DIR}/{base}"
        if os.path.exists(os.path.join(model_dir, rel)):  # two artifacts with the same file name
            rel = f"{ARTIFACTS_DIR}/{name}/{base}"
        target_dir = os.path.dirname(os.path.join(model_dir, rel))
        os.makedirs(target_dir, exist_ok=True)
        _copy_into(local, target_dir)
        saved[name] = {"path": rel, "uri": os.fspath(uri)}
    return saved


def _copy_into(path: str, target_dir: str, *, what: str = "artifact") -> None:
    destination = os.path.join(target_dir, os.path.basename(path.rstrip("/\\")))
    if os.path.isdir(path):
        shutil.copytree(path, destination, ignore=shutil.ignore_patterns("__pycache__"))
    elif os.path.isfile(path):
        shutil.copy2(path, destination)
    else:
        raise InvalidParameterError(f"The {what} {path!r} does not exist")


def add_code_to_path(model_dir: str, code: object) -> None:
    """Put the model's ``code`` directory first on ``sys.path`` (as MLflow does)."""
    if not code:
        return
    code_dir = os.path.join(model_dir, str(code))
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        alias = _MLFLOW_ALIASES.get((module, name))
        return alias if alias is not None else super().find_class(module, name)


class _CustomModel:
    """The python_function implementation of a loaded custom model."""

    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context
        self._call = predict_caller(python_model.predict)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._call(self.context, data, params)

    def unwrap_python_model(self) -> Any:
        return self.python_model


def load_custom_model(model_dir: str, mlmodel: Model, model_config: dict[str, Any]) -> Any:
    """Unpickle ``python_model.pkl``, build its context and run ``load_context`` (runs code)."""
    conf = mlmodel.flavors[FLAVOR_NAME]
    add_code_to_path(model_dir, conf.get("code"))
    if conf.get("python_model") is None:
        raise ModelFormatError(
            f"The model at {model_dir!r} is a custom model saved as code (models-from-code), "
            "which is not supported; save the model with python_model=<PythonModel instance>"
        )
    path = os.path.join(model_dir, str(conf["python_model"]))
    try:
        with open(path, "rb") as handle:
            python_model = _Unpickler(handle).load()
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise ModelFormatError(f"Cannot read the custom model file {path!r}: {exc}") from exc
    artifacts = {
        name: os.path.join(model_dir, str(info["path"]))
        for name, info in (conf.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts=artifacts, model_config=model_config)
    python_model.load_context(context)
    return _CustomModel(python_model, context)


def save_model(
    path: PathLike,
    *,
    python_model: PythonModel | None = None,
    artifacts: Mapping[str, PathLike] | None = None,
    code_paths: Sequence[PathLike] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Mapping[str, Any] | None = None,
) -> Model:
    """Save a custom :class:`PythonModel` as a model directory at ``path``; return its MLmodel.

    The model is pickled with cloudpickle into ``python_model.pkl``; ``artifacts`` (name -> local
    path or URI) are copied into ``artifacts/`` and ``code_paths`` into ``code/``, which is put
    on ``sys.path`` when the model is loaded. Loading the model runs the pickled code: only load
    models you trust.

    Example:
        >>> save_model("add_two", python_model=AddN(2), code_paths=["mine.py"])  # doctest: +SKIP

    Raises:
        InvalidParameterError: No ``python_model``, or a missing artifact or code path.
        AlreadyExistsError: ``path`` exists and is not empty.
    """
    if python_model is None:
        raise InvalidParameterError("save_model needs python_model=<a PythonModel instance>")
    options = SaveOptions(
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )
    return save_into_new_dir(
        path, lambda model_dir: _save(model_dir, python_model, artifacts, code_paths, options)
    )


def _save(
    model_dir: str,
    python_model: PythonModel,
    artifacts: Mapping[str, PathLike] | None,
    code_paths: Sequence[PathLike] | None,
    options: SaveOptions,
) -> Model:
    from jupyter_mltrack.models.mlmodel import Model

    conf = save_custom_files(model_dir, python_model, artifacts=artifacts, code_paths=code_paths)
    mlmodel = Model().add_flavor(
        FLAVOR_NAME, env=dict(ENV_BLOCK), python_version=python_version(), **conf
    )
    paths = {
        name: os.path.join(model_dir, info["path"])
        for name, info in conf.get("artifacts", {}).items()
    }

    def predict(example: Any) -> Any:
        context = PythonModelContext(artifacts=paths)
        python_model.load_context(context)
        return predict_caller(python_model.predict)(context, example, None)

    packages = ["cloudpickle"]
    if isinstance(python_model, PythonModel):
        packages.append("jupyter_mltrack")
    return finish_model(model_dir, mlmodel, options, predict=predict, default_packages=packages)
