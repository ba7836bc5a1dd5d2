"""Dashboard: Experiments -> Runs -> Compare, Models with and without actions (in-process)."""

from __future__ import annotations

import ipywidgets
from registry_seed import seed_registry
from widget_seed import Seeded

from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.widgets import Dashboard, RegistryPanel, RunsTable
from jupyter_mltrack.widgets.dashboard import (
    EXPERIMENTS_TAB,
    MODELS_TAB,
    RUNS_TAB,
    SUMMARY_TAB,
    TAB_TITLES,
)


def _walk(widget: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    found = [widget]
    for current in found:
        found.extend(getattr(current, "children", ()))
    return found


def _with_class(widget: ipywidgets.Widget, css: str) -> list[ipywidgets.Widget]:
    return [w for w in _walk(widget) if css in getattr(w, "_dom_classes", ())]


def _run_names(table: RunsTable, seeded: Seeded) -> set[str]:
    names = {run_id: name for name, run_id in seeded.runs.items()}
    return {names[row["run_id"]] for row in table.rows_shown()}


def test_tabs_and_lazy_building(seeded: Seeded) -> None:
    dashboard = Dashboard(client=seeded.client)
    assert "mltrack-dashboard" in dashboard._dom_classes
    assert [dashboard.tabs.get_title(i) for i in range(4)] == list(TAB_TITLES)
    assert TAB_TITLES[0] == "Summary" and dashboard.tabs.selected_index == SUMMARY_TAB
    # The landing summary is of the experiment with the newest run (no model in Production).
    assert dashboard.overview is not None and dashboard.experiment is not None
    assert dashboard.experiment.name == "vision"
    assert "cnn-2" in dashboard.overview.summary.value
    # Everything else is built when first shown.
    assert dashboard.experiments_list is None
    assert dashboard.runs_table is None and dashboard.registry_panel is None
    dashboard.tabs.selected_index = EXPERIMENTS_TAB
    assert dashboard.experiments_list is not None
    assert {s.experiment.name for s in dashboard.experiments_list.summaries} >= {"churn", "vision"}


def test_opening_an_experiment_shows_its_runs_and_compare_works(seeded: Seeded) -> None:
    dashboard = Dashboard(experiment="churn", client=seeded.client)
    dashboard.tabs.selected_index = EXPERIMENTS_TAB
    assert dashboard.experiments_list is not None
    (vision,) = [
        b for b in _with_class(dashboard, "mltrack-experiment") if b.description == "vision"
    ]
    vision.click()
    assert dashboard.tabs.selected_index == RUNS_TAB
    table = dashboard.runs_table
    assert isinstance(table, RunsTable)
    assert _run_names(table, seeded) == {"cnn-1", "cnn-2"}
    assert "Runs of vision" in dashboard.runs_title.value
    assert dashboard.overview is not None and dashboard.overview.experiment is not None
    assert dashboard.overview.experiment.name == "vision"  # the summary follows
    table.select([seeded.runs["cnn-1"], seeded.runs["cnn-2"]])
    _with_class(dashboard, "mltrack-compare")[0].click()
    assert table.comparison is not None
    assert set(table.comparison.run_ids) == {seeded.runs["cnn-1"], seeded.runs["cnn-2"]}


def test_experiment_argument_opens_on_its_summary_and_runs(seeded: Seeded) -> None:
    dashboard = Dashboard(experiment="churn", client=seeded.client)
    assert dashboard.tabs.selected_index == SUMMARY_TAB
    assert dashboard.experiment is not None and dashboard.experiment.name == "churn"
    assert dashboard.overview is not None and "<h2>churn</h2>" in dashboard.overview.summary.value
    dashboard.tabs.selected_index = RUNS_TAB
    assert dashboard.runs_table is not None
    assert {"rf-1", "gbm-1", "cell-2"} <= _run_names(dashboard.runs_table, seeded)
    # Another experiment chosen on the summary: the Runs tab follows it.
    dashboard.tabs.selected_index = SUMMARY_TAB
    assert dashboard.overview is not None
    dashboard.overview.experiment_dropdown.value = seeded.experiments["vision"]
    dashboard.tabs.selected_index = RUNS_TAB
    assert dashboard.runs_table is not None
    assert _run_names(dashboard.runs_table, seeded) == {"cnn-1", "cnn-2"}
    by_id = Dashboard(experiment=seeded.experiments["vision"], client=seeded.client)
    assert by_id.experiment is not None and by_id.experiment.name == "vision"


def test_unknown_experiment_is_a_message(seeded: Seeded) -> None:
    dashboard = Dashboard(experiment="nope", client=seeded.client)
    assert dashboard.notice.kind == "error"
    assert "No experiment named 'nope'" in dashboard.notice.message
    assert dashboard.tabs.selected_index == SUMMARY_TAB


def test_runs_tab_without_an_experiment_shows_all_runs(seeded: Seeded) -> None:
    dashboard = Dashboard(client=seeded.client)
    assert dashboard.overview is not None
    # Nothing summarized (the store had no experiment when the page opened).
    dashboard.overview.overview = dashboard.experiment = None
    dashboard.tabs.selected_index = RUNS_TAB
    assert dashboard.runs_table is not None
    assert {"rf-1", "cnn-2"} <= _run_names(dashboard.runs_table, seeded)
    assert "all experiments" in dashboard.runs_title.value


def test_models_tab_with_actions_changes_the_registry(seeded: Seeded) -> None:
    registry = seed_registry(seeded)
    dashboard = Dashboard(client=seeded.client)
    dashboard.tabs.selected_index = MODELS_TAB
    panel = dashboard.registry_panel
    assert isinstance(panel, RegistryPanel) and not panel.read_only
    panel.select_version(2)
    _with_class(dashboard, "mltrack-stage-production")[0].click()
    _with_class(dashboard, "mltrack-confirm")[0].click()
    assert registry.get_model_version("churn-model", 2).current_stage is ModelStage.PRODUCTION


def test_read_only_dashboard_has_no_action_buttons(seeded: Seeded) -> None:
    seed_registry(seeded)
    dashboard = Dashboard(read_only=True, client=seeded.client)
    dashboard.show_models()
    assert dashboard.registry_panel is not None and dashboard.registry_panel.read_only
    assert _with_class(dashboard, "mltrack-action") == []
    assert _with_class(dashboard, "mltrack-confirm") == []
    assert _with_class(dashboard, "mltrack-model")  # the models are still listed


def test_refresh_reloads_every_built_tab(seeded: Seeded) -> None:
    dashboard = Dashboard(experiment="vision", client=seeded.client)
    dashboard.tabs.selected_index = EXPERIMENTS_TAB
    dashboard.tabs.selected_index = RUNS_TAB
    assert dashboard.experiments_list is not None
    seeded.run("vision", "cnn-3", metrics={"top1": [0.9]})
    dashboard.refresh_button.click()
    assert dashboard.overview is not None and "cnn-3" in dashboard.overview.summary.value
    assert dashboard.runs_table is not None
    assert "cnn-3" in _run_names(dashboard.runs_table, seeded)
    assert any(s.best_run_name == "cnn-3" for s in dashboard.experiments_list.summaries)


def test_unreachable_store_shows_a_message(closed_port_uri: str) -> None:
    dashboard = Dashboard(tracking_uri=closed_port_uri)
    assert dashboard.notice.kind == "error" and dashboard.notice.message
    assert dashboard.experiments_list is None
    dashboard.show_models()
    assert dashboard.notice.message.startswith("Could not open the model registry")
    assert dashboard.registry_panel is None
