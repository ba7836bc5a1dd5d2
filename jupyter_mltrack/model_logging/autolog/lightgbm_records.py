"""What LightGBM autologging records, named as MLflow's ``mlflow.lightgbm.autolog`` names it.

* params: the ``params`` dict given to ``lightgbm.train`` plus its other plain arguments
  (``num_boost_round``, ``keep_training_booster``; data sets, callbacks and functions are not
  params);
* metrics: ``<valid name>-<metric>`` at ``step = iteration`` for every validation set, ``@``
  written ``_at_`` (``valid_0-ndcg_at_3``); with early stopping also ``stopped_iteration``,
  ``best_iteration`` and the best iteration's metrics again at step ``stopped_iteration``;
* artifacts: ``feature_importance_{split,gain}.json`` and ``.png`` (the plot needs matplotlib).
"""

from __future__ import annotations

import copy
import inspect
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from jupyter_mltrack.model_logging.autolog.sklearn_records import param_strings
from jupyter_mltrack.tracking.active import ActiveRun

__all__ = [
    "INPUT_EXAMPLE_ROWS",
    "MetricsRecorder",
    "input_example",
    "log_early_stopping",
    "log_feature_importance",
    "log_params",
    "train_params",
]

logger = logging.getLogger("jupyter_mltrack.autolog.lightgbm")

INPUT_EXAMPLE_ROWS = 5
#: ``lightgbm.train`` arguments that are not logged as params (data, functions, callbacks).
UNLOGGED_ARGS = frozenset(
    {
        "params",
        "train_set",
        "valid_sets",
        "valid_names",
        "fobj",
        "feval",
        "init_model",
        "learning_rates",
        "callbacks",
        "evals_result",
    }
)


def train_params(
    train: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the params MLflow logs for one ``lightgbm.train`` call: ``params`` + plain args."""
    parameters = [p for p in inspect.signature(train).parameters.values() if p.name != "self"]
    given = {p.name: value for p, value in zip(parameters, args, strict=False)}
    given.update(kwargs)
    booster_params = dict(given.get("params") or {})
    for param in parameters[len(args) :]:
        if param.name not in given and param.default is not inspect.Parameter.empty:
            given[param.name] = param.default
    plain = {k: v for k, v in given.items() if k not in UNLOGGED_ARGS}
    return {**booster_params, **plain}


def log_params(run: ActiveRun, params: Mapping[str, Any]) -> None:
    """Log params, skipping (debug log) keys the run already holds with another value."""
    from jupyter_mltrack.tracking.fluent_logging import log_params as log_all

    fresh = {}
    for key, value in param_strings(params).items():
        if run.params.get(key, value) != value:
            logger.debug("lightgbm autologging skips param %r: the run has another value", key)
        else:
            fresh[key] = value
    if fresh:
        log_all(fresh)


def input_example(data: Any) -> Any:
    """Copy the first rows of a ``Dataset``'s raw data (taken before training frees it).

    Raises:
        ValueError: The data is a file path or was already freed, so no rows can be taken.
    """
    if data is None:
        raise ValueError(
            "the Dataset's raw data is gone (constructed before training with "
            "free_raw_data=True); no input example"
        )
    if isinstance(data, str | os.PathLike):
        raise ValueError("cannot gather an input example when the dataset is loaded from a file")
    rows = data.iloc[:INPUT_EXAMPLE_ROWS] if hasattr(data, "iloc") else data[:INPUT_EXAMPLE_ROWS]
    return copy.deepcopy(rows)


class MetricsRecorder:
    """A LightGBM callback logging each iteration's evaluation results as metrics.

    A failure is logged once as a warning and recording stops; it never reaches LightGBM, so
    training goes on.
    """

    def __init__(self, warn: Callable[[str, BaseException], None]) -> None:
        self.results: list[dict[str, float]] = []
        self._warn = warn
        self._broken = False

    def __call__(self, env: Any) -> None:
        if self._broken:
            return
        try:
            from jupyter_mltrack.tracking.fluent_logging import log_metrics

            values = {
                _metric_name(f"{entry[0]}-{entry[1]}"): float(entry[2])
                for entry in env.evaluation_result_list or ()
            }
            self.results.append(values)
            if values:
                log_metrics(values, step=int(env.iteration))
        except Exception as exc:
            self._broken = True
            self._warn("log the iteration's metrics", exc)


def _metric_name(name: str) -> str:
    # "@" (ndcg@3, map@5) is not allowed in metric names: MLflow writes it "_at_".
    return name.replace("@", "_at_")


def log_early_stopping(booster: Any, results: list[dict[str, float]]) -> None:
    """With early stopping, log ``stopped_iteration``, ``best_iteration`` and the best metrics."""
    from jupyter_mltrack.tracking.fluent_logging import log_metrics

    best = int(getattr(booster, "best_iteration", 0) or 0)
    if best <= 0:
        return
    stopped = len(results)
    log_metrics({"stopped_iteration": stopped, "best_iteration": best})
    if 0 < best <= stopped and results[best - 1]:  # LightGBM counts iterations from 1 here
        log_metrics(results[best - 1], step=stopped)


def log_feature_importance(booster: Any, warn: Callable[[str, BaseException], None]) -> None:
    """Log ``feature_importance_{split,gain}.json`` and, with matplotlib, the ``.png`` plots."""
    from jupyter_mltrack.tracking.fluent_artifacts import log_dict

    features = list(booster.feature_name())
    for kind in ("split", "gain"):
        importance = booster.feature_importance(importance_type=kind)
        log_dict(dict(zip(features, importance.tolist(), strict=True)), _file(kind, "json"))
        try:
            _log_plot(features, importance, kind)
        except ImportError:
            logger.debug("matplotlib is not installed: no feature importance plot")
        except Exception as exc:
            warn(f"plot the {kind} feature importance", exc)


def _file(kind: str, extension: str) -> str:
    return f"feature_importance_{kind}.{extension}"


def _log_plot(features: list[str], importance: Any, kind: str) -> None:
    import numpy as np
    from matplotlib.figure import Figure  # not pyplot: leaves the user's backend and figures alone

    from jupyter_mltrack.tracking.fluent_artifacts import log_figure

    order = np.argsort(importance)
    count = len(features)
    # A taller figure for many features, as MLflow draws it, so labels stay readable.
    figure = Figure(figsize=(6.4, 4.8 + (0.1 * count if count > 10 else 0)))
    axes = figure.subplots()
    ticks = np.arange(count)
    axes.barh(ticks, importance[order], align="center", height=0.5)
    axes.set_yticks(ticks)
    axes.set_yticklabels(np.array(features)[order])
    axes.set_xlabel("Importance")
    axes.set_title(f"Feature Importance ({kind})")
    figure.tight_layout()
    log_figure(figure, _file(kind, "png"))
