"""ExperimentsList on the seeded store: run counts, best run per metric, opening an experiment."""

from __future__ import annotations

import math

import pytest
from widget_seed import Seeded

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import Experiment
from jupyter_mltrack.widgets import ExperimentsList
from jupyter_mltrack.widgets._objective import OBJECTIVE_TAG, Objective, set_objective
from jupyter_mltrack.widgets.experiments import (
    EACH_OBJECTIVE,
    ExperimentSummary,
    find_best_run,
    order_clause,
)


def _rows(widget: ExperimentsList) -> dict[str, tuple[str, float | None, str | None]]:
    return {
        s.experiment.name: (s.runs_text, s.best_value, s.best_run_name) for s in widget.summaries
    }


def test_counts_runs_and_ranks_by_the_chosen_metric(seeded: Seeded) -> None:
    widget = ExperimentsList(client=seeded.client, metric="acc")
    assert "mltrack-experiments-list" in widget._dom_classes
    assert widget.notice.kind is None
    keys = [value for _label, value in widget.metric_dropdown.options]
    assert keys == [EACH_OBJECTIVE, "acc", "loss", "top1"]
    rows = _rows(widget)
    assert rows["churn"] == ("10", 0.9, "gbm-1")
    assert rows["vision"] == ("2", None, None)  # no run has acc
    assert rows["empty"] == ("0", None, None)
    assert rows["Default"] == ("0", None, None)
    widget.mode_toggle.value = "min"
    assert _rows(widget)["churn"][1:] == (0.7, "sweep-a")
    widget.metric_dropdown.value = "top1"
    assert _rows(widget)["vision"][1:] == (0.7, "cnn-1")
    widget.mode_toggle.value = "max"
    assert _rows(widget)["vision"][1:] == (0.75, "cnn-2")
    names = [row.children[0].description for row in widget.table.children[1:]]
    assert sorted(names) == ["Default", "churn", "empty", "vision"]
    assert "objective" in widget.table.children[0].value
    vision_row = [r for r in widget.table.children[1:] if r.children[0].description == "vision"]
    assert "top1 ↑" in vision_row[0].children[1].value


def test_clicking_an_experiment_opens_it(seeded: Seeded) -> None:
    widget = ExperimentsList(client=seeded.client)
    opened: list[Experiment] = []
    widget.on_open(opened.append)
    (row,) = [r for r in widget.table.children[1:] if r.children[0].description == "vision"]
    assert "mltrack-experiment-row" in row._dom_classes
    row.children[0].click()
    assert [e.name for e in opened] == ["vision"]
    assert widget.selected_experiment_id == seeded.experiments["vision"]
    widget.open_experiment("12345")
    assert widget.notice.kind == "error" and "'12345' is not in the list" in widget.notice.message


def test_nan_values_do_not_win(seeded: Seeded) -> None:
    churn = seeded.experiments["churn"]
    seeded.run("churn", "nan-run", metrics={"acc": [math.nan]})
    best = find_best_run(seeded.client, churn, Objective("acc", "max"))
    assert best is not None and best.info.run_name == "gbm-1"


def test_counts_are_exact_and_follow_deletions(seeded: Seeded) -> None:
    churn = seeded.experiments["churn"]
    widget = ExperimentsList(client=seeded.client)
    assert _rows(widget)["churn"][0] == "10" == str(seeded.client.count_runs(churn))
    seeded.client.delete_run(seeded.runs["gbm-1"])
    widget.refresh_button.click()
    assert _rows(widget)["churn"][0] == "9"  # active runs only, like the runs table
    big = ExperimentSummary(experiment=widget.summaries[0].experiment, runs=12345)
    assert big.runs_text == "12,345"  # no cap: counts are exact however large


def test_order_clause_quotes_keys() -> None:
    assert order_clause("val loss", "min") == "metrics.`val loss` ASC"
    assert order_clause("a`b", "max") == 'metrics."a`b" DESC'


def test_refresh_sees_new_experiments(seeded: Seeded) -> None:
    widget = ExperimentsList(client=seeded.client)
    seeded.client.create_experiment("late")
    widget.refresh_button.click()
    assert "late" in _rows(widget)


def test_store_without_runs_says_so(empty_store: TrackingClient) -> None:
    widget = ExperimentsList(client=empty_store)
    assert widget.notice.kind == "info"
    assert widget.notice.message.startswith("No runs recorded yet")
    assert [value for _label, value in widget.metric_dropdown.options] == [EACH_OBJECTIVE]


def test_unreachable_store_shows_a_message(closed_port_uri: str) -> None:
    widget = ExperimentsList(tracking_uri=closed_port_uri)
    assert widget.notice.kind == "error" and widget.notice.message
    assert widget.summaries == []


def test_each_experiment_is_ranked_by_its_own_objective(seeded: Seeded) -> None:
    # Before: the list ranked every experiment by the alphabetically first metric (acc), so
    # vision had no best run and a sweep optimising another metric was ignored.
    widget = ExperimentsList(client=seeded.client)
    assert widget.metric_dropdown.value == EACH_OBJECTIVE and widget.mode_toggle.disabled
    rows = _rows(widget)
    assert rows["churn"][1:] == (0.9, "gbm-1")  # guessed: acc, logged by most runs
    assert rows["vision"][1:] == (0.75, "cnn-2")  # its own metric, top1
    objectives = {s.experiment.name: s.objective for s in widget.summaries}
    assert objectives["vision"] == Objective("top1", "max", "guess")
    assert (
        "top1 ↑"
        in widget.table.children[1:][[s.experiment.name for s in widget.summaries].index("vision")]
        .children[1]
        .value
    )


def test_a_sweep_objective_wins_and_lower_is_better(seeded: Seeded) -> None:
    parent = seeded.run(
        "churn", "sweep-loss", params={"sweep.metric": "loss", "sweep.mode": "min"},
        tags={"mltrack.sweep": "grid"},
    )  # fmt: skip
    widget = ExperimentsList(client=seeded.client)
    (churn,) = [s for s in widget.summaries if s.experiment.name == "churn"]
    assert churn.objective == Objective("loss", "min", "sweep", parent)
    assert churn.best_run_name == "gbm-1" and churn.best_value == pytest.approx(0.3)


def test_the_users_pick_is_remembered_as_an_experiment_tag(seeded: Seeded) -> None:
    vision = seeded.experiments["vision"]
    set_objective(seeded.client, vision, "top1", "min")
    assert seeded.client.get_experiment(vision).tags[OBJECTIVE_TAG] == "top1:min"
    widget = ExperimentsList(client=seeded.client)
    assert _rows(widget)["vision"][1:] == (0.7, "cnn-1")


def test_choosing_a_metric_in_the_toolbar_ranks_every_experiment_by_it(seeded: Seeded) -> None:
    widget = ExperimentsList(client=seeded.client)
    widget.metric_dropdown.value = "loss"
    assert not widget.mode_toggle.disabled
    widget.mode_toggle.value = "min"
    assert _rows(widget)["churn"][1:] == (pytest.approx(0.3), "gbm-1")
    assert _rows(widget)["vision"][1:] == (None, None)
    widget.metric_dropdown.value = EACH_OBJECTIVE
    assert _rows(widget)["vision"][1:] == (0.75, "cnn-2")
