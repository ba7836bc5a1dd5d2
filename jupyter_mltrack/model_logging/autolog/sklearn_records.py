"""What scikit-learn autologging records, independent of how ``fit`` is patched.

Param strings (long values truncated with :data:`TRUNCATION_MARKER`), the estimator tags,
MLflow's ``training_*`` metrics and the child runs of a parameter search. Used by
:mod:`jupyter_mltrack.model_logging.autolog.sklearn`, which re-exports the public names.
"""

from __future__ import annotations

import inspect
import logging
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from jupyter_mltrack._time import now_ms
from jupyter_mltrack._validation import MAX_PARAM_VALUE_LENGTH, validate_key
from jupyter_mltrack.entities import Metric, Param, RunStatus
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.active import ActiveRun

__all__ = [
    "TRUNCATION_MARKER",
    "estimator_tags",
    "is_search",
    "log_child_runs",
    "param_strings",
    "training_metrics",
]

# One logger for all of sklearn autologging, so that configuring it once covers these messages.
logger = logging.getLogger("jupyter_mltrack.model_logging.autolog.sklearn")

TRUNCATION_MARKER = "...[truncated]"


def is_search(estimator: Any) -> bool:
    """Return True for a scikit-learn parameter search (``GridSearchCV`` and the like)."""
    from sklearn.model_selection._search import BaseSearchCV

    return isinstance(estimator, BaseSearchCV)


def estimator_tags(estimator: Any) -> dict[str, str]:
    """Return the ``estimator_name`` and ``estimator_class`` tags MLflow sets."""
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}


def param_strings(params: Mapping[str, Any]) -> dict[str, str]:
    """Stringify params, truncating long values and dropping invalid keys."""
    out: dict[str, str] = {}
    for key, value in params.items():
        try:
            validate_key("Param", key)
        except Exception:
            logger.debug("sklearn autologging skips param with invalid key %r", key)
            continue
        text = str(value)
        if len(text) > MAX_PARAM_VALUE_LENGTH:
            logger.debug("sklearn autologging truncates param %r (%d chars)", key, len(text))
            text = text[: MAX_PARAM_VALUE_LENGTH - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
        out[key] = text
    return out


def training_metrics(estimator: Any, X: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
    """Return MLflow's ``training_*`` metrics of a fitted estimator on its training data.

    Classifiers: precision, recall, F1 (weighted), accuracy, and with ``predict_proba`` log loss
    and ROC AUC (weighted, one-vs-one). Regressors: MSE, RMSE, MAE, R². Any estimator with
    ``score``: ``training_score``. Nothing is computed without ``y``; a metric that fails is
    skipped with a warning.
    """
    if y is None:
        return {}
    from sklearn import metrics as m
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float] = {}
    sw = {"sample_weight": sample_weight}
    if is_classifier(estimator) and hasattr(estimator, "predict"):
        pred = estimator.predict(X)
        avg = {"average": "weighted", **sw}
        _metric(out, "precision_score", lambda: m.precision_score(y, pred, **avg))
        _metric(out, "recall_score", lambda: m.recall_score(y, pred, **avg))
        _metric(out, "f1_score", lambda: m.f1_score(y, pred, **avg))
        _metric(out, "accuracy_score", lambda: m.accuracy_score(y, pred, normalize=True, **sw))
        if hasattr(estimator, "predict_proba"):
            proba = estimator.predict_proba(X)
            _metric(out, "log_loss", lambda: m.log_loss(y, proba, **sw))
            score = proba[:, 1] if proba.ndim == 2 and proba.shape[1] == 2 else proba
            _metric(out, "roc_auc", lambda: m.roc_auc_score(y, score, multi_class="ovo", **avg))
    elif is_regressor(estimator) and hasattr(estimator, "predict"):
        pred = estimator.predict(X)
        _metric(out, "mean_squared_error", lambda: m.mean_squared_error(y, pred, **sw))
        if "training_mean_squared_error" in out:
            out["training_root_mean_squared_error"] = math.sqrt(out["training_mean_squared_error"])
        _metric(out, "mean_absolute_error", lambda: m.mean_absolute_error(y, pred, **sw))
        _metric(out, "r2_score", lambda: m.r2_score(y, pred, **sw))
    if hasattr(estimator, "score"):
        takes_weight = "sample_weight" in inspect.signature(estimator.score).parameters
        extra = sw if takes_weight and sample_weight is not None else {}
        _metric(out, "score", lambda: estimator.score(X, y, **extra))
    return out


def _metric(out: dict[str, float], name: str, compute: Callable[[], Any]) -> None:
    try:
        out[f"training_{name}"] = float(compute())
    except Exception as exc:
        logger.warning("sklearn autologging skips metric training_%s: %s", name, exc)


def log_child_runs(run: ActiveRun, search: Any, max_tuning_runs: int | None) -> None:
    """Create one FINISHED child run per candidate of ``search.cv_results_``.

    With ``max_tuning_runs`` set, only that many candidates, best ranked first, get a run.
    """
    results: Mapping[str, Any] = search.cv_results_
    candidates = list(range(len(results["params"])))
    rank_key = "rank_test_score" if "rank_test_score" in results else None
    rank_key = rank_key or next((k for k in results if k.startswith("rank_test_")), None)
    if max_tuning_runs is not None:
        if rank_key is not None:
            candidates.sort(key=lambda i: int(results[rank_key][i]))
        candidates = candidates[: max(max_tuning_runs, 0)]
    seed = search.estimator
    base = seed.get_params(deep=not is_search(seed))
    start = run.info.start_time
    tags = {t.PARENT_RUN_ID: run.run_id, **estimator_tags(seed)}
    for index in candidates:
        params = param_strings({**base, **results["params"][index]})
        when = now_ms()
        metrics = [
            Metric(key=key, value=float(values[index]), timestamp=when)
            for key, values in results.items()
            if not key.startswith(("param", "split")) and isinstance(values[index], numbers.Number)
        ]
        child = run.client.create_run(run.experiment_id, start_time=start, tags=tags)
        child_id = child.info.run_id
        run.client.log_batch(
            child_id, metrics=metrics, params=[Param(key=k, value=v) for k, v in params.items()]
        )
        run.client.set_terminated(child_id, RunStatus.FINISHED)
