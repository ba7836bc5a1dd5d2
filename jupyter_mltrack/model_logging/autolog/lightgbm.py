"""Autologging for LightGBM: ``lightgbm.train`` and the scikit-learn API, tracked without code.

:func:`autolog` patches ``lightgbm.train`` (also reached as ``lightgbm.engine.train``) and
``fit`` of ``LGBMModel``, ``LGBMClassifier``, ``LGBMRegressor`` and ``LGBMRanker``. Each training
logs what :mod:`~jupyter_mltrack.model_logging.autolog.lightgbm_records` lists (params,
per-iteration metrics, early stopping, feature importance) and the trained model as the ``model``
artifact: a Booster for ``lightgbm.train``, the estimator itself for ``fit``.

Rules (shared with every integration, see :mod:`~jupyter_mltrack.model_logging.autolog._common`):
a training inside an active run (a ``%%track`` cell's) logs into it, otherwise into a run of its
own; a failure while logging is a warning and never breaks training; ``%%track --no-autolog``
and ``autolog(disable=True)`` really turn it off.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jupyter_mltrack.model_logging.autolog import _common
from jupyter_mltrack.model_logging.autolog import lightgbm_records as records
from jupyter_mltrack.model_logging.autolog import sklearn as sklearn_autolog
from jupyter_mltrack.tracking.active import ActiveRun, current_run

__all__ = ["autolog", "is_enabled"]

logger = logging.getLogger("jupyter_mltrack.autolog.lightgbm")

LIBRARY = "lightgbm"
MODEL_NAME = "model"


@dataclass(slots=True)
class _Config:
    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_models: bool = True
    exclusive: bool = False
    silent: bool = False
    registered_model_name: str | None = None
    extra_tags: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _FitSession:
    """One scikit-learn API ``fit`` in progress: whether its inner ``train`` was logged yet."""

    trained: bool = False


_config = _Config()
_fit: ContextVar[_FitSession | None] = ContextVar("mltrack_lightgbm_fit", default=None)


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: Mapping[str, Any] | None = None,
) -> None:
    """Turn LightGBM autologging on (or off with ``disable=True``); calling again is harmless.

    Keyword arguments are MLflow's (``mlflow.lightgbm.autolog``), in MLflow's order.

    Args:
        log_input_examples: Save the first rows of the training data with the model.
        log_model_signatures: Infer the model's signature from those rows and its prediction.
        log_models: Log the trained Booster (``lightgbm.train``) or estimator (``fit``) as the
            ``model`` artifact.
        log_datasets: Accepted for MLflow compatibility; datasets are not logged yet.
        disable: Restore the original ``train`` and ``fit`` functions.
        exclusive: Log only into runs autologging starts, never into a run already active.
        disable_for_unsupported_versions: Accepted for MLflow compatibility (every LightGBM 4
            version is supported).
        silent: Do not emit warnings or log messages from autologging.
        registered_model_name: Register each logged model as a new version of this name.
        extra_tags: Tags set on each run autologging starts.

    Example:
        >>> import jupyter_mltrack.lightgbm
        >>> jupyter_mltrack.lightgbm.autolog()  # doctest: +SKIP
        >>> booster = lightgbm.train(params, train_set, valid_sets=[valid_set])  # doctest: +SKIP
    """
    del log_datasets, disable_for_unsupported_versions  # accepted for MLflow compatibility
    if disable:
        _common.unpatch(LIBRARY)
        return
    import lightgbm
    import lightgbm.engine
    import lightgbm.sklearn

    _config.log_input_examples = log_input_examples
    _config.log_model_signatures = log_model_signatures
    _config.log_models = log_models
    _config.exclusive = exclusive
    _config.silent = silent
    _config.registered_model_name = registered_model_name
    _config.extra_tags = dict(extra_tags or {})
    _common.patch(LIBRARY, lightgbm, "train", _make_train)
    _common.patch(LIBRARY, lightgbm.engine, "train", _make_train)
    _common.patch(LIBRARY, lightgbm.sklearn, "train", _make_sklearn_train)
    for cls in (lightgbm.LGBMClassifier, lightgbm.LGBMRegressor, lightgbm.LGBMRanker):
        _common.patch(LIBRARY, cls, "fit", _make_fit)
    _common.patch(LIBRARY, lightgbm.LGBMModel, "fit", _make_fit)


def is_enabled() -> bool:
    """Return True while LightGBM autologging is on and not suspended."""
    return LIBRARY in _common.patched_libraries() and not _common.is_suspended()


# -- the wrappers ------------------------------------------------------------------------------
def _make_train(original: Callable[..., Any]) -> Callable[..., Any]:
    def train(*args: Any, **kwargs: Any) -> Any:
        return _autologged_train(original, args, kwargs, log_model=True)

    return train


def _make_sklearn_train(original: Callable[..., Any]) -> Callable[..., Any]:
    """``train`` as the scikit-learn API calls it: the estimator's ``fit`` logs the model."""

    def train(*args: Any, **kwargs: Any) -> Any:
        session = _fit.get()
        if session is None:
            return _autologged_train(original, args, kwargs, log_model=False)
        if session.trained:
            return original(*args, **kwargs)
        session.trained = True
        return _logged_train(original, args, kwargs, log_model=False)

    return train


