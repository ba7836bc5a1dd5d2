"""evaluate() on classifiers: metric values equal scikit-learn's, logged to the run, with plots."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

import jupyter_mltrack as mlt
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.model_logging.evaluate import DATASET_NAME_TAG, MODEL_TYPE_TAG

HAS_KALEIDO = importlib.util.find_spec("kaleido") is not None


def iris_frame() -> tuple[pd.DataFrame, LogisticRegression]:
    features, labels = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=1000).fit(features, labels)
    return features.assign(species=labels), model


def cancer_data() -> tuple[pd.DataFrame, pd.Series, LogisticRegression]:
    features, labels = load_breast_cancer(return_X_y=True, as_frame=True)
    features = features.iloc[:, :5]
    model = LogisticRegression(max_iter=5000).fit(features, labels)
    return features, labels, model


def test_multiclass_metrics_equal_sklearn_and_are_logged() -> None:
    frame, model = iris_frame()
    features, y = frame.drop(columns=["species"]), frame["species"]
    pred, proba = model.predict(features), model.predict_proba(features)
    with mlt.start_run() as run:
        result = mlt.evaluate(model, frame, "species", model_type="classifier")
    expected = {
        "example_count": 150.0,
        "accuracy_score": sk.accuracy_score(y, pred),
        "precision_score": sk.precision_score(y, pred, average="weighted"),
        "recall_score": sk.recall_score(y, pred, average="weighted"),
        "f1_score": sk.f1_score(y, pred, average="weighted"),
        "log_loss": sk.log_loss(y, proba),
        "roc_auc": sk.roc_auc_score(y, proba, multi_class="ovr", average="weighted"),
    }
    for average in ("macro", "weighted"):
        expected[f"precision_score_{average}"] = sk.precision_score(y, pred, average=average)
        expected[f"recall_score_{average}"] = sk.recall_score(y, pred, average=average)
        expected[f"f1_score_{average}"] = sk.f1_score(y, pred, average=average)
        expected[f"roc_auc_{average}"] = sk.roc_auc_score(
            y, proba, multi_class="ovr", average=average
        )
    assert result.metrics == expected
    assert result.run_id == run.info.run_id
    logged = TrackingClient().get_run(run.info.run_id).data
    assert logged.metrics == expected
    assert logged.tags[MODEL_TYPE_TAG] == "classifier"
    assert DATASET_NAME_TAG not in logged.tags


def test_binary_metrics_use_positive_class_like_mlflow() -> None:
    features, y, model = cancer_data()
    pred, positive = model.predict(features), model.predict_proba(features)[:, 1]
    with mlt.start_run():
        result = mlt.evaluate(model, features, y.to_numpy())
    tn, fp, fn, tp = sk.confusion_matrix(y, pred).ravel()
    assert result.metrics == {
        "example_count": float(len(y)),
        "accuracy_score": sk.accuracy_score(y, pred),
        "true_negatives": tn,
        "false_positives": fp,
        "false_negatives": fn,
        "true_positives": tp,
        "precision_score": sk.precision_score(y, pred),
        "precision_score_macro": sk.precision_score(y, pred, average="macro"),
        "precision_score_weighted": sk.precision_score(y, pred, average="weighted"),
        "recall_score": sk.recall_score(y, pred),
        "recall_score_macro": sk.recall_score(y, pred, average="macro"),
        "recall_score_weighted": sk.recall_score(y, pred, average="weighted"),
        "f1_score": sk.f1_score(y, pred),
        "f1_score_macro": sk.f1_score(y, pred, average="macro"),
        "f1_score_weighted": sk.f1_score(y, pred, average="weighted"),
        "log_loss": sk.log_loss(y, model.predict_proba(features)),
        "roc_auc": sk.roc_auc_score(y, positive),
        "precision_recall_auc": sk.average_precision_score(y, positive),
    }


def test_string_labels_take_the_larger_label_as_positive() -> None:
    features, y, model = cancer_data()
    names = np.where(y == 1, "malignant", "benign")
    model = LogisticRegression(max_iter=5000).fit(features, names)
    pred = model.predict(features)
    positive = model.predict_proba(features)[:, list(model.classes_).index("malignant")]
    with mlt.start_run():
        result = mlt.evaluate(model, features.assign(diagnosis=names), "diagnosis")
    assert result.metrics["f1_score"] == sk.f1_score(names, pred, pos_label="malignant")
    assert result.metrics["roc_auc"] == sk.roc_auc_score(names == "malignant", positive)
    assert result.metrics["true_positives"] == float(
        ((names == "malignant") & (pred == "malignant")).sum()
    )


def test_model_without_predict_proba_gets_no_probability_metrics_or_curves() -> None:
    features, y, _ = cancer_data()
    model = LinearSVC().fit(features, y)
    with mlt.start_run():
        result = mlt.evaluate(model, features, y)
    assert result.metrics["accuracy_score"] == sk.accuracy_score(y, model.predict(features))
    assert not {"log_loss", "roc_auc", "precision_recall_auc"} & set(result.metrics)
    assert {name.split(".")[0] for name in result.artifacts} == {"confusion_matrix"}


def test_plots_are_json_and_light_html_artifacts(tmp_path: Path) -> None:
    frame, model = iris_frame()
    with mlt.start_run() as run:
        result = mlt.evaluate(model, frame, "species")
    client = TrackingClient()
    listed = [f.path for f in client.list_artifacts(run.info.run_id, "evaluation")]
    names = ["confusion_matrix", "precision_recall_curve_plot", "roc_curve_plot"]
    formats = ["html", "json", "png"] if HAS_KALEIDO else ["html", "json"]
    assert listed == sorted(f"evaluation/{n}.{fmt}" for n in names for fmt in formats)
    assert sorted(result.artifacts) == sorted(f"{n}.{fmt}" for n in names for fmt in formats)
    html = Path(result.artifacts["confusion_matrix.html"]).read_text()
    assert '"type":"heatmap"' in html and "cdn.plot.ly/plotly-" in html
    assert "plotly.js v" not in html  # no private copy of plotly.js per plot (issue 19)
    for name in names:  # each plot costs what its data costs
        for fmt in ("html", "json"):
            assert Path(result.artifacts[f"{name}.{fmt}"]).stat().st_size <= 200_000
    figure = json.loads(Path(result.artifacts["confusion_matrix.json"]).read_text())
    assert figure["data"][0]["type"] == "heatmap"
    roc = Path(
        client.download_artifacts(run.info.run_id, "evaluation/roc_curve_plot.html", tmp_path)
    )
    assert roc.read_text().count('"mode":"lines"') == 4  # three one-vs-rest curves and chance


@pytest.mark.skipif(HAS_KALEIDO, reason="kaleido is installed, so PNG files are written")
def test_png_is_skipped_with_a_log_record_without_kaleido(caplog: pytest.LogCaptureFixture) -> None:
    features, y, model = cancer_data()
    with caplog.at_level("INFO", logger="jupyter_mltrack.model_logging.evaluate"):
        result = mlt.evaluate(model, features, y)
    assert not [name for name in result.artifacts if name.endswith(".png")]
    assert "kaleido is not installed" in caplog.text


def test_starts_a_run_when_none_is_active_and_records_the_dataset_name() -> None:
    assert mlt.active_run() is None
    frame, model = iris_frame()
    result = mlt.evaluate(model, frame, "species", dataset_name="iris_test")
    active = mlt.active_run()
    assert active is not None and result.run_id == active.info.run_id
    mlt.end_run()
    run = TrackingClient().get_run(result.run_id or "")
    assert run.data.tags[DATASET_NAME_TAG] == "iris_test"
    assert run.data.metrics["accuracy_score"] == result.metrics["accuracy_score"]
    files = TrackingClient().list_artifacts(run.info.run_id, "evaluation/iris_test")
    assert "evaluation/iris_test/confusion_matrix.html" in [f.path for f in files]


def test_two_datasets_in_one_run_keep_both_sets_of_plots() -> None:
    frame, model = iris_frame()
    with mlt.start_run() as run:
        mlt.evaluate(model, frame.iloc[::2], "species", dataset_name="even")
        odd = mlt.evaluate(model, frame.iloc[1::2], "species", dataset_name="odd")
    client = TrackingClient()
    assert [f.path for f in client.list_artifacts(run.info.run_id, "evaluation")] == [
        "evaluation/even",
        "evaluation/odd",
    ]
    assert (
        client.get_run(run.info.run_id).data.metrics["accuracy_score"]
        == odd.metrics["accuracy_score"]
    )


def test_labels_absent_from_the_data_are_still_classes_of_the_model() -> None:
    frame, model = iris_frame()
    two_classes = frame[frame["species"] != 2]
    features, y = two_classes.drop(columns=["species"]), two_classes["species"]
    with mlt.start_run():
        result = mlt.evaluate(model, two_classes, "species")
    proba = model.predict_proba(features)
    assert "true_positives" not in result.metrics  # three model classes: not a binary problem
    assert result.metrics["log_loss"] == sk.log_loss(y, proba, labels=[0, 1, 2])
    # a class without true examples has weight 0 in the weighted ROC AUC, but makes the macro
    # average undefined (NaN): that one is skipped, not logged as NaN
    weighted = sk.roc_auc_score(y, proba, multi_class="ovr", average="weighted", labels=[0, 1, 2])
    assert result.metrics["roc_auc"] == result.metrics["roc_auc_weighted"] == weighted
    assert "roc_auc_macro" not in result.metrics
    assert sorted(result.artifacts) == [
        "confusion_matrix.html",
        "confusion_matrix.json",
        "precision_recall_curve_plot.html",
        "precision_recall_curve_plot.json",
        "roc_curve_plot.html",
        "roc_curve_plot.json",
    ]
