"""``jupyter_mltrack.evaluate``: evaluate a model and log the metrics and plots to the active run.

The computation lives in ``models/evaluate.py`` (no tracking there); this module loads a model
given by URI, runs the evaluation and logs its results, like ``model_logging.py`` joins models
with runs. Importing this module is light: models, scikit-learn, pandas and plotly are imported
when ``evaluate`` is called.

Artifacts go under ``evaluation/`` (``evaluation/<dataset_name>/`` when a dataset name is given,
so evaluating several datasets in one run keeps every plot); metric keys are unprefixed, as in
MLflow, and the dataset name is recorded in the ``mltrack.evaluation.datasetName`` tag.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.tracking.active import current_run
from jupyter_mltrack.tracking.fluent import start_run
from jupyter_mltrack.tracking.fluent_artifacts import get_artifact_uri, log_figure
from jupyter_mltrack.tracking.fluent_logging import log_metrics, set_tags

if TYPE_CHECKING:
    from jupyter_mltrack.models.evaluate import Evaluation, EvaluationResult

__all__ = ["DATASET_NAME_TAG", "MODEL_TYPE_TAG", "evaluate"]

logger = logging.getLogger(__name__)

DATASET_NAME_TAG = "mltrack.evaluation.datasetName"
MODEL_TYPE_TAG = "mltrack.evaluation.modelType"
ARTIFACT_DIR = "evaluation"


def evaluate(
    model: Any,
    data: Any,
    targets: Any,
    *,
    model_type: str = "classifier",
    evaluators: str | Sequence[str] = "default",
    dataset_name: str | None = None,
) -> EvaluationResult:
    """Evaluate a model on labelled data and log metrics and plots to the active run.

    Starts a run when none is active, like the ``log_*`` functions. Classifiers get accuracy,
    precision/recall/F1 (MLflow's ``precision_score`` etc. plus ``_macro`` and ``_weighted``
    variants), and ``log_loss``/``roc_auc`` when the model has ``predict_proba``; regressors get
    MAE, MSE, RMSE, R2, MAPE and more, all computed with scikit-learn. Plots (confusion matrix,
    ROC and precision-recall curves, residuals) are saved as self-contained plotly HTML, and as
    PNG too when kaleido is installed.

    Args:
        model: A model URI (``runs:/<id>/model``, a local path, ...) loaded with
            ``jupyter_mltrack.pyfunc.load_model``, or a loaded model: a ``PyFuncModel`` or any
            object with ``predict`` (e.g. a fitted scikit-learn estimator).
        data: A pandas DataFrame (or numpy array) of features, with the label column if
            ``targets`` names one.
        targets: The name of the label column in ``data``, or the labels (one per row).
        model_type: ``"classifier"`` or ``"regressor"``.
        evaluators: Only ``"default"``, the built-in metrics and plots.
        dataset_name: Recorded in the ``mltrack.evaluation.datasetName`` tag; artifacts go under
            ``evaluation/<dataset_name>/``.

    Returns:
        The logged metrics, the written artifacts (file name -> URI) and the run id.

    Raises:
        InvalidParameterError: An unknown ``model_type`` or ``evaluators``, a missing label
            column, labels and data of different lengths, or a model without ``predict``.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> with mlt.start_run():  # doctest: +SKIP
        ...     result = mlt.evaluate("runs:/0f3c.../model", test_df, "label")
        >>> result.metrics["accuracy_score"]  # doctest: +SKIP
        0.96
    """
    from jupyter_mltrack.models.evaluate import check_evaluate_options, evaluate_model

    check_evaluate_options(model_type, evaluators)
    folder = _artifact_dir(dataset_name)
    if isinstance(model, (str, os.PathLike)):
        from jupyter_mltrack.models.pyfunc import load_model

        model = load_model(os.fspath(model))
    evaluation = evaluate_model(model, data, targets, model_type=model_type, evaluators=evaluators)
    return _log_evaluation(evaluation, folder, dataset_name)


def _artifact_dir(dataset_name: str | None) -> str:
    from jupyter_mltrack._validation import validate_artifact_path

    if dataset_name is None:
        return ARTIFACT_DIR
    return validate_artifact_path(f"{ARTIFACT_DIR}/{dataset_name}") or ARTIFACT_DIR


def _log_evaluation(
    evaluation: Evaluation, folder: str, dataset_name: str | None
) -> EvaluationResult:
    from jupyter_mltrack.models.evaluate import EvaluationResult

    run = current_run() or start_run()
    tags = {MODEL_TYPE_TAG: evaluation.model_type}
    if dataset_name is not None:
        tags[DATASET_NAME_TAG] = dataset_name
    set_tags(tags)
    log_metrics(evaluation.metrics, synchronous=True)
    artifacts = _log_figures(evaluation.figures, folder)
    return EvaluationResult(
        metrics=dict(evaluation.metrics), artifacts=artifacts, run_id=run.run_id
    )


def _log_figures(figures: dict[str, Any], folder: str) -> dict[str, str]:
    """Save each figure as JSON and a light HTML page, and as PNG with a static exporter.

    The JSON is the figure itself (what the artifact browser draws); the HTML page opens in any
    browser and loads plotly.js from its CDN rather than carrying a 4.6 MB copy per plot.
    """
    written: dict[str, str] = {}
    formats = ["json", "html"]
    if importlib.util.find_spec("kaleido") is not None:
        formats.append("png")
    else:
        logger.info("kaleido is not installed: evaluation plots saved as JSON and HTML only")
    for name, figure in figures.items():
        for fmt in formats:
            path = f"{folder}/{name}.{fmt}"
            try:
                log_figure(figure, path)
            except Exception as exc:  # a static exporter without its browser must not fail evaluate
                if fmt != "png":
                    raise
                logger.warning("Could not save %s as PNG (%s); JSON and HTML were saved", name, exc)
                continue
            written[f"{name}.{fmt}"] = get_artifact_uri(path)
    return written
