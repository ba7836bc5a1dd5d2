"""The ``xgboost`` flavor: Boosters and scikit-learn API estimators in XGBoost's own file format.

The model file is ``model.<model_format>`` (``ubj`` by default, as in MLflow 3; ``json`` and
``xgb`` on request), written with the model's ``save_model``. The ``MLmodel`` carries an
``xgboost`` flavor block (``xgb_version``, ``data``, ``model_class``, ``model_format``, ``code``)
and a ``python_function`` block with ``loader_module: mlflow.xgboost``, exactly as MLflow 3
writes them, so MLflow loads models saved here and :func:`load_model` loads models saved by MLflow.

Loading never unpickles: XGBoost's formats hold trees and parameters only. The class named in
``model_class`` is imported and must be an XGBoost ``Booster`` or ``XGBModel`` (sub)class.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from jupyter_mltrack._types import PathLike
from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError, ModelFormatError
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
    "MODEL_FORMATS",
    "get_default_pip_requirements",
    "load_model",
    "load_xgboost_pyfunc",
    "save_model",
]

logger = logging.getLogger(__name__)

FLAVOR_NAME = "xgboost"
#: The formats MLflow documents; XGBoost picks the encoding from the file's extension.
MODEL_FORMATS: tuple[str, ...] = ("ubj", "json", "xgb", "deprecated")
_DEFAULT_CLASS = "xgboost.core.Booster"  # MLflow < 1.22 recorded no model_class
#: The distributions that install the ``xgboost`` module; the first one installed is pinned.
_DISTRIBUTIONS = ("xgboost", "xgboost-cpu")


def _xgboost() -> Any:
    try:
        import xgboost
    except ImportError as exc:  # pragma: no cover - the dev environment has xgboost
        raise MissingDependencyError(
            "xgboost", extra="xgboost", feature="the xgboost flavor"
        ) from exc
    return xgboost


def get_default_pip_requirements() -> list[str]:
    """Return the pinned XGBoost distribution, e.g. ``["xgboost-cpu==3.2.0"]``.

    The installed distribution is named (``xgboost`` or ``xgboost-cpu``), as MLflow pins it.
    """
    from jupyter_mltrack.models.environment import infer_pip_requirements

    return infer_pip_requirements([_distribution()])


def _distribution() -> str:
    """The installed XGBoost distribution, found by name (scanning every package takes ~1 s)."""
    from importlib import metadata

    for name in _DISTRIBUTIONS:
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        return name
    return "xgboost"  # not installed: infer_pip_requirements leaves it out with a warning


def save_model(
    xgb_model: Any,
    path: PathLike,
    *,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Mapping[str, Any] | None = None,
    model_format: str = "ubj",
    **kwargs: Any,
) -> Model:
    """Save an XGBoost model as a model directory at ``path``; return its ``MLmodel``.

    Args:
        xgb_model: A trained ``xgboost.Booster`` or scikit-learn API estimator
            (``XGBClassifier``, ``XGBRegressor``, ``XGBRanker`` ...).
        path: A new (or empty) directory.
        signature: The input/output/params schema; inferred from ``input_example`` when None;
            ``False`` records none even with an example.
        input_example: A few rows of input, saved with the model for documentation and serving.
        pip_requirements: The requirements to record instead of the inferred ones.
        extra_pip_requirements: Requirements to record in addition to the inferred ones.
        metadata: Free-form information stored in the ``MLmodel``.
        model_format: ``"ubj"`` (UBJSON, MLflow's default), ``"json"``, ``"xgb"`` or
            ``"deprecated"``; the file is ``model.<model_format>``.
        **kwargs: Passed on to the model's ``save_model``.

    Raises:
        InvalidParameterError: Unknown ``model_format`` or not an XGBoost model.
        AlreadyExistsError: ``path`` exists and is not empty.

    Example:
        >>> booster = xgboost.train({"max_depth": 3}, xgboost.DMatrix(X, y))  # doctest: +SKIP
        >>> save_model(booster, "xgb_model", input_example=X[:3])  # doctest: +SKIP
    """
    if model_format not in MODEL_FORMATS:
        raise InvalidParameterError(
            f"Unknown model_format {model_format!r}; use one of {', '.join(MODEL_FORMATS)}"
        )
    xgb = _xgboost()
    if not isinstance(xgb_model, xgb.Booster | xgb.XGBModel):
        raise InvalidParameterError(
            f"save_model needs an xgboost.Booster or an XGBoost scikit-learn estimator, got "
            f"{type(xgb_model).__name__}; save other models with their own flavor"
        )
    options = SaveOptions(
        signature=signature or None,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )
    return save_into_new_dir(
        path,
        lambda model_dir: _save(xgb_model, model_dir, options, model_format, signature, kwargs),
    )


def _save(
    xgb_model: Any,
    model_dir: str,
    options: SaveOptions,
    model_format: str,
    signature: ModelSignature | Literal[False] | None,
    kwargs: Mapping[str, Any],
) -> Model:
    from jupyter_mltrack.models.mlmodel import Model

    xgb = _xgboost()
    file_name = f"model.{model_format}"
    xgb_model.save_model(os.path.join(model_dir, file_name), **kwargs)
    mlmodel = Model()
    mlmodel.add_flavor(
        "python_function",
        loader_module="mlflow.xgboost",
        python_version=python_version(),
        data=file_name,
        env=dict(ENV_BLOCK),
    )
    cls = type(xgb_model)
    mlmodel.add_flavor(
        FLAVOR_NAME,
        xgb_version=xgb.__version__,
        data=file_name,
        model_class=f"{cls.__module__}.{cls.__name__}",
        model_format=model_format,
        code=None,
    )
    finish_model(
        model_dir,
        mlmodel,
        options,
        predict=lambda example: _XGBoostPyFunc(xgb_model).predict(example),
        default_packages=[_distribution()],
    )
    if signature is False and mlmodel.signature is not None:
        mlmodel.signature = None  # the example was saved; the caller asked for no signature
        mlmodel.save(model_dir)
    return mlmodel


def load_model(model_dir: PathLike, *, verify: bool = True) -> Any:
    """Load the XGBoost model of the model in the local directory ``model_dir``.

    Returns an instance of the saved class: a ``Booster`` or the scikit-learn API estimator.

    Args:
        model_dir: A model directory with an ``xgboost`` flavor (saved here or by MLflow).
        verify: Check the sha256 of each model file recorded at save time (if any).

    Raises:
        ModelFormatError: No ``xgboost`` flavor, a changed or unreadable file, or a
            ``model_class`` that is not an XGBoost model class.
    """
    from jupyter_mltrack.models.flavors._open import open_flavor

    directory, conf = open_flavor(model_dir, FLAVOR_NAME, verify=verify)
    return _deserialize(directory, conf)


def _model_class(name: str, model_dir: str) -> type:
    """Import ``model_class`` and check it is an XGBoost model class before instantiating it."""
    xgb = _xgboost()
    module_name, _, class_name = name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ModelFormatError(
            f"The model at {model_dir!r} names the class {name!r}, which cannot be imported: "
            f"{exc}; install the package that defines it"
        ) from exc
    if not (inspect.isclass(cls) and issubclass(cls, xgb.Booster | xgb.XGBModel)):
        raise ModelFormatError(
            f"The model at {model_dir!r} names the class {name!r}, which is not an XGBoost "
            "Booster or scikit-learn estimator; refusing to load it"
        )
    return cls


def _deserialize(model_dir: str, conf: Mapping[str, Any]) -> Any:
    data = conf.get("data")
    if not data:
        raise ModelFormatError(f"The xgboost flavor of the model at {model_dir!r} names no data")
    path = os.path.join(model_dir, str(data))
    if not os.path.isfile(path):
        raise ModelFormatError(f"The model file {str(data)!r} is missing from {model_dir!r}")
    model = _model_class(str(conf.get("model_class") or _DEFAULT_CLASS), model_dir)()
    try:
        model.load_model(path)
    except Exception as exc:  # XGBoostError, ValueError: a damaged or foreign file
        raise ModelFormatError(f"Cannot read the XGBoost model file {path!r}: {exc}") from exc
    return model


def _accepted(function: Callable[..., Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the params ``function`` accepts; warn about the others, as MLflow does."""
    parameters = inspect.signature(function).parameters
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters.values()):
        return dict(params)
    unknown = sorted(set(params) - set(parameters))
    if unknown:
        logger.warning("Params %s are not accepted by the xgboost model; ignoring them", unknown)
    return {key: value for key, value in params.items() if key in parameters}


