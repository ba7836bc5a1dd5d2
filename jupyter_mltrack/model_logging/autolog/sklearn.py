"""Autologging for scikit-learn: patch ``fit`` so every training is tracked without extra code.

:func:`autolog` replaces ``fit`` on every scikit-learn estimator class (those of
``sklearn.utils.all_estimators()`` plus ``Pipeline`` and the search estimators) with a wrapper that
logs params, training metrics (named as MLflow's autologging names them) and the fitted model.

Rules of the wrapper:

* A ``fit`` called while a run is active logs into that run (e.g. a ``%%track`` cell's run); a
  top-level ``fit`` outside any run gets a run of its own, ended FINISHED, or FAILED (KILLED on
  ``KeyboardInterrupt``) when ``fit`` raises.
* Only the outermost ``fit`` logs: a Pipeline fitting its steps or a search fitting its clones
  neither creates runs nor logs. Depth is tracked per context; while an autologged ``fit`` is in
  progress, ``fit`` calls in other threads (joblib's threading backend) count as nested too.
* ``GridSearchCV``/``RandomizedSearchCV`` log ``best_<param>`` params and ``best_cv_score`` on
  the search's run, and one FINISHED child run per candidate with its params and CV results.
* Logging never breaks training: a logging failure becomes a warning on this module's logger and
  ``fit`` still returns its result; an exception from ``fit`` itself propagates unchanged.
* A param value longer than the store's limit is truncated and ends in :data:`TRUNCATION_MARKER`;
  a param whose key is invalid, or that the run already holds with another value, is skipped
  (debug log).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.model_logging.autolog import _common
from jupyter_mltrack.model_logging.autolog.sklearn_records import (
    TRUNCATION_MARKER,
    estimator_tags,
    is_search,
    log_child_runs,
    param_strings,
    training_metrics,
)
from jupyter_mltrack.tracking.active import ActiveRun, current_run

__all__ = [
    "TRUNCATION_MARKER",
    "autolog",
    "inside_fit",
    "is_enabled",
    "suspended",
    "training_metrics",
]

logger = logging.getLogger(__name__)


class _SilentFilter(logging.Filter):
    """Drop this integration's records while ``autolog(silent=True)`` is in effect."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _config.silent


logger.addFilter(_SilentFilter())

INPUT_EXAMPLE_ROWS = 5
_ORIGINAL_ATTR = "__mltrack_autolog_original__"


@dataclass(slots=True)
class _Config:
    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    exclusive: bool = False
    silent: bool = False
    max_tuning_runs: int | None = None
    extra_tags: dict[str, str] | None = None


_config = _Config()
_lock = threading.Lock()
#: class -> the ``fit`` it had in its own ``__dict__`` before patching (None: it inherited one).
_patched: dict[type, Any] = {}
_fits_in_progress = 0
_depth: ContextVar[int] = ContextVar("mltrack_sklearn_autolog_depth", default=0)


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    *,
    max_tuning_runs: int | None = None,
    extra_tags: Mapping[str, Any] | None = None,
) -> None:
    """Turn scikit-learn autologging on (or off with ``disable=True``); calling again is harmless.

    Keyword names and order are ``mlflow.sklearn.autolog``'s.

    Args:
        log_input_examples: Save the first rows of ``X`` with the model as its input example.
        log_model_signatures: Store the model's signature, inferred from the first rows of ``X``
            and the predictions on them.
        log_models: Log the fitted estimator as the ``model`` artifact (and a search's best
            estimator as ``best_estimator``).
        log_datasets: Accepted for MLflow compatibility; datasets are not recorded.
        disable: Restore every patched ``fit``.
        exclusive: Do not log into a run that was active before ``fit`` (only into the runs
            autologging starts itself).
        disable_for_unsupported_versions: Accepted for MLflow compatibility (no version gate).
        silent: Suppress this integration's warnings and log messages.
        max_tuning_runs: Child runs per parameter search, best ranked first; None logs all.
        extra_tags: Tags set on the runs autologging starts.

    Example:
        >>> import jupyter_mltrack.sklearn
        >>> jupyter_mltrack.sklearn.autolog()  # doctest: +SKIP
        >>> RandomForestClassifier().fit(X, y)  # doctest: +SKIP
    """
    if disable:
        _unpatch_all()
        return
    with _lock:
        _config.log_models = log_models
        _config.log_input_examples = log_input_examples
        _config.log_model_signatures = log_model_signatures
        _config.exclusive = exclusive
        _config.silent = silent
        _config.max_tuning_runs = max_tuning_runs
        _config.extra_tags = {k: str(v) for k, v in (extra_tags or {}).items()} or None
    for cls in _estimator_classes():
        _patch(cls)


def is_enabled() -> bool:
    """Return True while autologging is on and not suspended."""
    return bool(_patched) and not _common.is_suspended()


