"""The ``python_function`` flavor: one ``predict`` for every model, whoever saved it.

:func:`load_pyfunc` reads a model directory's ``MLmodel``, checks its file hashes, and hands the
directory to the loader registered for the flavor's ``loader_module``. Loaders are looked up in a
small registry filled lazily on first use: our sklearn and custom-model loaders answer both to our
own module names and to MLflow's (``mlflow.sklearn``, ``mlflow.pyfunc.model``), so models saved by
MLflow load here without MLflow installed. :class:`PyFuncModel` enforces the model's signature
before calling the loaded implementation.

Warning:
    Loading a pickled model (``python_model.pkl``, ``model.pkl``) runs code stored in the file.
    Only load models you trust.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError, ModelFormatError

if TYPE_CHECKING:
    from jupyter_mltrack.models.mlmodel import Model

__all__ = [
    "FLAVOR_NAME",
    "PyFuncLoader",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "TypeHints",
    "load_model",
    "load_pyfunc",
    "predict_caller",
    "register_pyfunc_loader",
]

FLAVOR_NAME = "python_function"

#: ``loader(model_dir, mlmodel, model_config) -> implementation``; the implementation has
#: ``predict(model_input, params=None)`` and may have ``unwrap_python_model()``.
PyFuncLoader = Callable[[str, "Model", dict[str, Any]], Any]

_CUSTOM = "jupyter_mltrack.models.pyfunc_custom:load_custom_model"
_SKLEARN = "jupyter_mltrack.models.flavors.sklearn:load_sklearn_pyfunc"
_XGBOOST = "jupyter_mltrack.models.flavors.xgboost:load_xgboost_pyfunc"
_LIGHTGBM = "jupyter_mltrack.models.flavors.lightgbm:load_lightgbm_pyfunc"
_PYTORCH = "jupyter_mltrack.models.flavors.pytorch:load_pytorch_pyfunc"
#: Built-in loaders, imported on first use: ``loader_module`` -> ``"module:function"``.
_BUILTIN_LOADERS = {
    "mlflow.pyfunc.model": _CUSTOM,
    "jupyter_mltrack.models.pyfunc": _CUSTOM,
    "mlflow.sklearn": _SKLEARN,
    "jupyter_mltrack.models.flavors.sklearn": _SKLEARN,
    "mlflow.xgboost": _XGBOOST,
    "jupyter_mltrack.models.flavors.xgboost": _XGBOOST,
    "mlflow.lightgbm": _LIGHTGBM,
    "jupyter_mltrack.models.flavors.lightgbm": _LIGHTGBM,
    "mlflow.pytorch": _PYTORCH,
    "jupyter_mltrack.models.flavors.pytorch": _PYTORCH,
}
_loaders: dict[str, PyFuncLoader] = {}
_lock = threading.Lock()


@dataclass
class PythonModelContext:
    """What a custom model gets in ``load_context`` and ``predict``.

    Attributes:
        artifacts: Artifact name -> absolute local path of the file or directory saved with the
            model (the ``artifacts`` mapping given to ``save_model``).
        model_config: Settings passed to ``load_model(..., model_config=...)``.
    """

    artifacts: dict[str, str] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)


class TypeHints:
    """The type hints of a custom model's ``predict`` (MLflow's ``_TypeHints``; we keep none)."""

    def __init__(self, input_: Any = None, output: Any = None) -> None:
        self.input = input_
        self.output = output


class PythonModel:
    """Base class of custom models: subclass it and implement ``predict``.

    The instance is pickled with cloudpickle when saved. Load files named in ``artifacts`` in
    :meth:`load_context`, which runs once after loading.

    Example:
        >>> class AddN(PythonModel):
        ...     def __init__(self, n):
        ...         self.n = n
        ...
        ...     def predict(self, context, model_input, params=None):
        ...         return model_input + self.n
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Prepare the model after loading, e.g. read ``context.artifacts["weights"]``."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        """Return predictions for ``model_input`` (a DataFrame, an array, or what was passed)."""
        # Deliberately not an ABC: MLflow-pickled custom models are re-based onto this class on
        # load, and an abstract predict there makes such classes impossible to instantiate.
        raise NotImplementedError(f"{type(self).__name__} must implement predict()")

    @property
    def predict_type_hints(self) -> TypeHints:
        """No type hints; read by MLflow's loader when MLflow loads a model saved here."""
        return TypeHints()


def register_pyfunc_loader(loader_module: str, loader: PyFuncLoader) -> None:
    """Load models whose ``python_function`` flavor names ``loader_module`` with ``loader``.

    Example:
        >>> register_pyfunc_loader("mlflow.xgboost", load_xgboost_pyfunc)  # doctest: +SKIP
    """
    with _lock:
        _loaders[loader_module] = loader


def _loader_for(loader_module: str, model_dir: str) -> PyFuncLoader:
    with _lock:
        loader = _loaders.get(loader_module)
    if loader is not None:
        return loader
    target = _BUILTIN_LOADERS.get(loader_module)
    if target is None:
        known = sorted({*_BUILTIN_LOADERS, *_loaders})
        raise ModelFormatError(
            f"The model at {model_dir!r} needs the python_function loader {loader_module!r}, "
            f"which is not available (known: {', '.join(known)}); register one with "
            "jupyter_mltrack.models.pyfunc.register_pyfunc_loader"
        )
    module_name, function_name = target.split(":")
    loader = cast(PyFuncLoader, getattr(importlib.import_module(module_name), function_name))
    register_pyfunc_loader(loader_module, loader)
    return loader


