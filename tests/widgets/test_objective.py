"""One definition of an experiment's objective: sweep first, then the user's pick, then a guess."""

from __future__ import annotations

import math

import pytest
from widget_seed import Seeded

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import Run, RunData, RunInfo, RunStatus
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.widgets._objective import (
    OBJECTIVE_TAG,
    Objective,
    best_run,
    experiment_objective,
    guess_objective,
    ranked,
    set_objective,
)


def _run(name: str, start: int = 0, **metrics: float) -> Run:
    info = RunInfo(
        run_id=name,
        experiment_id="1",
        run_name=name,
        user_id="u",
        status=RunStatus.FINISHED,
        start_time=start,
        end_time=None,
        artifact_uri="",
    )
    return Run(info=info, data=RunData(metrics=metrics))


def test_ranking_follows_the_direction_and_skips_missing_and_nan() -> None:
    runs = [_run("a", acc=0.8), _run("b", acc=0.9), _run("c", acc=math.nan), _run("d")]
    assert [r.info.run_name for r in ranked(runs, Objective("acc", "max"))] == ["b", "a"]
    assert [r.info.run_name for r in ranked(runs, Objective("acc", "min"))] == ["a", "b"]
    best = best_run(runs, Objective("acc", "max"))
    assert best is not None and best.info.run_name == "b"
    assert best_run(runs, Objective("loss", "min")) is None


def test_objective_helpers() -> None:
    auc = Objective("roc_auc", "max", "sweep")
    assert auc.better(0.9, 0.8) and not Objective("loss", "min").better(0.9, 0.8)
    assert auc.order_clause() == "metrics.`roc_auc` DESC"
    assert auc.describe() == "roc_auc (higher is better, set by the sweep)"
    assert Objective.from_tag("val:loss:min") == Objective("val:loss", "min", "user")
    assert Objective.from_tag("acc") is None and Objective.from_tag("acc:up") is None
    with pytest.raises(InvalidParameterError, match="'min' or 'max'"):
        Objective("acc", "up")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        # Logged by more runs wins; then a telling name; then held-out data over training data.
        ([{"accuracy": 0.8, "roc_auc": 0.9}, {"accuracy": 0.7}], Objective("accuracy", "max")),
        (
            [{"accuracy": 0.8, "roc_auc": 0.9}, {"accuracy": 0.7, "roc_auc": 0.8}],
            Objective("roc_auc", "max"),
        ),
        ([{"train_loss": 0.3, "val_loss": 0.4}], Objective("val_loss", "min")),
        ([{"false_positives": 3.0}], Objective("false_positives", "min")),
        ([{"best_roc_auc": 0.9, "zeta": 1.0}], Objective("zeta", "max")),
        ([{}], None),
    ],
)
def test_guess_from_names(metrics: list[dict[str, float]], expected: Objective | None) -> None:
    assert guess_objective([_run(f"r{i}", **m) for i, m in enumerate(metrics)]) == expected


def test_the_sweep_beats_the_pick_which_beats_the_guess(seeded: Seeded) -> None:
    client: TrackingClient = seeded.client
    churn = seeded.experiments["churn"]
    assert experiment_objective(client, churn) == Objective("acc", "max", "guess")
    picked = set_objective(client, churn, "loss", "min")
    assert client.get_experiment(churn).tags[OBJECTIVE_TAG] == "loss:min"
    # A fresh client (a new kernel) reads the pick back from the tag.
    assert experiment_objective(TrackingClient(seeded.uri), churn) == picked
    old = seeded.run(
        "churn", "old-sweep", params={"sweep.metric": "acc", "sweep.mode": "max"},
        tags={"mltrack.sweep": "grid"},
    )  # fmt: skip
    new = seeded.run(
        "churn", "new-sweep", params={"sweep.metric": "loss", "sweep.mode": "min"},
        tags={"mltrack.sweep": "random"},
    )  # fmt: skip
    found = experiment_objective(client, churn)
    assert found == Objective("loss", "min", "sweep", new) and found.sweep_run_id != old
    # Runs passed in that hold no sweep parent: the store is still asked for one.
    runs = list(client.search_runs([churn], "attributes.run_name = 'rf-1'"))
    assert experiment_objective(client, churn, runs=runs) == found


def test_a_pick_in_a_read_only_dashboard_is_not_written(seeded: Seeded) -> None:
    vision = seeded.experiments["vision"]
    set_objective(seeded.client, vision, "top1", "min", persist=False)
    assert OBJECTIVE_TAG not in seeded.client.get_experiment(vision).tags
    assert experiment_objective(seeded.client, vision) == Objective("top1", "min", "user")
    with pytest.raises(InvalidParameterError, match="Pick a metric"):
        set_objective(seeded.client, vision, " ", "max")


def test_an_experiment_without_metrics_has_no_objective(seeded: Seeded) -> None:
    assert experiment_objective(seeded.client, seeded.experiments["empty"]) is None
