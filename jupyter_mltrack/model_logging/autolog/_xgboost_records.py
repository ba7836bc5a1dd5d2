"""What XGBoost autologging records: params, eval metrics per iteration, feature importance.

Names follow MLflow's ``mlflow.xgboost.autolog`` so runs compare across both tools.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from jupyter_mltrack.model_logging.autolog.sklearn_records import param_strings
from jupyter_mltrack.tracking.active import current_run

__all__ = [
    "early_stopping_metrics",
    "importance_figure",
    "log_feature_importance",
    "log_params",
    "metric_names",
    "metrics_callback",
]

logger = logging.getLogger(__name__)

Warn = Callable[[str, BaseException | str], None]


def _booster_params(params: Any) -> dict[str, Any]:
    """``train`` takes a dict or a list of pairs (repeated keys, e.g. several ``eval_metric``)."""
    if params is None:
        return {}
    if isinstance(params, Mapping):
        return dict(params)
    grouped: dict[str, list[Any]] = {}
    for key, value in params:
        grouped.setdefault(str(key), []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


def log_params(booster_params: Any, fn_params: Mapping[str, Any]) -> None:
    """Log the booster params, then ``train``'s other arguments; keep values the run has."""
    from jupyter_mltrack.tracking.fluent_logging import log_params as log_fluent_params

    run = current_run()
    if run is None:
        return
    fresh: dict[str, str] = {}
    merged = {**_booster_params(booster_params), **fn_params}
    for key, value in param_strings(merged).items():
        if run.params.get(key, value) != value:
            # A second training in the same run (e.g. one %%track cell): params are immutable.
            logger.debug("xgboost autologging skips param %r: the run has another value", key)
        else:
            fresh[key] = value
    log_fluent_params(fresh)


def metric_names(evals_log: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """The latest value of each eval metric as ``<eval name>-<metric>`` (``@`` -> ``_at_``)."""
    out: dict[str, float] = {}
    for data_name, by_metric in evals_log.items():
        for metric, values in by_metric.items():
            value = values[-1]
            if isinstance(value, tuple):  # xgboost.cv logs (mean, std)
                value = value[0]
            out[f"{data_name}-{metric.replace('@', '_at_')}"] = float(value)
    return out


def metrics_callback(results: list[dict[str, float]], warn: Warn) -> Any:
    """Return a ``TrainingCallback`` logging each iteration's eval metrics at step=iteration.

    Every iteration's metrics are appended to ``results`` too (for the early stopping metrics).
    A logging failure warns once and never stops training.
    """
    import xgboost

    from jupyter_mltrack.tracking.fluent_logging import log_metrics

    class AutologCallback(xgboost.callback.TrainingCallback):  # type: ignore[misc]
        failed = False

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            try:
                metrics = metric_names(evals_log)
                results.append(metrics)
                if metrics and not self.failed:
                    log_metrics(metrics, step=epoch)
            except Exception as exc:
                if not self.failed:
                    warn("log eval metrics", exc)
                self.failed = True
            return False  # never ask training to stop

    return AutologCallback()


def early_stopping_metrics(model: Any, results: list[dict[str, float]]) -> None:
    """MLflow's early stopping record: the stop and best iterations, then the best metrics.

    The best iteration's eval metrics are logged again at step ``len(results)``, one past the
    last iteration, so the last point of each curve is the model's.
    """
    from jupyter_mltrack.tracking.fluent_logging import log_metrics

    if not results:
        return
    best = int(model.best_iteration)
    log_metrics({"stopped_iteration": len(results) - 1, "best_iteration": best})
    if 0 <= best < len(results) and results[best]:
        log_metrics(results[best], step=len(results))


def log_feature_importance(model: Any, importance_type: str, warn: Warn) -> None:
    """Log ``feature_importance_<type>.json`` and, with matplotlib, its bar chart ``.png``."""
    from jupyter_mltrack.tracking.fluent_artifacts import log_dict, log_figure

    booster = model.get_booster() if hasattr(model, "get_booster") else model
    scores = booster.get_score(importance_type=importance_type)
    log_dict(scores, f"feature_importance_{importance_type}.json")
    if not scores:
        return
    try:
        figure = importance_figure(scores, importance_type)
    except ImportError:
        logger.debug("matplotlib is not installed: no feature importance plot")
        return
    except Exception as exc:
        warn(f"plot the {importance_type} feature importance", exc)
        return
    log_figure(figure, f"feature_importance_{importance_type}.png")


def importance_figure(scores: Mapping[str, Any], importance_type: str) -> Any:
    """A horizontal bar chart, largest on top; one bar per class when scores are per class."""
    import numpy as np
    from matplotlib.figure import Figure  # no pyplot: nothing is shown in a notebook

    features = np.array(list(scores))
    values = np.array([np.ravel(v) for v in scores.values()], dtype=float)  # features x classes
    order = np.argsort(np.abs(values).sum(axis=1))
    features, values = features[order], values[order]
    n_features, n_classes = values.shape
    height = 4.8 + (0.1 * n_features if n_features > 10 else 0) + 0.1 * (n_classes > 1) * n_classes
    figure = Figure(figsize=(6.4, height))
    axes = figure.subplots()
    positions = np.arange(n_features)
    offsets = np.linspace(-0.25, 0.25, n_classes) if n_classes > 1 else np.zeros(1)
    bar_height = 0.5 / max(n_classes - 1, 1)
    for index in range(n_classes):
        label = f"Class {index}" if n_classes > 1 else None
        axes.barh(positions + offsets[index], values[:, index], height=bar_height, label=label)
    axes.set_yticks(positions)
    axes.set_yticklabels(features)
    axes.set_xlabel("Importance")
    axes.set_title(f"Feature Importance ({importance_type})")
    if n_classes > 1:
        axes.legend()
    # A margin sized from the longest name: tight_layout measures every label, ~0.1 s per plot.
    longest = max(len(str(name)) for name in features)
    figure.subplots_adjust(left=min(0.6, 0.06 + 0.0125 * longest), right=0.95)
    return figure
