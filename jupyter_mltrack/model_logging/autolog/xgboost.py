"""Autologging for XGBoost: ``xgboost.train`` and the scikit-learn API ``fit``, as MLflow logs them.

:func:`autolog` patches ``xgboost.train`` (also reached as ``xgboost.training.train`` and, from
the scikit-learn API, ``xgboost.sklearn.train``), ``DMatrix.__init__`` (to keep the first rows of
the training data as an input example) and ``fit`` of every ``XGBModel`` subclass. Each training
logs into the active run (a ``%%track`` cell's run) or a run of its own:

* params: the booster params and the other arguments of ``train`` (``num_boost_round``,
  ``early_stopping_rounds``, ``maximize``, ``verbose_eval``, ``custom_metric``);
* per-iteration eval metrics named ``<eval name>-<metric>`` (``validation_0-rmse`` for the
  scikit-learn API) with ``step`` = the iteration; ``@`` in a metric name becomes ``_at_``;
* with early stopping, ``stopped_iteration`` and ``best_iteration`` metrics and the best
  iteration's eval metrics again at step ``len(iterations)``;
* ``feature_importance_<type>.json`` and ``feature_importance_<type>.png`` per importance type;
* the model as the ``model`` artifact (a ``Booster`` from ``train``, the estimator from ``fit``),
  with a signature and/or input example as configured.

Rules of the wrappers are those of :mod:`~jupyter_mltrack.model_logging.autolog._common`: a
failure inside autologging is a warning (silenced by ``silent=True``) and never breaks training.
"""

from __future__ import annotations

import copy
import inspect
import logging
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jupyter_mltrack.model_logging.autolog import _common
from jupyter_mltrack.model_logging.autolog import sklearn as sklearn_autolog
from jupyter_mltrack.model_logging.autolog._xgboost_records import (
    early_stopping_metrics,
    log_feature_importance,
    log_params,
    metrics_callback,
)
from jupyter_mltrack.tracking.active import current_run

__all__ = ["INPUT_EXAMPLE_ROWS", "autolog", "is_enabled"]

logger = logging.getLogger(__name__)

LIBRARY = "xgboost"
INPUT_EXAMPLE_ROWS = 5
_EXAMPLE_ATTR = "_mltrack_input_example"
#: Arguments of ``train`` not logged as params (MLflow's list).
_UNLOGGED = frozenset(
    {
        "params",
        "dtrain",
        "evals",
        "obj",
        "feval",
        "evals_result",
        "xgb_model",
        "callbacks",
        "learning_rates",
    }
)


@dataclass(slots=True)
class _Config:
    importance_types: tuple[str, ...] = ("weight",)
    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_models: bool = True
    exclusive: bool = False
    silent: bool = False
    registered_model_name: str | None = None
    model_format: str = "ubj"
    extra_tags: dict[str, Any] = field(default_factory=dict)

    @property
    def wants_example(self) -> bool:
        return self.log_models and (self.log_input_examples or self.log_model_signatures)


@dataclass(slots=True)
class _FitSession:
    """A scikit-learn API ``fit`` in progress: its ``train`` logs everything but the model."""

    claimed: bool = False


_config = _Config()
_lock = threading.Lock()
_fit_session: ContextVar[_FitSession | None] = ContextVar("mltrack_xgb_fit", default=None)


