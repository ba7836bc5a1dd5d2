"""The evaluation figures, checked through their plotly figure data (no tracking involved)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import auc, roc_curve

from jupyter_mltrack.models import evaluation_plots as plots


def test_confusion_matrix_colours_shares_and_labels_counts() -> None:
    y_true = np.array(["a", "a", "a", "b", "b", "c"])
    y_pred = np.array(["a", "b", "a", "b", "b", "a"])
    figure = plots.confusion_matrix_figure(y_true, y_pred, np.array(["a", "b", "c"]))
    heatmap = figure.data[0]
    assert heatmap.type == "heatmap"
    assert list(heatmap.x) == ["a", "b", "c"] and list(heatmap.y) == ["a", "b", "c"]
    assert np.asarray(heatmap.text).tolist() == [[2, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert np.allclose(np.asarray(heatmap.z)[0], [2 / 3, 1 / 3, 0.0])
    assert np.asarray(heatmap.z)[2].tolist() == [1.0, 0.0, 0.0]


def test_confusion_matrix_row_without_true_examples_is_zero_not_nan() -> None:
    figure = plots.confusion_matrix_figure(np.array([0, 0]), np.array([0, 1]), np.array([0, 1]))
    assert np.asarray(figure.data[0].z).tolist() == [[0.5, 0.5], [0.0, 0.0]]


def test_roc_curve_binary_draws_the_positive_class_and_chance() -> None:
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 200)
    positive = np.clip(y_true * 0.3 + rng.random(200) * 0.7, 0, 1)
    proba = np.column_stack([1 - positive, positive])
    figure = plots.roc_curve_figure(y_true, proba, np.array([0, 1]))
    curve, chance = figure.data
    fpr, tpr, _ = roc_curve(y_true, positive)
    assert np.array_equal(curve.x, fpr) and np.array_equal(curve.y, tpr)
    assert curve.name == f"1 (AUC={auc(fpr, tpr):.3f})"
    assert chance.name == "chance"


def test_curves_are_one_vs_rest_for_each_class_with_examples() -> None:
    y_true = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    proba = np.full((8, 4), 0.25)
    classes = np.array([0, 1, 2, 3])  # class 3 has no true example: no curve for it
    roc = plots.roc_curve_figure(y_true, proba, classes)
    pr = plots.precision_recall_curve_figure(y_true, proba, classes)
    assert [trace.name.split(" ")[0] for trace in roc.data] == ["0", "1", "2", "chance"]
    assert [trace.name.split(" ")[0] for trace in pr.data] == ["0", "1", "2"]
    assert pr.layout.xaxis.title.text == "Recall"


def test_residuals_are_true_minus_predicted_and_capped_in_number() -> None:
    figure = plots.residuals_figure(np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0]))
    assert np.asarray(figure.data[0].x).tolist() == [1.5, 2.0, 3.0]
    assert np.asarray(figure.data[0].y).tolist() == [-0.5, 0.0, 1.0]
    many = plots.MAX_SCATTER_POINTS + 500
    big = plots.residuals_figure(np.zeros(many), np.arange(many, dtype=float))
    assert len(big.data[0].x) == plots.MAX_SCATTER_POINTS
    assert set(np.asarray(big.data[0].x).tolist()) <= set(range(many))
