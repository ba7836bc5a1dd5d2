"""Plotly figures of a model evaluation: confusion matrix, ROC and PR curves, residuals.

Pure functions over numpy arrays returning ``plotly.graph_objects.Figure``; the caller decides
where and in which format to save them. plotly and scikit-learn are imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import plotly.graph_objects as go

__all__ = [
    "MAX_SCATTER_POINTS",
    "confusion_matrix_figure",
    "precision_recall_curve_figure",
    "residuals_figure",
    "roc_curve_figure",
]

#: The residuals plot shows at most this many points (a fixed random sample beyond that), so the
#: HTML artifact stays small and opens quickly for large evaluation sets.
MAX_SCATTER_POINTS = 10_000

_LAYOUT: dict[str, Any] = {"template": "plotly_white", "width": 640, "height": 520}


def confusion_matrix_figure(
    y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray
) -> go.Figure:
    """Plot the confusion matrix: colour is the share of each true class, text the count."""
    import numpy as np
    import plotly.graph_objects as go
    from sklearn.metrics import confusion_matrix

    counts = confusion_matrix(y_true, y_pred, labels=labels)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    names = [str(label) for label in labels]
    heatmap = go.Heatmap(
        z=shares,
        x=names,
        y=names,
        text=counts,
        texttemplate="%{text}",
        colorscale="Blues",
        zmin=0.0,
        zmax=1.0,
        colorbar={"title": {"text": "share of true class"}},
        hovertemplate="true %{y}<br>predicted %{x}<br>count %{text}<br>share %{z:.3f}"
        "<extra></extra>",
    )
    figure = go.Figure(heatmap)
    figure.update_layout(
        title="Confusion matrix",
        xaxis={"title": {"text": "Predicted label"}, "type": "category"},
        yaxis={"title": {"text": "True label"}, "type": "category", "autorange": "reversed"},
        **_LAYOUT,
    )
    return figure


def roc_curve_figure(y_true: np.ndarray, y_proba: np.ndarray, classes: np.ndarray) -> go.Figure:
    """Plot ROC curves: the positive class for two classes, one-vs-rest per class otherwise."""
    import plotly.graph_objects as go
    from sklearn.metrics import auc, roc_curve

    figure = go.Figure()
    for index, label in _curve_classes(y_true, classes):
        fpr, tpr, _ = roc_curve(y_true == label, y_proba[:, index])
        name = f"{label} (AUC={auc(fpr, tpr):.3f})"
        figure.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=name))
    figure.add_trace(_diagonal())
    figure.update_layout(
        title="ROC curve",
        xaxis={"title": {"text": "False positive rate"}, "range": [0, 1]},
        yaxis={"title": {"text": "True positive rate"}, "range": [0, 1.02]},
        **_LAYOUT,
    )
    return figure


def precision_recall_curve_figure(
    y_true: np.ndarray, y_proba: np.ndarray, classes: np.ndarray
) -> go.Figure:
    """Plot precision-recall curves, per class as in :func:`roc_curve_figure`."""
    import plotly.graph_objects as go
    from sklearn.metrics import average_precision_score, precision_recall_curve

    figure = go.Figure()
    for index, label in _curve_classes(y_true, classes):
        truth = y_true == label
        precision, recall, _ = precision_recall_curve(
            truth, y_proba[:, index], drop_intermediate=True
        )
        ap = average_precision_score(truth, y_proba[:, index])
        name = f"{label} (AP={ap:.3f})"
        figure.add_trace(go.Scatter(x=recall, y=precision, mode="lines", name=name))
    figure.update_layout(
        title="Precision-recall curve",
        xaxis={"title": {"text": "Recall"}, "range": [0, 1]},
        yaxis={"title": {"text": "Precision"}, "range": [0, 1.02]},
        **_LAYOUT,
    )
    return figure


def residuals_figure(y_true: np.ndarray, y_pred: np.ndarray) -> go.Figure:
    """Plot residuals (true minus predicted) against the predicted value."""
    import numpy as np
    import plotly.graph_objects as go

    predicted = np.asarray(y_pred, dtype=float)
    residuals = np.asarray(y_true, dtype=float) - predicted
    if len(predicted) > MAX_SCATTER_POINTS:
        keep = np.random.default_rng(0).choice(len(predicted), MAX_SCATTER_POINTS, replace=False)
        predicted, residuals = predicted[keep], residuals[keep]
    figure = go.Figure(
        go.Scatter(
            x=predicted,
            y=residuals,
            mode="markers",
            marker={"size": 5, "opacity": 0.6},
            name="residual",
            hovertemplate="predicted %{x:.4g}<br>residual %{y:.4g}<extra></extra>",
        )
    )
    figure.add_hline(y=0.0, line={"dash": "dash", "color": "grey"})
    figure.update_layout(
        title="Residuals vs predicted",
        xaxis={"title": {"text": "Predicted value"}},
        yaxis={"title": {"text": "Residual (true - predicted)"}},
        showlegend=False,
        **_LAYOUT,
    )
    return figure


def _curve_classes(y_true: np.ndarray, classes: np.ndarray) -> list[tuple[int, Any]]:
    """Return (probability column, class) pairs to draw: the positive class only when binary.

    A class without any true example has no curve (its true positive rate is undefined).
    """
    pairs = [(1, classes[1])] if len(classes) == 2 else list(enumerate(classes))
    present = set(y_true.tolist())
    return [(index, label) for index, label in pairs if label in present]


def _diagonal() -> go.Scatter:
    import plotly.graph_objects as go

    return go.Scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        line={"dash": "dash", "color": "grey"},
        name="chance",
        hoverinfo="skip",
    )