def autolog(
    importance_types: list[str] | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    model_format: str = "ubj",
    extra_tags: Mapping[str, Any] | None = None,
) -> None:
    """Turn XGBoost autologging on (or off with ``disable=True``); calling again reconfigures.

    Keyword arguments are MLflow's ``mlflow.xgboost.autolog``'s, in its order.

    Args:
        importance_types: Feature importance types to log; ``["weight"]`` when None.
        log_input_examples: Save the first rows of the training data with the model.
        log_model_signatures: Infer and save the model's signature from those rows.
        log_models: Log the trained model as the ``model`` artifact.
        log_datasets: Accepted for MLflow compatibility; datasets are not logged.
        disable: Restore every patched function.
        exclusive: Log only into runs autologging starts, never into a run already active.
        disable_for_unsupported_versions: Accepted for MLflow compatibility (no effect).
        silent: Log autologging problems at debug level instead of as warnings.
        registered_model_name: Also register each logged model under this name.
        model_format: The model file format: ``"ubj"``, ``"json"`` or ``"xgb"``.
        extra_tags: Tags set on each run autologging starts.

    Example:
        >>> import jupyter_mltrack.xgboost
        >>> jupyter_mltrack.xgboost.autolog()  # doctest: +SKIP
        >>> xgboost.train(params, dtrain, evals=[(dvalid, "valid")])  # doctest: +SKIP
    """
    del log_datasets, disable_for_unsupported_versions  # accepted so MLflow code runs unchanged
    if disable:
        _common.unpatch(LIBRARY)
        return
    import xgboost
    import xgboost.sklearn
    import xgboost.training

    with _lock:
        _config.importance_types = (
            ("weight",) if importance_types is None else tuple(importance_types)
        )
        _config.log_input_examples = log_input_examples
        _config.log_model_signatures = log_model_signatures
        _config.log_models = log_models
        _config.exclusive = exclusive
        _config.silent = silent
        _config.registered_model_name = registered_model_name
        _config.model_format = model_format
        _config.extra_tags = dict(extra_tags or {})
    _common.set_silent(LIBRARY, silent)
    for module in (xgboost, xgboost.training, xgboost.sklearn):
        _common.patch(LIBRARY, module, "train", _wrap_train)
    _common.patch(LIBRARY, xgboost.DMatrix, "__init__", _wrap_dmatrix_init)
    for cls in _estimator_classes():
        _common.patch(LIBRARY, cls, "fit", _wrap_fit)


def is_enabled() -> bool:
    """Return True while XGBoost autologging is on and not suspended."""
    return LIBRARY in _common.patched_libraries() and not _common.is_suspended()


def _estimator_classes() -> list[type]:
    import xgboost.sklearn

    base = xgboost.sklearn.XGBModel
    members = inspect.getmembers(xgboost.sklearn, inspect.isclass)
    return [cls for _, cls in members if issubclass(cls, base) and cls is not base]


# -- the wrappers --------------------------------------------------------------------------------
def _warn(what: str, exc: BaseException | str) -> None:
    level = logging.DEBUG if _config.silent else logging.WARNING
    logger.log(level, "xgboost autologging could not %s: %s", what, exc)


def _safely(what: str, func: Callable[..., Any], *args: Any) -> Any:
    try:
        return func(*args)
    except Exception as exc:
        _warn(what, exc)
        return None


def _should_log() -> bool:
    if _common.is_suspended() or sklearn_autolog.inside_fit():
        return False
    return not (_config.exclusive and current_run() is not None)


def _tag_new_run() -> None:
    from jupyter_mltrack.tracking.fluent_logging import set_tags

    set_tags({"mlflow.autologging": LIBRARY, **_config.extra_tags})


def _wrap_train(original: Callable[..., Any]) -> Callable[..., Any]:
    def train(*args: Any, **kwargs: Any) -> Any:
        session = _fit_session.get()
        if session is not None:  # the train call of an autologged fit
            if session.claimed:
                return original(*args, **kwargs)
            session.claimed = True
            return _logged_train(original, args, kwargs, log_model=False)
        if not _should_log():
            return original(*args, **kwargs)
        owned = current_run() is None
        with _common.training_run(LIBRARY) as run:
            if run is None:
                return original(*args, **kwargs)
            if owned:
                _safely("tag the run", _tag_new_run)
            return _logged_train(original, args, kwargs, log_model=_config.log_models)

    return train


