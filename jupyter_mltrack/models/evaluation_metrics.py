"""Built-in evaluation metrics, computed with scikit-learn's own functions.

Keys follow MLflow's default evaluator, so a run evaluated here reads like one evaluated by
``mlflow.evaluate``: the unsuffixed ``precision_score``/``recall_score``/``f1_score`` use MLflow's
averaging (``"binary"`` on the positive class for two classes, ``"weighted"`` otherwise), and
``_macro``/``_weighted`` variants are always logged next to them. The positive class of a binary
problem is the larger of the two sorted labels, as in MLflow and scikit-learn.

Pure functions over numpy arrays: nothing here knows about runs or models. scikit-learn is
imported inside the functions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CLASSIFIER_PROBA_KEYS",
    "classifier_metrics",
    "regressor_metrics",
]

logger = logging.getLogger(__name__)

#: Metrics that need predicted probabilities (logged only when the model has ``predict_proba``).
CLASSIFIER_PROBA_KEYS = (
    "log_loss",
    "roc_auc",
    "roc_auc_macro",
    "roc_auc_weighted",
    "precision_recall_auc",
)


def classifier_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    labels: np.ndarray,
    y_proba: np.ndarray | None = None,
    proba_classes: np.ndarray | None = None,
) -> dict[str, float]:
    """Compute the classifier metrics of predictions ``y_pred`` against ``y_true``.

    Args:
        y_true: True labels, one per row.
        y_pred: Predicted labels, one per row.
        labels: Every class, sorted (the union of true, predicted and model classes).
        y_proba: Predicted probabilities, one column per entry of ``proba_classes``.
        proba_classes: The class of each probability column (the estimator's ``classes_``).

    Returns:
        Metric key -> value; probability metrics only when ``y_proba`` is given and defined.
    """
    from sklearn import metrics as sk

    metrics: dict[str, float] = {
        "example_count": float(len(y_true)),
        "accuracy_score": float(sk.accuracy_score(y_true, y_pred)),
    }
    binary = len(labels) == 2
    if binary:
        tn, fp, fn, tp = sk.confusion_matrix(y_true, y_pred, labels=labels).ravel()
        metrics.update(
            true_negatives=float(tn),
            false_positives=float(fp),
            false_negatives=float(fn),
            true_positives=float(tp),
        )
    for name, score in (
        ("precision_score", sk.precision_score),
        ("recall_score", sk.recall_score),
        ("f1_score", sk.f1_score),
    ):
        macro = float(score(y_true, y_pred, average="macro"))
        weighted = float(score(y_true, y_pred, average="weighted"))
        if binary:
            metrics[name] = float(score(y_true, y_pred, average="binary", pos_label=labels[-1]))
        else:
            metrics[name] = weighted
        metrics[f"{name}_macro"] = macro
        metrics[f"{name}_weighted"] = weighted
    if y_proba is not None and proba_classes is not None:
        metrics.update(_probability_metrics(y_true, y_proba, proba_classes, labels))
    return metrics


def _probability_metrics(
    y_true: np.ndarray, y_proba: np.ndarray, classes: np.ndarray, labels: np.ndarray
) -> dict[str, float]:
    from sklearn import metrics as sk

    found: dict[str, float] = {}
    _try(found, "log_loss", lambda: sk.log_loss(y_true, y_proba, labels=classes))
    if len(labels) == 2 and len(classes) == 2:
        positive = y_proba[:, 1]
        _try(found, "roc_auc", lambda: sk.roc_auc_score(y_true, positive))
        _try(
            found,
            "precision_recall_auc",
            lambda: sk.average_precision_score(y_true, positive, pos_label=classes[1]),
        )
        return found
    for average in ("weighted", "macro"):
        _try(
            found,
            f"roc_auc_{average}",
            partial(
                sk.roc_auc_score,
                y_true,
                y_proba,
                multi_class="ovr",
                average=average,
                labels=classes,
            ),
        )
    if "roc_auc_weighted" in found:
        found = {"roc_auc": found["roc_auc_weighted"], **found}
    return found


def _try(found: dict[str, float], key: str, compute: Callable[[], Any]) -> None:
    """Store ``compute()`` under ``key``; skip (with a log record) a metric the data cannot define.

    scikit-learn raises ValueError (or returns NaN) when, e.g., a class has no true example (ROC
    AUC) or ``y_true`` holds a class the model never saw (log loss); MLflow skips such metrics too.
    """
    try:
        value = float(compute())
    except ValueError as exc:
        logger.warning("Metric %r is undefined for this data and was skipped: %s", key, exc)
        return
    if math.isnan(value):
        logger.warning("Metric %r is undefined (NaN) for this data and was skipped", key)
        return
    found[key] = value


def regressor_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Compute the regressor metrics of predictions ``y_pred`` against ``y_true``.

    Returns:
        ``example_count``, ``mean_absolute_error``, ``mean_squared_error``,
        ``root_mean_squared_error``, ``sum_on_target``, ``mean_on_target``, ``r2_score``,
        ``max_error`` and ``mean_absolute_percentage_error``.
    """
    from sklearn import metrics as sk

    total = float(y_true.sum())
    return {
        "example_count": float(len(y_true)),
        "mean_absolute_error": float(sk.mean_absolute_error(y_true, y_pred)),
        "mean_squared_error": float(sk.mean_squared_error(y_true, y_pred)),
        "root_mean_squared_error": float(sk.root_mean_squared_error(y_true, y_pred)),
        "sum_on_target": total,
        "mean_on_target": total / len(y_true),
        "r2_score": float(sk.r2_score(y_true, y_pred)),
        "max_error": float(sk.max_error(y_true, y_pred)),
        "mean_absolute_percentage_error": float(sk.mean_absolute_percentage_error(y_true, y_pred)),
    }