class PyFuncModel:
    """A loaded model with one ``predict(data, params=None)`` whatever its flavor.

    Attributes:
        metadata: The model's ``MLmodel`` (:class:`~jupyter_mltrack.models.Model`).
        model_dir: The local directory the model was loaded from.
        loader_module: The ``loader_module`` of its ``python_function`` flavor.
    """

    def __init__(self, *, metadata: Model, model_dir: str, loader_module: str, impl: Any) -> None:
        self.metadata = metadata
        self.model_dir = model_dir
        self.loader_module = loader_module
        self._impl = impl
        signature = metadata.signature
        self._inputs = signature.inputs if signature is not None else None
        self._params = signature.params if signature is not None else None

    def __repr__(self) -> str:
        return f"<PyFuncModel {self.loader_module} from {self.model_dir!r}>"

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Check ``data`` and ``params`` against the signature, then return the predictions.

        ``data`` may be a pandas DataFrame, a numpy array, a dict of columns or a list of dicts.

        Raises:
            InvalidInputError: ``data`` or ``params`` violate the model's signature.

        Example:
            >>> model = load_pyfunc("model_dir")  # doctest: +SKIP
            >>> model.predict(df.head(3))  # doctest: +SKIP
            array([0, 0, 1])
        """
        if self._inputs is not None:
            from jupyter_mltrack.models.enforcement import enforce_schema, to_model_input

            data = enforce_schema(to_model_input(data), self._inputs)
        if self._params is not None:
            from jupyter_mltrack.models.enforcement import enforce_params

            params = enforce_params(params, self._params)
        return self._impl.predict(data, params=params)

    def unwrap_python_model(self) -> Any:
        """Return the underlying model: the sklearn estimator, or the ``PythonModel`` instance."""
        unwrap = getattr(self._impl, "unwrap_python_model", None)
        return unwrap() if callable(unwrap) else self._impl


def load_pyfunc(
    model_dir: str, *, verify: bool = True, model_config: Mapping[str, Any] | None = None
) -> PyFuncModel:
    """Load the model in the local directory ``model_dir`` through its ``python_function`` flavor.

    Args:
        model_dir: A directory with an ``MLmodel`` file (saved here or by MLflow).
        verify: Check the sha256 of each model file recorded at save time (if any).
        model_config: Settings for custom models, given to them as ``context.model_config``.

    Raises:
        ModelFormatError: No ``MLmodel``, no ``python_function`` flavor, an unknown loader, or a
            file that changed since the model was saved.

    Example:
        >>> model = load_pyfunc("/tmp/iris_model")  # doctest: +SKIP
    """
    from jupyter_mltrack.models.mlmodel import Model

    mlmodel = Model.load(model_dir)
    conf = mlmodel.flavors.get(FLAVOR_NAME)
    if not conf:
        raise ModelFormatError(
            f"The model at {model_dir!r} has no {FLAVOR_NAME} flavor (flavors: "
            f"{', '.join(mlmodel.flavors) or 'none'}); load it with its flavor's load_model"
        )
    if verify:
        verify_model_files(model_dir, mlmodel)
    loader_module = str(conf.get("loader_module", ""))
    loader = _loader_for(loader_module, model_dir)
    impl = loader(model_dir, mlmodel, dict(model_config or {}))
    return PyFuncModel(
        metadata=mlmodel, model_dir=model_dir, loader_module=loader_module, impl=impl
    )


def load_model(
    model_uri: PathLike, *, verify: bool = True, model_config: Mapping[str, Any] | None = None
) -> PyFuncModel:
    """Load any model through ``python_function``, from a path or a model URI.

    ``model_uri`` is a local path, ``file://``, ``runs:/`` or ``models:/`` URI (resolved by
    :func:`jupyter_mltrack.models.uri.resolve_model_uri`, which imports the layers that know runs
    and the registry only when such a URI comes).

    Example:
        >>> model = load_model("models:/churn@champion")  # doctest: +SKIP
    """
    from jupyter_mltrack.models.uri import resolve_model_uri

    return load_pyfunc(resolve_model_uri(model_uri), verify=verify, model_config=model_config)


def verify_model_files(model_dir: str, mlmodel: Model) -> None:
    """Check the recorded file hashes of a model directory; models without hashes pass."""
    if getattr(mlmodel, "file_hashes", None):
        from jupyter_mltrack.models.integrity import verify_file_hashes

        verify_file_hashes(model_dir, mlmodel)


def predict_caller(predict: Callable[..., Any]) -> Callable[[PythonModelContext, Any, Any], Any]:
    """Return ``call(context, data, params)`` for a custom ``predict`` of any allowed shape.

    MLflow allows ``predict(self, model_input)`` and ``predict(self, model_input, params)`` as
    well as the full ``predict(self, context, model_input, params=None)``; ``context`` and
    ``params`` are passed only where the method takes them.
    """
    names = list(_parameters(predict))
    takes_params = "params" in names
    positional = [name for name in names if name != "params"]
    takes_context = (bool(positional) and positional[0] == "context") or len(positional) >= 2

    def call(context: PythonModelContext, data: Any, params: Any) -> Any:
        args = (context, data) if takes_context else (data,)
        return predict(*args, params=params) if takes_params else predict(*args)

    return call


def _parameters(function: Callable[..., Any]) -> Mapping[str, inspect.Parameter]:
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"Cannot inspect the predict method {function!r}") from exc