def _wrap_fit(original: Callable[..., Any]) -> Callable[..., Any]:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _fit_session.get() is not None or not _should_log():
            return original(self, *args, **kwargs)
        owned = current_run() is None
        with _common.training_run(LIBRARY) as run:
            if run is None:
                return original(self, *args, **kwargs)
            if owned:
                _safely("tag the run", _tag_new_run)
            example = None
            if _config.wants_example:
                X = args[0] if args else kwargs.get("X")
                example = _safely("take an input example", _first_rows, X)
            token = _fit_session.set(_FitSession())
            try:
                result = original(self, *args, **kwargs)
            finally:
                _fit_session.reset(token)
            if _config.log_models:

                def predict(rows: Any) -> Any:
                    return self.predict(copy.deepcopy(rows))  # predict must not change the example

                _safely("log the model", _log_model, self, example, predict)
            return result

    return fit


def _wrap_dmatrix_init(original: Callable[..., Any]) -> Callable[..., Any]:
    # A DMatrix does not give its data back, so keep the first rows while it is built.
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        rows = None
        if _config.wants_example and not _common.is_suspended():
            data = args[0] if args else kwargs.get("data")
            if data is not None and not isinstance(data, str | bytes) and hasattr(data, "__len__"):
                rows = _safely("take an input example", _first_rows, data)
        original(self, *args, **kwargs)
        if rows is not None:
            setattr(self, _EXAMPLE_ATTR, rows)

    return __init__


def _first_rows(data: Any) -> Any:
    if data is None:
        return None
    rows = data.iloc[:INPUT_EXAMPLE_ROWS] if hasattr(data, "iloc") else data[:INPUT_EXAMPLE_ROWS]
    return copy.deepcopy(rows)


# -- what one train call logs --------------------------------------------------------------------
def _logged_train(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], *, log_model: bool
) -> Any:
    try:
        bound = inspect.signature(original).bind(*args, **kwargs)
    except TypeError:
        return original(*args, **kwargs)  # train reports wrong arguments itself
    full = inspect.signature(original).bind(*args, **kwargs)
    full.apply_defaults()  # params logged with their defaults, as MLflow logs them
    arguments = full.arguments
    _safely("log params", log_params, arguments.get("params"), _fn_params(arguments))
    results: list[dict[str, float]] = []
    callback = _safely("add the metrics callback", metrics_callback, results, _warn)
    if callback is not None:  # a new list: the caller's callbacks list stays as it was
        bound.arguments["callbacks"] = [*(arguments.get("callbacks") or []), callback]
    model = original(*bound.args, **bound.kwargs)
    if arguments.get("early_stopping_rounds"):
        _safely("log the early stopping metrics", early_stopping_metrics, model, results)
    for importance_type in _config.importance_types:
        _safely(
            f"log the {importance_type} feature importance",
            log_feature_importance,
            model,
            importance_type,
            _warn,
        )
    if log_model:
        import xgboost

        def predict(rows: Any) -> Any:
            return model.predict(xgboost.DMatrix(rows))

        example = getattr(arguments.get("dtrain"), _EXAMPLE_ATTR, None)
        _safely("log the model", _log_model, model, example, predict)
    return model


def _fn_params(arguments: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in arguments.items() if key not in _UNLOGGED}


def _log_model(model: Any, example: Any, predict: Callable[[Any], Any]) -> None:
    from jupyter_mltrack.model_logging.xgboost import log_model
    from jupyter_mltrack.models.signature import ModelSignature, infer_signature

    signature: ModelSignature | None = None
    if _config.log_model_signatures:
        if example is None:
            logger.info("xgboost autologging: no input example was kept; logging no signature")
        else:
            signature = _safely(
                "infer the model signature", lambda: infer_signature(example, predict(example))
            )
    log_model(
        model,
        "model",
        signature=False if signature is None else signature,
        input_example=example if _config.log_input_examples else None,
        registered_model_name=_config.registered_model_name,
        model_format=_config.model_format,
    )