def inside_fit() -> bool:
    """True inside an autologged ``fit`` in this context (e.g. a Pipeline fitting its steps).

    Other integrations ask so an estimator of theirs inside a Pipeline logs nothing of its own:
    as in MLflow, the outer scikit-learn training owns the run's params and ``model``.
    """
    return _depth.get() > 0


def suspended() -> contextlib.AbstractContextManager[None]:
    """Pause autologging in this process for the duration of the block (``%%track --no-autolog``).

    Pauses every library's autologging, not only scikit-learn's.

    Example:
        >>> with suspended():  # doctest: +SKIP
        ...     model.fit(X, y)  # not logged
    """
    return _common.suspended()


# -- patching ----------------------------------------------------------------------------------
def _estimator_classes() -> list[type]:
    """Return the classes ``sklearn.utils.all_estimators()`` lists, plus Pipeline and searches.

    Collected without ``all_estimators()``: its ``pkgutil.walk_packages`` imports every package
    under ``sklearn`` to recurse into it, ``sklearn.externals.array_api_compat.torch`` included,
    which imports torch (seconds, and a library the user never imported). The same modules are
    inspected here (public, outside tests/externals/experimental) without entering the others.
    """
    import warnings

    from sklearn.base import BaseEstimator
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import Pipeline

    found: dict[type, None] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module in _public_sklearn_modules():
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if name.startswith("_") or cls is BaseEstimator:
                    continue
                if issubclass(cls, BaseEstimator) and not getattr(cls, "__abstractmethods__", ()):
                    found[cls] = None
    # The halving searches, which all_estimators() finds by importing sklearn.experimental (and
    # so enabling them for the user): taken from their module without that side effect.
    from sklearn.model_selection import _search_successive_halving as halving

    extra = [Pipeline, GridSearchCV, RandomizedSearchCV]
    extra += [halving.HalvingGridSearchCV, halving.HalvingRandomSearchCV]
    return list(dict.fromkeys([*sorted(found, key=lambda c: c.__name__), *extra]))


#: Module name parts that ``all_estimators()`` skips.
_IGNORED_PARTS = frozenset(
    {"tests", "externals", "setup", "conftest", "experimental", "estimator_checker"}
)


def _public_sklearn_modules() -> Iterator[ModuleType]:
    import importlib
    import pkgutil

    import sklearn

    pending: list[tuple[list[str], str]] = [(list(sklearn.__path__), "sklearn.")]
    while pending:
        path, prefix = pending.pop()
        for info in pkgutil.iter_modules(path, prefix):
            leaf = info.name.rsplit(".", 1)[1]
            if leaf.startswith("_") or leaf in _IGNORED_PARTS:
                continue
            try:
                module = importlib.import_module(info.name)
            except Exception as exc:  # a module needing an optional dependency
                logger.debug("sklearn autologging skips %s: %s", info.name, exc)
                continue
            yield module
            if info.ispkg:
                pending.append((list(module.__path__), info.name + "."))


def _patch(cls: type) -> None:
    own = cls.__dict__.get("fit")
    if own is not None and hasattr(own, _ORIGINAL_ATTR):
        return  # already patched
    found = inspect.getattr_static(cls, "fit", None)
    original = getattr(found, _ORIGINAL_ATTR, found)
    if not inspect.isfunction(original):
        return
    with _lock:
        _patched[cls] = own
    cls.fit = _wrap(original)  # type: ignore[attr-defined]


def _unpatch_all() -> None:
    with _lock:
        items = list(_patched.items())
        _patched.clear()
    for cls, own in items:
        if own is None:
            with contextlib.suppress(AttributeError):
                delattr(cls, "fit")
        else:
            cls.fit = own  # type: ignore[attr-defined]


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _depth.get() > 0 or _common.is_suspended() or _fits_in_progress > 0:
            return original(self, *args, **kwargs)
        return _autologged_fit(original, self, args, kwargs)

    setattr(fit, _ORIGINAL_ATTR, original)
    return fit


