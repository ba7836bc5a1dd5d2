"""Evaluate a model on labelled data: predictions, built-in metrics and plots, in memory.

This is the pure half of ``jupyter_mltrack.evaluate``: it takes a loaded model (a ``PyFuncModel``
or any object with ``predict``) and returns an :class:`Evaluation` (metric values and plotly
figures). Logging them to a run is ``jupyter_mltrack/model_evaluation.py``'s job, so the model
layer stays free of tracking.

Classifier probabilities come from ``predict_proba`` of the underlying estimator
(``model.unwrap_python_model()`` for a ``PyFuncModel``, the object itself otherwise), with the
columns ordered by the estimator's ``classes_``, as MLflow's default evaluator does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import InvalidParameterError, MltrackError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "EVALUATORS",
    "MODEL_TYPES",
    "Evaluation",
    "EvaluationResult",
    "check_evaluate_options",
    "evaluate_model",
]

logger = logging.getLogger(__name__)

MODEL_TYPES = ("classifier", "regressor")
EVALUATORS = ("default",)


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationResult:
    """What ``jupyter_mltrack.evaluate`` logged.

    Attributes:
        metrics: Metric key -> value, as logged to the run.
        artifacts: Artifact file name (e.g. ``"confusion_matrix.html"``) -> artifact URI; only
            the files actually written (PNG files need kaleido).
        run_id: The run the metrics and artifacts were logged to.
    """

    metrics: dict[str, float]
    artifacts: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """An evaluation computed in memory: metric values and figures by artifact name."""

    model_type: str
    metrics: dict[str, float]
    figures: dict[str, Any]


def check_evaluate_options(model_type: str, evaluators: str | Sequence[str]) -> None:
    """Raise InvalidParameterError for an unknown ``model_type`` or ``evaluators`` value."""
    if model_type not in MODEL_TYPES:
        raise InvalidParameterError(
            f"Unknown model_type {model_type!r}; use 'classifier' or 'regressor'."
        )
    names = [evaluators] if isinstance(evaluators, str) else list(evaluators)
    unknown = [name for name in names if name not in EVALUATORS]
    if unknown or not names:
        raise InvalidParameterError(
            f"Unknown evaluators {evaluators!r}; only the built-in 'default' evaluator exists: "
            "pass evaluators='default' (or leave it out)."
        )


def evaluate_model(
    model: Any,
    data: Any,
    targets: Any,
    *,
    model_type: str = "classifier",
    evaluators: str | Sequence[str] = "default",
) -> Evaluation:
    """Predict ``data`` with ``model`` and compute the built-in metrics and figures.

    Args:
        model: A loaded model: a ``PyFuncModel`` or any object with ``predict``.
        data: A pandas DataFrame (or numpy array, dict of columns, list of records).
        targets: The name of the label column in ``data``, or the labels themselves.
        model_type: ``"classifier"`` or ``"regressor"``.
        evaluators: Only ``"default"`` (the built-in metrics and plots).

    Raises:
        InvalidParameterError: An unknown option, a missing label column, labels and data of
            different lengths, or a model without ``predict``.
    """
    check_evaluate_options(model_type, evaluators)
    features, y_true = split_targets(data, targets)
    y_pred = predict_labels(model, features)
    if model_type == "regressor":
        return _evaluate_regressor(y_true, y_pred)
    return _evaluate_classifier(model, features, y_true, y_pred)


def split_targets(data: Any, targets: Any) -> tuple[Any, np.ndarray]:
    """Return (features, labels): drop the ``targets`` column from ``data``, or take the array."""
    import numpy as np
    import pandas as pd

    if not isinstance(data, (pd.DataFrame, np.ndarray)):
        if not isinstance(data, (Mapping, list)):
            raise InvalidParameterError(
                f"evaluate needs data as a pandas DataFrame or numpy array, got "
                f"{type(data).__name__}."
            )
        data = pd.DataFrame(data)
    if isinstance(targets, str):
        if not isinstance(data, pd.DataFrame):
            raise InvalidParameterError(
                f"targets={targets!r} names a column, but data is a numpy array without column "
                "names; pass the labels themselves as targets, or data as a DataFrame."
            )
        if targets not in data.columns:
            raise InvalidParameterError(
                f"targets column {targets!r} is not in data; its columns are {list(data.columns)}."
            )
        return data.drop(columns=[targets]), _labels_array(data[targets])
    labels = _labels_array(targets)
    if len(labels) != len(data):
        raise InvalidParameterError(
            f"targets has {len(labels)} labels but data has {len(data)} rows; pass one label "
            "per row."
        )
    return data, labels


def _labels_array(values: Any) -> np.ndarray:
    import numpy as np
    import pandas as pd

    if isinstance(values, (pd.Series, pd.DataFrame)):
        values = values.to_numpy()
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array.ravel()
    if array.ndim != 1:
        raise InvalidParameterError(
            f"targets must be one label per row (1-D), got an array of shape {array.shape}."
        )
    if len(array) == 0:
        raise InvalidParameterError("evaluate needs at least one row of data; got none.")
    if pd.isna(array).any():
        raise InvalidParameterError(
            "targets contain missing values (None/NaN); drop those rows before evaluating."
        )
    return array


def predict_labels(model: Any, features: Any) -> np.ndarray:
    """Return ``model.predict(features)`` as a 1-D array with one prediction per row."""
    import numpy as np
    import pandas as pd

    predict = getattr(model, "predict", None)
    if not callable(predict):
        raise InvalidParameterError(
            f"evaluate needs a model URI or an object with a predict method, got "
            f"{type(model).__name__}."
        )
    output = predict(features)
    if isinstance(output, pd.DataFrame):
        if output.shape[1] != 1:
            raise InvalidParameterError(
                f"The model returned {output.shape[1]} columns {list(output.columns)}; evaluate "
                "needs one prediction per row."
            )
        output = output.iloc[:, 0]
    if isinstance(output, pd.Series):
        output = output.to_numpy()
    predictions = np.asarray(output)
    if predictions.ndim == 2 and predictions.shape[1] == 1:
        predictions = predictions.ravel()
    if predictions.ndim != 1 or len(predictions) != len(features):
        raise InvalidParameterError(
            f"The model returned predictions of shape {predictions.shape} for {len(features)} "
            "rows; evaluate needs one prediction per row."
        )
    return predictions


def _evaluate_regressor(y_true: np.ndarray, y_pred: np.ndarray) -> Evaluation:
    from jupyter_mltrack.models.evaluation_metrics import regressor_metrics
    from jupyter_mltrack.models.evaluation_plots import residuals_figure

    truth = _as_numbers(y_true, "targets")
    predicted = _as_numbers(y_pred, "predictions")
    metrics = regressor_metrics(truth, predicted)
    figures = {"residuals_plot": residuals_figure(truth, predicted)}
    return Evaluation(model_type="regressor", metrics=metrics, figures=figures)


def _as_numbers(values: np.ndarray, what: str) -> np.ndarray:
    import numpy as np

    try:
        numbers = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"A regressor's {what} must be numbers ({exc}); use model_type='classifier' for "
            "class labels."
        ) from None
    if not np.isfinite(numbers).all():
        raise InvalidParameterError(f"The regressor's {what} contain NaN or infinite values.")
    return numbers


def _evaluate_classifier(
    model: Any, features: Any, y_true: np.ndarray, y_pred: np.ndarray
) -> Evaluation:
    import jupyter_mltrack.models.evaluation_plots as plots
    from jupyter_mltrack.models.evaluation_metrics import classifier_metrics

    y_proba, classes = predict_probabilities(model, features)
    labels = _class_labels(y_true, y_pred, classes)
    if y_proba is not None and classes is None:
        classes = labels if y_proba.shape[1] == len(labels) else None
    if classes is None:
        y_proba = None
    metrics = classifier_metrics(
        y_true, y_pred, labels=labels, y_proba=y_proba, proba_classes=classes
    )
    figures = {"confusion_matrix": plots.confusion_matrix_figure(y_true, y_pred, labels)}
    if y_proba is not None and classes is not None:
        figures["roc_curve_plot"] = plots.roc_curve_figure(y_true, y_proba, classes)
        figures["precision_recall_curve_plot"] = plots.precision_recall_curve_figure(
            y_true, y_proba, classes
        )
    return Evaluation(model_type="classifier", metrics=metrics, figures=figures)


def predict_probabilities(model: Any, features: Any) -> tuple[np.ndarray | None, Any]:
    """Return (probabilities, classes) from the estimator's ``predict_proba``, or (None, None).

    ``classes`` is the estimator's ``classes_`` (None if it has none); probabilities of an
    unexpected shape are dropped with a log record rather than guessed at.
    """
    import numpy as np

    estimator = _underlying_estimator(model)
    predict_proba = getattr(estimator, "predict_proba", None)
    if not callable(predict_proba):
        return None, None
    proba = np.asarray(predict_proba(features), dtype=float)
    classes = getattr(estimator, "classes_", None)
    if proba.ndim != 2 or len(proba) != len(features):
        logger.warning("predict_proba returned shape %s; probability metrics skipped", proba.shape)
        return None, None
    if classes is not None and len(classes) != proba.shape[1]:
        logger.warning(
            "predict_proba has %d columns but the model has %d classes_; probability metrics "
            "skipped",
            proba.shape[1],
            len(classes),
        )
        return None, None
    return proba, None if classes is None else np.asarray(classes)


def _underlying_estimator(model: Any) -> Any:
    """Return the object whose ``predict_proba`` to use: the raw estimator, or None.

    A custom ``PythonModel`` gives none: its methods take a context, unlike an estimator's.
    """
    unwrap = getattr(model, "unwrap_python_model", None)
    if not callable(unwrap):
        return model
    from jupyter_mltrack.models.pyfunc import PythonModel

    try:
        estimator = unwrap()
    except MltrackError as exc:  # a flavor with nothing to unwrap: no probabilities
        logger.info("No underlying estimator for probabilities: %s", exc)
        return None
    return None if isinstance(estimator, PythonModel) else estimator


def _class_labels(y_true: np.ndarray, y_pred: np.ndarray, classes: Any) -> np.ndarray:
    """Return every class, sorted: true and predicted labels plus the model's own classes."""
    import numpy as np

    parts = [y_true, y_pred] if classes is None else [y_true, y_pred, classes]
    kinds = {_label_kind(part) for part in parts}
    if len(kinds) > 1 or "mixed" in kinds:
        raise InvalidParameterError(
            f"Targets and predictions mix label types (targets are {_label_kind(y_true)}, "
            f"predictions are {_label_kind(y_pred)}); make both numbers or both strings."
        )
    labels = np.unique(np.concatenate(parts))
    if len(labels) < 2:
        raise InvalidParameterError(
            f"A classifier evaluation needs at least two classes among targets and predictions; "
            f"found only {labels.tolist()}."
        )
    return labels


def _label_kind(values: Any) -> str:
    """Return ``"numbers"``, ``"strings"`` or ``"mixed"`` for an array of class labels."""
    from pandas.api.types import infer_dtype

    kind = infer_dtype(values, skipna=False)
    if kind in ("integer", "floating", "mixed-integer-float", "boolean", "decimal"):
        return "numbers"
    return "strings" if kind == "string" else "mixed"