def _make_fit(original: Callable[..., Any]) -> Callable[..., Any]:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _fit.get() is not None or not _may_log():
            return original(self, *args, **kwargs)  # a subclass's fit calling LGBMModel.fit
        owned = current_run() is None
        with _common.training_run(LIBRARY) as run:
            if run is None:
                return original(self, *args, **kwargs)
            if owned:
                _safely("set extra tags", _set_extra_tags)
            example = None
            if _config.log_models:
                example = _safely("take an input example", _fit_example, args, kwargs)
            token = _fit.set(_FitSession())
            try:
                result = original(self, *args, **kwargs)
            finally:
                _fit.reset(token)
            if _config.log_models:
                _safely("log the model", _log_model, self, example)
            return result

    return fit


def _may_log() -> bool:
    if _common.is_suspended() or sklearn_autolog.inside_fit():
        return False
    return not (_config.exclusive and current_run() is not None)


def _autologged_train(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], log_model: bool
) -> Any:
    if not _may_log():
        return original(*args, **kwargs)
    owned = current_run() is None
    with _common.training_run(LIBRARY) as run:
        if run is None:
            return original(*args, **kwargs)
        if owned:
            _safely("set extra tags", _set_extra_tags)
        return _logged_train(original, args, kwargs, log_model)


def _logged_train(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], log_model: bool
) -> Any:
    """Run one ``train`` call with the active run's logging around it."""
    run = current_run()
    if run is None:  # the caller's run ended meanwhile; nothing to log into
        return original(*args, **kwargs)
    _safely("log params", _log_train_params, run, original, args, kwargs)
    train_set = args[1] if len(args) > 1 else kwargs.get("train_set")
    example = None
    if log_model and _config.log_models:
        example = _safely("take an input example", _dataset_example, train_set)
    recorder = records.MetricsRecorder(_warn)
    with_callback = _safely("add its callback", _with_callback, original, args, kwargs, recorder)
    call_args, call_kwargs = with_callback or (args, kwargs)
    booster = original(*call_args, **call_kwargs)
    _safely("log early stopping", records.log_early_stopping, booster, recorder.results)
    _safely("log feature importance", records.log_feature_importance, booster, _warn)
    if log_model and _config.log_models:
        _safely("log the model", _log_model, booster, example)
    return booster


def _log_train_params(
    run: ActiveRun, original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    records.log_params(run, records.train_params(original, args, kwargs))


def _with_callback(
    original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    callback: Callable[[Any], None],
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Add ``callback`` to the call's callbacks, in a new list (never the caller's own)."""
    import inspect

    names = list(inspect.signature(original).parameters)
    index = names.index("callbacks") if "callbacks" in names else len(names)
    if len(args) > index:
        given = list(args)
        given[index] = [*(given[index] or ()), callback]
        return tuple(given), kwargs
    return args, {**kwargs, "callbacks": [*(kwargs.get("callbacks") or ()), callback]}


# -- model, example, signature -----------------------------------------------------------------
def _dataset_example(train_set: Any) -> Any:
    return records.input_example(getattr(train_set, "data", None))


def _fit_example(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    X = args[0] if args else kwargs.get("X")
    return records.input_example(X)


def _log_model(model: Any, example: Any) -> None:
    from jupyter_mltrack.model_logging.lightgbm import log_model
    from jupyter_mltrack.models.signature import infer_signature

    signature = None
    if example is not None and _config.log_model_signatures:
        import copy

        signature = infer_signature(example, model.predict(copy.deepcopy(example)))
    log_model(
        model,
        MODEL_NAME,
        signature=signature,
        input_example=example if _config.log_input_examples else None,
        registered_model_name=_config.registered_model_name,
    )


def _set_extra_tags() -> None:
    if _config.extra_tags:
        from jupyter_mltrack.tracking.fluent_logging import set_tags

        set_tags(_config.extra_tags)


# -- failures become warnings ------------------------------------------------------------------
def _warn(what: str, exc: BaseException) -> None:
    level = logging.DEBUG if _config.silent else logging.WARNING
    logger.log(level, "lightgbm autologging could not %s: %s", what, exc, exc_info=True)


def _safely(what: str, func: Callable[..., Any], *args: Any) -> Any:
    """Call ``func``; a failure is a warning (debug when silent) and returns None."""
    try:
        with _quiet():
            return func(*args)
    except Exception as exc:
        _warn(what, exc)
        return None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    if not _config.silent:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
