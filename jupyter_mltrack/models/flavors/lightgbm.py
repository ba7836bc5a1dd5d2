"""The ``lightgbm`` flavor: Boosters as LightGBM text files, sklearn estimators as skops or pickle.

The layout is MLflow 3's: a ``lightgbm.Booster`` is written with ``Booster.save_model`` as
``model.lgb``; a scikit-learn API estimator (``LGBMClassifier``, ``LGBMRegressor``,
``LGBMRanker``, ...) is written as ``model.skops`` (the default, as in MLflow 3.17 outside
Databricks) or ``model.pkl`` (``cloudpickle``/``pickle``). The ``MLmodel`` carries a ``lightgbm``
block (``lgb_version``, ``data``, ``model_class``, ``code``, ``serialization_format``,
``skops_trusted_types``) and a ``python_function`` block with ``loader_module: mlflow.lightgbm``,
exactly as MLflow writes them, so each side loads the other's models.

Warning:
    Loading a ``cloudpickle`` or ``pickle`` model runs code stored in the file. Only load models
    you trust; ``model.lgb`` and skops files load without running code.
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
    "BOOSTER_CLASS",
    "FLAVOR_NAME",
    "SERIALIZATION_FORMATS",
    "SKOPS_TRUSTED_TYPES",
    "SerializationFormat",
    "get_default_pip_requirements",
    "load_lightgbm_pyfunc",
    "load_model",
    "save_model",
]

FLAVOR_NAME = "lightgbm"
BOOSTER_CLASS = "lightgbm.basic.Booster"
SerializationFormat = Literal["skops", "cloudpickle", "pickle"]
SERIALIZATION_FORMATS: tuple[str, ...] = ("skops", "cloudpickle", "pickle")
#: Types every LightGBM skops file may hold; trusted automatically, as MLflow does.
SKOPS_TRUSTED_TYPES = frozenset(
    {
        "collections.OrderedDict",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
    }
)
#: Trusted here at save and load: MLflow's set plus LightGBM's other estimators. A file holding
#: one of these records it in ``skops_trusted_types``, so MLflow loads that file too.
_AUTO_TRUSTED = SKOPS_TRUSTED_TYPES | {"lightgbm.sklearn.LGBMRanker", "lightgbm.sklearn.LGBMModel"}


def get_default_pip_requirements(
    include_cloudpickle: bool = False, include_skops: bool = False
) -> list[str]:
    """Return the pinned requirements of a LightGBM model, e.g. ``["lightgbm==4.7.0"]``."""
    from jupyter_mltrack.models.environment import infer_pip_requirements

    return infer_pip_requirements(_packages(include_cloudpickle, include_skops))


def _packages(include_cloudpickle: bool, include_skops: bool) -> list[str]:
    extra = [("cloudpickle", include_cloudpickle), ("skops", include_skops)]
    return ["lightgbm", *(name for name, wanted in extra if wanted)]


def save_model(
    lgb_model: Any,
    path: PathLike,
    *,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Mapping[str, Any] | None = None,
    serialization_format: SerializationFormat = "skops",
    skops_trusted_types: Iterable[str] | None = None,
) -> Model:
    """Save a LightGBM Booster or scikit-learn API estimator at ``path``; return its ``MLmodel``.

    Args:
        lgb_model: A trained ``lightgbm.Booster``, or a fitted ``LGBMClassifier``/
            ``LGBMRegressor``/``LGBMRanker``/``LGBMModel``.
        path: A new (or empty) directory.
        signature: The input/output/params schema; inferred from ``input_example`` when None;
            ``False`` records none even with an example.
        input_example: A few rows of input, saved with the model for documentation and serving.
        pip_requirements: The requirements to record instead of the inferred ones.
        extra_pip_requirements: Requirements to record in addition to the inferred ones.
        metadata: Free-form information stored in the ``MLmodel``.
        serialization_format: For estimators: ``"skops"`` (loads without running code),
            ``"cloudpickle"`` or ``"pickle"`` (both run code when loaded). A Booster is always
            saved as LightGBM's own ``model.lgb`` text file.
        skops_trusted_types: Types to trust besides LightGBM's, scikit-learn's, numpy's, scipy's.

    Raises:
        InvalidParameterError: Unknown format, or the model holds types skops needs trusted.
        AlreadyExistsError: ``path`` exists and is not empty.

    Example:
        >>> booster = lightgbm.train(params, lightgbm.Dataset(X, y))  # doctest: +SKIP
        >>> save_model(booster, "lgb_model", input_example=X[:3])  # doctest: +SKIP
    """
    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidParameterError(
            f"Unknown serialization_format {serialization_format!r}; use one of "
            f"{', '.join(SERIALIZATION_FORMATS)}"
        )
    options = SaveOptions(
        signature=signature or None,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )
    trusted = set(skops_trusted_types or ())

    def write(model_dir: str) -> Model:
        mlmodel = _save(lgb_model, model_dir, options, serialization_format, trusted)
        if signature is False and mlmodel.signature is not None:
            mlmodel.signature = None  # the example is kept; the caller asked for no signature
            mlmodel.save(model_dir)
        return mlmodel

    return save_into_new_dir(path, write)


def _save(
    lgb_model: Any, model_dir: str, options: SaveOptions, fmt: str, trusted: set[str]
) -> Model:
    import lightgbm as lgb

    from jupyter_mltrack.models.mlmodel import Model

    is_booster = isinstance(lgb_model, lgb.Booster)
    if not is_booster and not callable(getattr(lgb_model, "predict", None)):
        raise InvalidParameterError(
            f"Cannot save a {type(lgb_model).__name__} as a LightGBM model: pass a "
            "lightgbm.Booster or a fitted LightGBM scikit-learn estimator"
        )
    file_name = "model.lgb" if is_booster else _FILE_NAMES[fmt]
    target = os.path.join(model_dir, file_name)
    recorded = sorted(SKOPS_TRUSTED_TYPES | trusted) if fmt == "skops" else None
    if is_booster:
        lgb_model.save_model(target)
    else:
        needed = _serialize(lgb_model, target, fmt, trusted)
        if recorded is not None:
            recorded = sorted({*recorded, *needed})
    mlmodel = Model()
    mlmodel.add_flavor(
        "python_function",
        data=file_name,
        env=dict(ENV_BLOCK),
        loader_module="mlflow.lightgbm",
        python_version=python_version(),
    )
    mlmodel.add_flavor(
        FLAVOR_NAME,
        code=None,
        data=file_name,
        lgb_version=lgb.__version__,
        model_class=f"{type(lgb_model).__module__}.{type(lgb_model).__qualname__}",
        serialization_format=fmt,
        skops_trusted_types=recorded,
    )
    packages = _packages(
        include_cloudpickle=not is_booster and fmt == "cloudpickle",
        include_skops=not is_booster and fmt == "skops",
    )
    return finish_model(
        model_dir,
        mlmodel,
        options,
        predict=lambda example: _LightGBMPyFunc(lgb_model).predict(example),
        default_packages=packages,
    )


_FILE_NAMES = {"skops": "model.skops", "cloudpickle": "model.pkl", "pickle": "model.pkl"}


def _serialize(model: Any, path: str, fmt: str, trusted: set[str]) -> list[str]:
    """Write an estimator; return the types a skops file needs trusted (none for pickles)."""
    if fmt == "skops":
        from jupyter_mltrack.models.flavors._skops import dump_skops

        return dump_skops(model, path, _AUTO_TRUSTED | trusted)
    if fmt == "cloudpickle":
        import cloudpickle

        with open(path, "wb") as out:
            cloudpickle.dump(model, out)
    else:
        with open(path, "wb") as out:
            pickle.dump(model, out, protocol=pickle.DEFAULT_PROTOCOL)
    return []


def load_model(
    model_dir: PathLike, *, skops_trusted_types: Iterable[str] | None = None, verify: bool = True
) -> Any:
    """Load the Booster or estimator of the LightGBM model in the local directory ``model_dir``.

    A ``cloudpickle`` or ``pickle`` model runs code while loading: only load models you trust.

    Args:
        model_dir: A model directory with a ``lightgbm`` flavor (saved here or by MLflow).
        skops_trusted_types: Types to trust besides LightGBM's, scikit-learn's, numpy's, scipy's.
        verify: Check the sha256 of each model file recorded at save time (if any).

    Raises:
        ModelFormatError: No ``lightgbm`` flavor, a changed or unreadable file, or untrusted
            skops types (named in the message).
    """
    from jupyter_mltrack.models.flavors._open import open_flavor

    directory, conf = open_flavor(model_dir, FLAVOR_NAME, verify=verify)
    return _deserialize(directory, conf, skops_trusted_types)


def _deserialize(model_dir: str, conf: Mapping[str, Any], trusted: Iterable[str] | None) -> Any:
    data = conf.get("data")
    if not data:
        raise ModelFormatError(f"The lightgbm flavor of the model at {model_dir!r} has no 'data'")
    path = os.path.join(model_dir, str(data))
    if not os.path.isfile(path):
        raise ModelFormatError(f"The model file {str(data)!r} is missing from {model_dir!r}")
    model_class = str(conf.get("model_class") or BOOSTER_CLASS)  # MLflow's default, too
    if model_class == BOOSTER_CLASS:
        import lightgbm as lgb

        try:
            return lgb.Booster(model_file=path)
        except lgb.basic.LightGBMError as exc:
            raise ModelFormatError(f"Cannot read the LightGBM model file {path!r}: {exc}") from exc
    fmt = conf.get("serialization_format") or "cloudpickle"  # MLflow < 3.15 wrote none
    if fmt == "skops":
        from jupyter_mltrack.models.flavors._skops import load_skops

        allowed = {*_AUTO_TRUSTED, *(trusted or ())}
        try:
            return load_skops(path, conf.get("skops_trusted_types"), allowed)
        except ModelFormatError as exc:  # point at this flavor's load_model, not sklearn's
            message = str(exc).replace("jupyter_mltrack.sklearn.", "jupyter_mltrack.lightgbm.")
            raise ModelFormatError(message) from exc
    if fmt not in SERIALIZATION_FORMATS:
        raise ModelFormatError(f"The model at {model_dir!r} has an unknown serialization {fmt!r}")
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)  # cloudpickle files load with pickle
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise ModelFormatError(f"Cannot read the model file {path!r}: {exc}") from exc


class _LightGBMPyFunc:
    """The python_function implementation of a LightGBM model: calls its ``predict``."""

    def __init__(self, lgb_model: Any) -> None:
        self.lgb_model = lgb_model

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        if isinstance(data, dict | list):
            from jupyter_mltrack.models.enforcement import to_model_input

            data = to_model_input(data)
        return self.lgb_model.predict(data)

    def get_raw_model(self) -> Any:
        """Return the Booster or estimator (MLflow's name for it)."""
        return self.lgb_model

    def unwrap_python_model(self) -> Any:
        return self.lgb_model


def load_lightgbm_pyfunc(model_dir: str, mlmodel: Model, model_config: dict[str, Any]) -> Any:
    """The python_function loader of LightGBM models (``loader_module: mlflow.lightgbm``)."""
    conf = mlmodel.flavors.get(FLAVOR_NAME) or mlmodel.flavors["python_function"]
    from jupyter_mltrack.models.pyfunc_custom import add_code_to_path

    add_code_to_path(model_dir, conf.get("code"))
    return _LightGBMPyFunc(_deserialize(model_dir, conf, None))