def _autologged_fit(
    original: Callable[..., Any], estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    global _fits_in_progress
    token = _depth.set(_depth.get() + 1)
    with _lock:
        _fits_in_progress += 1
    try:
        run, owned = _ensure_run()
        X, y, sample_weight = _fit_inputs(original, estimator, args, kwargs)
        if run is not None:
            _safely("log params", _log_pretraining, run, estimator)
        try:
            result = original(estimator, *args, **kwargs)
        except BaseException as exc:
            if owned and run is not None:
                failed = isinstance(exc, KeyboardInterrupt)
                status = RunStatus.KILLED if failed else RunStatus.FAILED
                _safely("end the run", _end_run, run, status)
            raise
        if run is not None:
            _safely("log results", _log_posttraining, run, estimator, X, y, sample_weight)
            if owned:
                _safely("end the run", _end_run, run, RunStatus.FINISHED)
        return result
    finally:
        with _lock:
            _fits_in_progress -= 1
        _depth.reset(token)


def _safely(what: str, func: Callable[..., None], *args: Any) -> None:
    try:
        func(*args)
    except Exception as exc:
        logger.warning("sklearn autologging could not %s: %s", what, exc, exc_info=True)


def _ensure_run() -> tuple[ActiveRun | None, bool]:
    run = current_run()
    if run is not None:
        return (None, False) if _config.exclusive else (run, False)
    from jupyter_mltrack.tracking.fluent import start_run

    try:
        return start_run(tags=_config.extra_tags), True
    except Exception as exc:
        logger.warning("sklearn autologging could not start a run; not logging: %s", exc)
        return None, False


def _end_run(run: ActiveRun, status: RunStatus) -> None:
    from jupyter_mltrack.tracking.fluent import end_run_object

    end_run_object(run, status)


def _fit_inputs(
    original: Callable[..., Any], estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    """Return ``(X, y, sample_weight)`` from a ``fit`` call's arguments (None when absent)."""
    try:
        signature = inspect.signature(original)
        values = dict(signature.bind(estimator, *args, **kwargs).arguments)
    except Exception:  # an odd signature must not break fit; fit reports bad arguments itself
        return (args[0] if args else None), None, kwargs.get("sample_weight")
    parameters = signature.parameters
    for name, param in parameters.items():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            values.update(values.pop(name, {}))
    names = list(parameters)[1:]
    X = values.get(names[0]) if names else None
    return X, values.get("y", values.get("Y")), values.get("sample_weight")


# -- what gets logged --------------------------------------------------------------------------
def _log_params(run: ActiveRun, params: Mapping[str, Any]) -> None:
    from jupyter_mltrack.tracking.fluent_logging import log_params

    fresh = {}
    for key, value in param_strings(params).items():
        if run.params.get(key, value) != value:
            logger.debug("sklearn autologging skips param %r: the run has another value", key)
        else:
            fresh[key] = value
    log_params(fresh)


def _log_pretraining(run: ActiveRun, estimator: Any) -> None:
    from jupyter_mltrack.tracking.fluent_logging import set_tags

    if current_run() is not run:
        return
    _log_params(run, estimator.get_params(deep=not is_search(estimator)))
    set_tags(estimator_tags(estimator))


def _log_posttraining(run: ActiveRun, estimator: Any, X: Any, y: Any, sample_weight: Any) -> None:
    from jupyter_mltrack.tracking.fluent_logging import log_metrics

    if current_run() is not run:
        logger.warning("sklearn autologging: the active run changed during fit; not logging")
        return
    search = is_search(estimator)
    if search:
        _log_search_results(run, estimator)
    if X is not None and (not search or hasattr(estimator, "best_estimator_")):
        metrics = training_metrics(estimator, X, y, sample_weight)
        if metrics:
            log_metrics(metrics)
    if _config.log_models:
        rows = _input_example(X) if X is not None else None
        example = rows if _config.log_input_examples else None
        # With an input example the signature is inferred from it when the model is saved.
        sign = _config.log_model_signatures and example is None and rows is not None
        _safely("log the model", _log_model, estimator, "model", example, rows if sign else None)
        if search and hasattr(estimator, "best_estimator_"):
            best = estimator.best_estimator_
            args = (best, "best_estimator", example, rows if sign else None)
            _safely("log the best estimator", _log_model, *args)


def _log_model(estimator: Any, name: str, example: Any, signature_rows: Any = None) -> None:
    from jupyter_mltrack.model_logging.sklearn import log_model
    from jupyter_mltrack.models.flavors._save import _infer_signature

    signature = None
    if signature_rows is not None and hasattr(estimator, "predict"):
        signature = _infer_signature(signature_rows, estimator.predict)
    log_model(estimator, name, input_example=example, signature=signature)


def _input_example(X: Any) -> Any:
    import copy

    try:
        rows = X.iloc[:INPUT_EXAMPLE_ROWS] if hasattr(X, "iloc") else X[:INPUT_EXAMPLE_ROWS]
        return copy.deepcopy(rows)
    except Exception as exc:
        logger.warning("sklearn autologging could not take an input example from X: %s", exc)
        return None


def _log_search_results(run: ActiveRun, search: Any) -> None:
    from jupyter_mltrack.tracking.fluent_logging import log_metrics

    if hasattr(search, "best_params_"):
        _log_params(run, {f"best_{k}": v for k, v in search.best_params_.items()})
    if hasattr(search, "best_score_"):
        log_metrics({"best_cv_score": float(search.best_score_)})
    _safely("log the search's child runs", log_child_runs, run, search, _config.max_tuning_runs)