class _XGBoostPyFunc:
    """The python_function implementation of an XGBoost model (MLflow's ``_XGBModelWrapper``)."""

    def __init__(self, xgb_model: Any) -> None:
        self.xgb_model = xgb_model

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        if isinstance(data, dict | list):
            from jupyter_mltrack.models.enforcement import to_model_input

            data = to_model_input(data)
        xgb = _xgboost()
        model = self.xgb_model
        kwargs = _accepted(model.predict, params or {})
        kwargs.setdefault("validate_features", True)
        if isinstance(model, xgb.Booster):
            return model.predict(xgb.DMatrix(data), **kwargs)
        return model.predict(data, **kwargs)

    def get_raw_model(self) -> Any:
        """Return the XGBoost model (MLflow's name for it)."""
        return self.xgb_model

    def unwrap_python_model(self) -> Any:
        return self.xgb_model


def load_xgboost_pyfunc(model_dir: str, mlmodel: Model, model_config: dict[str, Any]) -> Any:
    """The python_function loader of XGBoost models (``loader_module: mlflow.xgboost``)."""
    conf = mlmodel.flavors.get(FLAVOR_NAME) or mlmodel.flavors["python_function"]
    from jupyter_mltrack.models.pyfunc_custom import add_code_to_path

    add_code_to_path(model_dir, conf.get("code"))
    return _XGBoostPyFunc(_deserialize(model_dir, conf))
