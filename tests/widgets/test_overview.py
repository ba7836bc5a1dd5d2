"""The dashboard's landing summary: what was tried, best by the objective, the production model."""

from __future__ import annotations

import pytest
from widget_seed import Seeded

from jupyter_mltrack.registry import RegistryClient
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID
from jupyter_mltrack.widgets import Dashboard, ExperimentOverview
from jupyter_mltrack.widgets._objective import OBJECTIVE_TAG, Objective
from jupyter_mltrack.widgets._overview_facts import SweptParam, swept_params
from jupyter_mltrack.widgets._overview_html import format_value
from jupyter_mltrack.widgets.dashboard import MODELS_TAB, RUNS_TAB

# (trial, learning_rate, max_depth, roc_auc, accuracy): best by roc_auc is t4, by accuracy t5.
TRIALS = (
    ("t0", 0.05, 2, 0.9712, 0.9386),
    ("t1", 0.05, 3, 0.9801, 0.9474),
    ("t2", 0.1, 2, 0.9893, 0.9561),
    ("t3", 0.1, 3, 0.9847, 0.9474),
    ("t4", 0.2, 2, 0.9934, 0.9561),
    ("t5", 0.2, 3, 0.9868, 0.9649),
)


@pytest.fixture
def sweep(seeded: Seeded) -> RegistryClient:
    """A demo-like sweep in experiment ``demo``; model v1 (t1) then v2 (t4) in Production."""
    seeded.experiments["demo"] = seeded.client.create_experiment("demo")
    parent = seeded.run(
        "demo", "sweep-main", params={"sweep.metric": "roc_auc", "sweep.mode": "max"},
        tags={"mltrack.sweep": "grid"},
    )  # fmt: skip
    for name, rate, depth, auc, acc in TRIALS:
        seeded.run(
            "demo", name, params={"learning_rate": rate, "max_depth": depth, "seed": 1},
            metrics={"roc_auc": [auc], "accuracy": [acc], "false_positives": [10 * (1 - acc)]},
            tags={PARENT_RUN_ID: parent},
        )  # fmt: skip
    # A %%track cell inside trial t4's notebook: a nested run, not another thing tried.
    seeded.run(
        "demo", "fit", metrics={"train_loss": [0.2]}, tags={PARENT_RUN_ID: seeded.runs["t4"]}
    )
    registry = RegistryClient(store=seeded.client.store)
    registry.create_registered_model("demo-model", description="")
    for name in ("t1", "t4"):
        run_id = seeded.runs[name]
        registry.create_model_version("demo-model", f"runs:/{run_id}/model", run_id)
    registry.transition_model_version_stage("demo-model", 1, "Production")
    registry.transition_model_version_stage(
        "demo-model", 2, "Production", archive_existing_versions=True
    )
    registry.set_registered_model_alias("demo-model", "champion", 2)
    return registry


def test_the_summary_explains_the_sweep_and_the_production_model(
    seeded: Seeded, sweep: RegistryClient
) -> None:
    widget = ExperimentOverview("demo", client=seeded.client)
    overview = widget.overview
    assert overview is not None and widget.notice.kind is None
    # Ranked by what the sweep optimised, not the alphabetically first metric (accuracy).
    assert overview.objective == Objective("roc_auc", "max", "sweep", seeded.runs["sweep-main"])
    assert [run.info.run_name for run in overview.best[:2]] == ["t4", "t2"]
    assert overview.trials == 6 and overview.statuses == {"FINISHED": 6} and overview.nested == 1
    assert overview.swept == [
        SweptParam("learning_rate", ("0.05", "0.1", "0.2")),
        SweptParam("max_depth", ("2", "3")),
    ]  # seed never changed: not swept
    (holder,) = overview.holders
    assert (holder.place, holder.also, holder.version.version) == (
        "Production",
        ("alias champion",),
        2,
    )
    assert holder.run is not None and holder.run.info.run_name == "t4"
    assert holder.previous is not None and holder.previous.version == 1
    assert holder.previous_run is not None and holder.previous_run.info.run_name == "t1"
    assert holder.promoted_at is not None and holder.promoted_by

    page = widget.summary.value
    assert "6 runs tried" in page and "ranked by <b>roc_auc</b>" in page
    assert "plus 1 run nested in them" in page
    assert "the metric the sweep optimised" in page
    assert (
        "Production holds the best model found: <b>demo-model v2</b>, from run <b>t4</b> "
        "(roc_auc 0.9934, +0.0041 over the runner-up t2)." in page
    )
    assert (
        "<b>learning_rate</b>: 0.05 to 0.2 (3 values)" in page and "<b>max_depth</b>: 2, 3" in page
    )
    assert 'mltrack-best-run">t4<' in page and "runner-up <b>t2</b>: 0.9893" in page
    assert "demo-model v2" in page and "from run <b>t4</b> · alias champion" in page
    assert "before: v1 (run t1)" in page
    assert "<em>No description yet.</em>" in page  # an empty description says so
    # The comparison: production vs runner-up and vs the previous holder, coloured by direction.
    assert "<th>Production: v2 · t4</th><th>runner-up: t2</th>" in page
    assert "<th>before: v1 · t1</th>" in page
    assert '<td class="mltrack-better" title="better">+0.0041 ▲</td>' in page  # roc_auc vs t2
    # t4 has fewer false positives than t1: lower is better, so the drop is green.
    fp_row = page.split("<td>false_positives</td>")[1].split("</tr>")[0]
    assert fp_row.endswith('<td class="mltrack-better" title="better">-0.087 ▼</td>')
    assert page.index("<td>roc_auc ↑</td>") < page.index("<td>accuracy</td>")
    assert "green are improvements: higher for roc_auc, accuracy; lower for false_positives" in page
    assert widget.pick_box.layout.display == "none"  # the sweep's objective is not up for a vote


