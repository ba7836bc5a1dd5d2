"""The ``sklearn`` flavor: scikit-learn estimators saved as skops (default), cloudpickle or pickle.

The ``MLmodel`` carries an ``sklearn`` flavor block and a ``python_function`` block with
``loader_module: mlflow.sklearn``, exactly as MLflow 3 writes them, so MLflow loads models saved
here and :func:`load_model` loads models saved by MLflow.

Warning:
    Loading a ``cloudpickle`` or ``pickle`` model runs code stored in the file. Only load models
    you trust; the default ``skops`` format loads only types that are trusted (see ``_skops``).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Mapping
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
    "load_model",
    "load_sklearn_pyfunc",
    "save_model",
]

FLAVOR_NAME = "sklearn"
SerializationFormat = Literal["skops", "cloudpickle", "pickle"]
SERIALIZATION_FORMATS: tuple[str, ...] = ("skops", "cloudpickle", "pickle")
_PACKAGES = {"skops": "skops", "cloudpickle": "cloudpickle"}


def save_model(
    sk_model: Any,
    path: PathLike,
    *,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Mapping[str, Any] | None = None,
    serialization_format: SerializationFormat = "skops",
    skops_trusted_types: Iterable[str] | None = None,
) -> Model:
    """Save a scikit-learn estimator as a model directory at ``path``; return its ``MLmodel``.

    Args:
        sk_model: A fitted estimator or pipeline.
        path: A new (or empty) directory.
        signature: The input/output/params schema; inferred from ``input_example`` when None.
        input_example: A few rows of input, saved with the model for documentation and serving.
        pip_requirements: The requirements to record instead of the inferred ones.
        extra_pip_requirements: Requirements to record in addition to the inferred ones.
        metadata: Free-form information stored in the ``MLmodel``.
        serialization_format: ``"skops"`` (loads without running code), ``"cloudpickle"`` or
            ``"pickle"`` (both run code when loaded).
        skops_trusted_types: Types outside scikit-learn, numpy and scipy to trust (skops only).

    Raises:
        InvalidParameterError: Unknown format, or the model holds types skops needs trusted.
        AlreadyExistsError: ``path`` exists and is not empty.

    Example:
        >>> rf = RandomForestClassifier().fit(X, y)  # doctest: +SKIP
        >>> save_model(rf, "rf_model", input_example=X[:3])  # doctest: +SKIP
    """
    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidParameterError(
            f"Unknown serialization_format {serialization_format!r}; use one of "
            f"{', '.join(SERIALIZATION_FORMATS)}"
        )
    options = SaveOptions(
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )
    return save_into_new_dir(
        path,
        lambda model_dir: _save(
            sk_model, model_dir, options, serialization_format, skops_trusted_types
        ),
    )


def _save(
    sk_model: Any,
    model_dir: str,
    options: SaveOptions,
    serialization_format: str,
    skops_trusted_types: Iterable[str] | None,
) -> Model:
    import sklearn

    from jupyter_mltrack.models.mlmodel import Model

    file_name = "model.skops" if serialization_format == "skops" else "model.pkl"
    path = os.path.join(model_dir, file_name)
    trusted = _serialize(sk_model, path, serialization_format, skops_trusted_types)
    mlmodel = Model()
    mlmodel.add_flavor(
        "python_function",
        env=dict(ENV_BLOCK),
        loader_module="mlflow.sklearn",
        model_path=file_name,
        predict_fn="predict",
        python_version=python_version(),
    )
    mlmodel.add_flavor(
        FLAVOR_NAME,
        code=None,
        pickled_model=file_name,
        serialization_format=serialization_format,
        sklearn_version=sklearn.__version__,
        skops_trusted_types=trusted,
    )
    packages = ["scikit-learn", *filter(None, [_PACKAGES.get(serialization_format)])]
    return finish_model(
        model_dir,
        mlmodel,
        options,
        predict=lambda example: _SklearnPyFunc(sk_model).predict(example),
        default_packages=packages,
    )


def _serialize(
    sk_model: Any, path: str, serialization_format: str, trusted: Iterable[str] | None
) -> list[str] | None:
    if serialization_format == "skops":
        from jupyter_mltrack.models.flavors._skops import dump_skops

        return dump_skops(sk_model, path, trusted)
    if serialization_format == "cloudpickle":
        import cloudpickle

        with open(path, "wb") as out:
            cloudpickle.dump(sk_model, out)
    else:
        with open(path, "wb") as out:
            pickle.dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)
    return None


def load_model(
    model_dir: PathLike, *, skops_trusted_types: Iterable[str] | None = None, verify: bool = True
) -> Any:
    """Load the scikit-learn estimator of the model in the local directory ``model_dir``.

    A ``cloudpickle`` or ``pickle`` model runs code while loading: only load models you trust.

    Args:
        model_dir: A model directory with an ``sklearn`` flavor (saved here or by MLflow).
        skops_trusted_types: Types outside scikit-learn, numpy and scipy to trust (skops only).
        verify: Check the sha256 of each model file recorded at save time (if any).

    Raises:
        ModelFormatError: No ``sklearn`` flavor, a changed file, or untrusted skops types.
    """
    from jupyter_mltrack.models.flavors._open import open_flavor

    directory, conf = open_flavor(model_dir, FLAVOR_NAME, verify=verify)
    return _deserialize(directory, conf, skops_trusted_types)


def _deserialize(model_dir: str, conf: Mapping[str, Any], trusted: Iterable[str] | None) -> Any:
    path = os.path.join(model_dir, str(conf.get("pickled_model") or conf.get("model_path")))
    fmt = conf.get("serialization_format") or ("skops" if path.endswith(".skops") else "pickle")
    if fmt == "skops":
        from jupyter_mltrack.models.flavors._skops import load_skops

        return load_skops(path, conf.get("skops_trusted_types"), trusted)
    if fmt not in SERIALIZATION_FORMATS:
        raise ModelFormatError(f"The model at {model_dir!r} has an unknown serialization {fmt!r}")
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)  # cloudpickle files load with pickle
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise ModelFormatError(f"Cannot read the model file {path!r}: {exc}") from exc


class _SklearnPyFunc:
    """The python_function implementation of an estimator: calls its ``predict_fn``."""

    def __init__(self, estimator: Any, predict_fn: str = "predict") -> None:
        self.estimator = estimator
        self._predict = getattr(estimator, predict_fn)

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        if isinstance(data, dict | list):
            from jupyter_mltrack.models.enforcement import to_model_input

            data = to_model_input(data)
        return self._predict(data)

    def unwrap_python_model(self) -> Any:
        return self.estimator


def load_sklearn_pyfunc(model_dir: str, mlmodel: Model, model_config: dict[str, Any]) -> Any:
    """The python_function loader of sklearn models (``loader_module: mlflow.sklearn``)."""
    pyfunc_conf = mlmodel.flavors["python_function"]
    conf = mlmodel.flavors.get(FLAVOR_NAME) or pyfunc_conf
    from jupyter_mltrack.models.pyfunc_custom import add_code_to_path

    add_code_to_path(model_dir, conf.get("code"))
    estimator = _deserialize(model_dir, conf, None)
    predict_fn = str(pyfunc_conf.get("predict_fn") or "predict")
    if not callable(getattr(estimator, predict_fn, None)):
        raise ModelFormatError(
            f"The estimator of the model at {model_dir!r} has no method {predict_fn!r} "
            "(the python_function flavor's predict_fn)"
        )
    return _SklearnPyFunc(estimator, predict_fn)
