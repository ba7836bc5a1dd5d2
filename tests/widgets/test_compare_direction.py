"""Which way is better for a metric, noise at the shown precision, and the baseline choice."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_mltrack.entities import Run, RunData, RunInfo, RunStatus
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.model_logging.autolog.sklearn_records import training_metrics
from jupyter_mltrack.models.evaluation_metrics import classifier_metrics, regressor_metrics
from jupyter_mltrack.widgets import _direction
from jupyter_mltrack.widgets._baseline import CompareFacts, choose_baseline, metric_senses
from jupyter_mltrack.widgets._compare import (
    MetricCell,
    format_number,
    metric_rows,
    metric_table_html,
)
from jupyter_mltrack.widgets._direction import (
    declare_direction,
    declared_directions,
    direction_tag,
    metric_direction,
    metric_sense,
)
from jupyter_mltrack.widgets._objective import Objective

# Every key this project's own evaluate() and sklearn autologging log, and which way is better
# (None: a count with no better direction, shown uncoloured).
EVALUATE_KEYS = {
    "example_count": None,
    "accuracy_score": "max",
    "true_negatives": "max",
    "true_positives": "max",
    "false_positives": "min",
    "false_negatives": "min",
    "log_loss": "min",
    "roc_auc": "max",
    "roc_auc_macro": "max",
    "roc_auc_weighted": "max",
    "precision_recall_auc": "max",
    **{
        f"{m}{s}": "max"
        for m in ("precision_score", "recall_score", "f1_score")
        for s in ("", "_macro", "_weighted")
    },
    "mean_absolute_error": "min",
    "mean_squared_error": "min",
    "root_mean_squared_error": "min",
    "max_error": "min",
    "mean_absolute_percentage_error": "min",
    "r2_score": "max",
    "sum_on_target": None,
    "mean_on_target": None,
}


@pytest.fixture(autouse=True)
def _forget_kernel_directions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_direction, "_DECLARED", {})


def _logged_by_evaluate() -> set[str]:
    """The keys evaluate() actually computes, for a binary and a three-class problem."""
    y2 = np.array([0, 1, 1, 0, 1, 0])
    p2 = np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    y3 = np.array([0, 1, 2, 0, 1, 2])
    p3 = np.full((6, 3), 1 / 3)
    classes2, classes3 = np.array([0, 1]), np.array([0, 1, 2])
    keys = set(classifier_metrics(y2, p2.argmax(1), labels=classes2, y_proba=p2,
                                  proba_classes=classes2))  # fmt: skip
    keys |= set(classifier_metrics(y3, y3, labels=classes3, y_proba=p3, proba_classes=classes3))
    keys |= set(regressor_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 2.0])))
    return keys


def test_every_key_evaluate_logs_has_the_right_direction():
    logged = _logged_by_evaluate()
    assert logged - set(EVALUATE_KEYS) == set(), "evaluate() logs keys this table lacks"
    wrong = {k: metric_sense(k) for k in logged if metric_sense(k) != EVALUATE_KEYS[k]}
    assert wrong == {}


def test_autologged_training_metrics_have_the_right_direction():
    from sklearn.linear_model import LogisticRegression, Ridge

    x = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array([0, 0, 1, 0, 1, 1])
    keys = set(training_metrics(LogisticRegression().fit(x, y), x, y))
    keys |= set(training_metrics(Ridge().fit(x, y * 1.0), x, y * 1.0))
    assert "training_log_loss" in keys and "training_mean_squared_error" in keys
    for key in keys:
        base = key.removeprefix("training_")
        expected = EVALUATE_KEYS.get(base, "max")  # training_score: higher is better
        assert metric_sense(key) == expected, key


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("val_loss", "min"), ("valLoss", "min"), ("eval/false_positives", "min"),
        ("test_log_loss", "min"), ("errors", "min"), ("rmse", "min"), ("fit_time", "min"),
        ("p95_latency_ms", "min"), ("lower_bound", "max"),  # "lower" is not a loss
        ("power", "max"), ("answer_accuracy", "max"), ("cancer_recall", "max"),
        ("acc", "max"), ("best_cv_score", "max"), ("epoch", None), ("lr", None),
    ],
)  # fmt: skip
def test_direction_from_the_name(key: str, expected: str | None) -> None:
    assert metric_sense(key) == expected
    assert metric_direction(key) == (expected or "max")


def test_declared_directions_win_over_the_name():
    assert metric_direction("roc_auc", declared={"roc_auc": "minimize"}) == "min"
    assert metric_direction("wait_loss", declared={"wait_loss": "higher"}) == "max"
    declare_direction("churned_users", "min")  # remembered for the kernel
    assert metric_direction("churned_users") == "min"
    with pytest.raises(InvalidParameterError, match=r"'min' .* or 'max'"):
        declare_direction("x", "sideways")


def test_directions_declared_by_tags():
    run_tags = {direction_tag("fp_cost"): "min", "team": "a", direction_tag("odd"): "??"}
    experiment_tags = {direction_tag("fp_cost"): "max", direction_tag("uplift"): "max"}
    assert direction_tag("fp_cost") == "mltrack.metricDirection.fp_cost"
    assert declared_directions(run_tags, experiment_tags) == {"fp_cost": "min", "uplift": "max"}


def _run(run_id: str, metrics: dict[str, float], tags: dict[str, str] | None = None) -> Run:
    info = RunInfo(run_id=run_id, experiment_id="1", run_name=run_id, user_id="u",
                   status=RunStatus.FINISHED, start_time=0, end_time=1,
                   artifact_uri="")  # fmt: skip
    return Run(info=info, data=RunData(metrics=metrics, tags=tags or {}))


def test_metric_senses_precedence():
    runs = [_run("a", {"fp_cost": 1.0, "score": 1.0, "n": 1.0})]
    facts = CompareFacts(objective=Objective("score", "min", "user"), tagged={"fp_cost": "min"})
    senses = metric_senses(runs, facts)
    assert senses == {"fp_cost": "min", "score": "min", "n": "max"}
    assert metric_senses(runs, facts, {"fp_cost": "max"})["fp_cost"] == "max"


# -- deltas -----------------------------------------------------------------------------------
def test_false_positives_going_up_is_red():
    runs = [_run("a", {"false_positives": 5.0, "roc_auc": 0.9}),
            _run("b", {"false_positives": 7.0, "roc_auc": 0.95})]  # fmt: skip
    rows = dict(metric_rows(runs, "a"))
    assert rows["false_positives"][1].verdict == "worse"
    assert rows["roc_auc"][1].verdict == "better"
    html = metric_table_html(["a", "b"], list(rows.items()), "a")
    fp_row = html.split("false_positives")[1].split("</tr>")[0]
    assert "mltrack-worse" in fp_row and "#c62828" in fp_row and "▲ +2" in fp_row


def test_deltas_that_do_not_show_at_the_precision_are_hidden():
    runs = [_run("a", {"acc": 0.947368, "n": 100.0, "big": 123456.0}),
            _run("b", {"acc": 0.947371, "n": 120.0, "big": 123457.0})]  # fmt: skip
    rows = dict(metric_rows(runs, "a", digits=4))
    assert rows["acc"][1] == MetricCell(0.947371)  # 0.9474 both: noise, no delta
    assert rows["big"][1].delta == pytest.approx(1.0)  # whole numbers keep every digit
    html = metric_table_html(["a", "b"], list(rows.items()), "a")
    assert "mltrack-delta" not in html.split("acc")[1].split("</tr>")[0]
    assert format_number(0.947368) == "0.9474" and format_number(123456.0) == "123456"


def test_neutral_metrics_are_not_coloured():
    runs = [_run("a", {"example_count": 100.0}), _run("b", {"example_count": 120.0})]
    rows = metric_rows(runs, "a")
    html = metric_table_html(["a", "b"], rows, "a")
    assert rows[0][1][1].verdict == "neutral" and "mltrack-neutral" in html
    assert "#2e7d32" not in html and "#c62828" not in html


@pytest.mark.parametrize(
    ("key", "delta", "verdict"),
    [("accuracy", 0.1, "better"), ("accuracy", -0.1, "worse"), ("val_loss", 0.1, "worse"),
     ("val_loss", -0.1, "better"), ("rmse", -1.0, "better")],
)  # fmt: skip
def test_delta_colour_follows_the_direction(key: str, delta: float, verdict: str) -> None:
    rows = metric_rows([_run("a", {key: 1.0}), _run("b", {key: 1.0 + delta})], "a")
    assert rows[0][1][1].verdict == verdict
    assert ("▲" if delta > 0 else "▼") in metric_table_html(["a", "b"], rows, "a")


# -- baseline ---------------------------------------------------------------------------------
def test_baseline_is_production_then_alias_then_best_then_first():
    runs = [_run("a", {"auc": 0.8}), _run("b", {"auc": 0.9}), _run("c", {"auc": 0.85})]
    best = CompareFacts(objective=Objective("auc", "max", "sweep"))
    assert choose_baseline(runs, best).run_id == "b"
    assert "best by auc" in choose_baseline(runs, best).detail
    lowest = CompareFacts(objective=Objective("auc", "min", "user"))
    assert choose_baseline(runs, lowest).run_id == "a"
    served = CompareFacts(objective=best.objective, served={"c": "Production", "a": "alias 'x'"})
    assert choose_baseline(runs, served).run_id == "c"
    assert choose_baseline(runs, CompareFacts(served={"a": "alias 'x'"})).reason == "alias"
    assert choose_baseline(runs, CompareFacts()).run_id == "a"
    assert choose_baseline([], CompareFacts()).run_id is None