def test_the_chart_plots_the_objective_best_first_and_marks_production(
    seeded: Seeded, sweep: RegistryClient
) -> None:
    widget = ExperimentOverview("demo", client=seeded.client)
    figure = widget.chart.figure
    assert figure is not None and widget.chart.outputs  # a static plotly figure, no FigureWidget
    (trace,) = figure.data
    assert list(trace.y) == ["t4", "t2", "t5", "t3", "t1", "t0"]
    assert trace.text[0] == "0.9934  ◀ Production v2" and trace.marker.symbol[0] == "star"
    assert "roc_auc of each run (higher is better)" in figure.layout.title.text


def test_a_guessed_objective_can_be_picked_and_is_remembered(seeded: Seeded) -> None:
    widget = ExperimentOverview("vision", client=seeded.client)
    assert widget.overview is not None and widget.overview.objective is not None
    assert widget.overview.objective.source == "guess"
    assert widget.pick_box.layout.display is None
    assert "guessed from the metric names" in widget.summary.value
    widget.direction_toggle.value = "min"
    widget.pick_button.click()
    assert seeded.client.get_experiment(seeded.experiments["vision"]).tags[OBJECTIVE_TAG] == (
        "top1:min"
    )
    assert widget.overview.best[0].info.run_name == "cnn-1"
    assert "chosen for this experiment" in widget.summary.value


def test_read_only_remembers_the_pick_without_writing(seeded: Seeded) -> None:
    widget = ExperimentOverview("vision", read_only=True, client=seeded.client)
    widget.pick_objective("top1", "min")
    assert OBJECTIVE_TAG not in seeded.client.get_experiment(seeded.experiments["vision"]).tags
    assert widget.overview is not None and widget.overview.best[0].info.run_name == "cnn-1"


def test_a_production_model_that_is_not_the_best_run_is_flagged(
    seeded: Seeded, sweep: RegistryClient
) -> None:
    sweep.transition_model_version_stage(
        "demo-model", 1, "Production", archive_existing_versions=True
    )
    widget = ExperimentOverview("demo", client=seeded.client)
    assert "Production holds <b>demo-model v1</b> from run t1 (roc_auc 0.9801), but run " in (
        widget.summary.value
    )
    assert "<th>best run: t4</th>" in widget.summary.value  # compared with the best run


def test_no_model_and_no_runs_are_said_plainly(seeded: Seeded) -> None:
    widget = ExperimentOverview("churn", client=seeded.client)
    assert "No model from this experiment is in Production" in widget.summary.value
    assert "The best run is <b>gbm-1</b> (acc 0.9); no model" in widget.summary.value
    assert widget.model_button.layout.display == "none"
    widget.show_experiment("empty")
    assert "Nothing was tried yet" in widget.summary.value
    assert widget.chart.figure is None
    widget.show_experiment("nope")
    assert widget.notice.kind == "error" and "No experiment named 'nope'" in widget.notice.message


def test_the_dashboard_lands_on_the_production_models_experiment(
    seeded: Seeded, sweep: RegistryClient
) -> None:
    dashboard = Dashboard(client=seeded.client, read_only=True)
    assert dashboard.overview is not None and dashboard.experiment is not None
    assert dashboard.experiment.name == "demo"
    dashboard.overview.runs_button.click()
    assert dashboard.tabs.selected_index == RUNS_TAB and dashboard.runs_table is not None
    dashboard.overview.model_button.click()
    assert dashboard.tabs.selected_index == MODELS_TAB
    panel = dashboard.registry_panel
    assert panel is not None and (panel.selected_model, panel.selected_version) == ("demo-model", 2)
    assert "No description yet." in panel.model_box.value


def test_swept_params_and_values() -> None:
    assert swept_params([]) == []
    assert SweptParam("model", ("gb", "lr", "rf")).describe() == "gb, lr, rf"
    many = SweptParam("k", tuple(str(i) for i in range(8)))
    assert many.describe() == "0 to 7 (8 values)"
    words = SweptParam("w", tuple("abcdefgh"))
    assert words.describe() == "a, b, c, d, e, f, … (2 more)"
    assert format_value(0.123456) == "0.1235" and format_value(None) == "-"
