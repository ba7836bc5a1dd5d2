"""RegistryPanel: models, versions, lineage, history; actions behind confirmation; read-only."""

from __future__ import annotations

from pathlib import Path

import ipywidgets
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from registry_seed import seed_registry
from widget_seed import Seeded

from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.registry import RegistryClient
from jupyter_mltrack.widgets import RegistryPanel, RunView
from jupyter_mltrack.widgets._registry_actions import ActionBar


@pytest.fixture
def registry(seeded: Seeded) -> RegistryClient:
    return seed_registry(seeded)


def _walk(widget: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    found = [widget]
    for current in found:  # breadth first, in display order
        found.extend(getattr(current, "children", ()))
    return found


def _with_class(widget: ipywidgets.Widget, css: str) -> list[ipywidgets.Widget]:
    return [w for w in _walk(widget) if css in getattr(w, "_dom_classes", ())]


def _stage(registry: RegistryClient, version: int) -> ModelStage:
    return registry.get_model_version("churn-model", version).current_stage


def test_lists_models_and_shows_the_newest_version(registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    assert "mltrack-registry-panel" in panel._dom_classes
    assert [b.description for b in _with_class(panel, "mltrack-model")] == [
        "churn-model",
        "vision-model",
    ]
    assert panel.selected_model == "churn-model" and panel.selected_version == 3
    html = panel.model_box.value
    assert "<h1>Churn model</h1>" in html and "<strong>boosting</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # user markdown cannot run code
    assert "<td>team</td><td>growth</td>" in html
    assert "<td>champion</td><td>version 1</td>" in html
    versions = [b.description for b in _with_class(panel, "mltrack-version")]
    assert versions == ["v3 None · gbm-1", "v2 Staging · rf-2", "v1 Production · rf-1"]
    # Run names and the key metric (churn's objective, acc) per version, in aligned columns.
    assert "<th>run</th><th>key metric</th>" in html
    assert '<td><span title="' in html and ">gbm-1</span></td><td>acc 0.9</td>" in html


def test_version_details_lineage_and_history(seeded: Seeded, registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    (v1,) = _with_class(panel, "mltrack-version-1")
    v1.click()
    assert panel.selected_version == 1
    details = "".join(w.value for w in panel.version_box.children if isinstance(w, ipywidgets.HTML))
    assert "<td>stage</td><td>Production</td>" in details
    assert "<td>source run</td><td>rf-1</td>" in details
    assert f"<td>run id</td><td>{seeded.runs['rf-1']}</td>" in details
    assert "<td>key metric</td><td>acc 0.8</td>" in details
    assert "None → Production" in details and "alias champion" in details
    (link,) = _with_class(panel, "mltrack-run-link")
    assert link.description == "Open source run rf-1"
    link.click()
    (view,) = [w for w in panel.run_area.children if isinstance(w, RunView)]
    assert view.run_id == seeded.runs["rf-1"] and view.notice.kind is None
    _with_class(panel, "mltrack-close-run")[0].click()
    assert panel.run_area.children == ()


def test_transition_asks_first_then_changes_the_store(registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    panel.select_version(3)
    (production,) = _with_class(panel, "mltrack-stage-production")
    assert "mltrack-action" in production._dom_classes
    production.click()
    assert _stage(registry, 3) is ModelStage.NONE  # nothing happens before confirming
    assert panel.actions is not None
    assert panel.actions.confirm_row.layout.display is None
    assert "Move 'churn-model' version 3 to Production?" in panel.actions.question.value
    (confirm,) = _with_class(panel, "mltrack-confirm")
    confirm.click()
    assert _stage(registry, 3) is ModelStage.PRODUCTION
    assert _stage(registry, 1) is ModelStage.PRODUCTION  # not archived: box unticked
    # The result is shown once, below the stage buttons that asked (kept across the reload).
    assert "'churn-model' version 3 is now in Production." in panel.actions.result.value
    assert panel.notice.message == ""
    children = list(panel.actions.children)
    assert children.index(panel.actions.result) == children.index(panel.actions.rows[0]) + 2
    history = _with_class(panel, "mltrack-history-box")[0].value
    assert "None → Production" in history
    assert panel.actions.stage_buttons[ModelStage.PRODUCTION].disabled  # it is there now


def test_cancel_leaves_the_registry_unchanged(registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    assert panel.actions is not None
    panel.actions.stage_buttons[ModelStage.ARCHIVED].click()
    _with_class(panel, "mltrack-cancel")[0].click()
    assert panel.actions.confirm_row.layout.display == "none"
    panel.actions.confirm_button.click()  # nothing pending any more
    assert _stage(registry, 3) is ModelStage.NONE
    assert len(registry.get_model_version_history("churn-model", 3)) == 0


def test_archive_existing_moves_the_old_production_version(registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    panel.select_version(2)
    assert panel.actions is not None
    panel.actions.archive_existing.value = True
    panel.actions.stage_buttons[ModelStage.PRODUCTION].click()
    assert "archiving the versions now in Production" in panel.actions.question.value
    panel.actions.confirm_button.click()
    assert _stage(registry, 2) is ModelStage.PRODUCTION
    assert _stage(registry, 1) is ModelStage.ARCHIVED


def test_set_and_move_an_alias(registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    panel.select_version(2)
    assert panel.actions is not None
    panel.actions.alias_text.value = "champion"
    _with_class(panel, "mltrack-set-alias")[0].click()
    panel.actions.confirm_button.click()
    assert registry.get_registered_model("churn-model").aliases == {"champion": 2}
    assert "Alias 'champion' now points at 'churn-model' version 2." in panel.actions.result.value
    event = registry.get_model_version_history("churn-model", 2)[-1]
    assert (event.kind, event.alias, event.from_value, event.to_value) == (
        "alias_set",
        "champion",
        "1",
        "2",
    )
    assert "<td>champion</td><td>version 2</td>" in panel.model_box.value


def test_errors_are_shown_in_the_panel(registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    assert panel.actions is not None
    panel.actions.alias_button.click()
    assert "Type an alias name first, e.g. champion" in panel.actions.result.value
    panel.actions.alias_text.value = "not valid!"
    panel.actions.alias_button.click()
    panel.actions.confirm_button.click()
    assert "not valid!" in panel.actions.result.value
    assert "mltrack-result-error" in panel.actions.result.value
    assert panel.notice.kind is None  # shown once, next to the button
    registry.delete_model_version("churn-model", 3)  # gone behind the panel's back
    panel.actions.stage_buttons[ModelStage.STAGING].click()
    panel.actions.confirm_button.click()
    assert "not found" in panel.actions.result.value.lower()


def test_read_only_builds_no_action_widget(registry: RegistryClient) -> None:
    panel = RegistryPanel(read_only=True, registry=registry)
    for version in (3, 2, 1):
        panel.select_version(version)
        assert panel.actions is None
        assert _with_class(panel, "mltrack-action") == []
        assert _with_class(panel, "mltrack-confirm") == []
        assert not any(isinstance(w, ActionBar) for w in _walk(panel))
    assert "None → Production" not in panel.model_box.value  # details still shown
    assert _with_class(panel, "mltrack-history-box")


def test_filter_and_empty_registry(seeded: Seeded, registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry, filter_string="name LIKE 'vision%'")
    assert [b.description for b in _with_class(panel, "mltrack-model")] == ["vision-model"]
    panel.filter_text.value = "name = 'nothing'"  # typing + Enter refreshes
    assert panel.notice.message == "No registered models matching the filter yet."
    assert panel.selected_model is None and panel.actions is None
    panel.filter_text.value = "name = "
    assert panel.notice.kind == "error"


def test_unreachable_store_shows_a_message(closed_port_uri: str) -> None:
    panel = RegistryPanel(tracking_uri=closed_port_uri)
    assert panel.notice.kind == "error" and panel.notice.message


def _notebook(path: Path, body: str) -> Path:
    params = new_code_cell('model_uri = ""\nmltrack_run_id = ""')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(body)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.mark.kernel
@pytest.mark.slow
def test_gated_promotion_runs_in_the_background(registry: RegistryClient, tmp_path: Path) -> None:
    passing = _notebook(
        tmp_path / "ok.ipynb", "import jupyter_mltrack as mlt\nmlt.log_metric('auc', 0.93)"
    )
    failing = _notebook(tmp_path / "bad.ipynb", "raise ValueError('auc too low')")
    panel = RegistryPanel(registry=registry)
    actions = panel.actions
    assert actions is not None
    actions.notebook_text.value = str(failing)
    actions.promote_stage.value = "Production"
    _with_class(panel, "mltrack-promote")[0].click()
    actions.confirm_button.click()
    assert actions.pending is not None and "Running" in actions.result.value
    assert actions.promote_button.disabled  # no second action while the notebook runs
    actions.wait(120)
    assert not actions.pending.is_alive()
    assert "Promotion rejected" in actions.result.value and "auc too low" in actions.result.value
    assert _stage(registry, 3) is ModelStage.NONE

    actions = panel.actions
    assert actions is not None
    actions.notebook_text.value = str(passing)
    actions.promote_button.click()
    actions.confirm_button.click()
    actions.wait(120)
    assert _stage(registry, 3) is ModelStage.PRODUCTION
    assert panel.actions is not None
    assert (
        "Validation passed: 'churn-model' version 3 is now in Production."
        in panel.actions.result.value
    )
    event = registry.get_model_version_history("churn-model", 3)[-1]
    assert event.metrics == {"auc": 0.93} and event.evidence_uri
    history = _with_class(panel, "mltrack-history-box")[0].value
    assert "auc=0.93" in history and event.evidence_uri in history


def test_tags_and_aliases_are_separate_labelled_lines() -> None:
    from jupyter_mltrack.entities import RegisteredModel
    from jupyter_mltrack.widgets.registry_panel import model_html

    bare = model_html(RegisteredModel(name="m", creation_timestamp=0, last_updated_timestamp=0))
    assert '<div class="mltrack-model-tags"><b>Tags:</b> <em>none</em></div>' in bare
    assert '<div class="mltrack-model-aliases"><b>Aliases:</b> <em>none</em></div>' in bare
    full = model_html(
        RegisteredModel(
            name="m",
            creation_timestamp=0,
            last_updated_timestamp=0,
            tags={"team": "growth"},
            aliases={"champion": 2},
        )
    )
    assert (
        '<div class="mltrack-model-tags"><b>Tags:</b><table><tr><td>team</td><td>growth</td>'
        in full
    )
    assert "<b>Aliases:</b><table><tr><td>champion</td><td>version 2</td>" in full


def test_the_confirmation_appears_below_the_row_of_the_button(registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    actions = panel.actions
    assert actions is not None
    stage_row, alias_row, _promote_row = actions.rows
    actions.stage_buttons[ModelStage.STAGING].click()
    children = list(actions.children)
    assert children.index(actions.confirm_row) == children.index(stage_row) + 1
    actions.cancel_button.click()
    actions.alias_text.value = "challenger"
    actions.alias_button.click()
    children = list(actions.children)
    assert children.index(actions.confirm_row) == children.index(alias_row) + 1
    assert actions.confirm_row.layout.display is None


def test_a_transition_that_empties_a_stage_warns_first(registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    panel.select_version(1)  # the only version in Production
    assert panel.actions is not None
    panel.actions.stage_buttons[ModelStage.ARCHIVED].click()
    assert "mltrack-confirm-warning" in panel.actions.question.value
    assert "No version will be left in Production." in panel.actions.question.value
    panel.actions.cancel_button.click()
    panel.select_version(3)  # in stage None: moving it empties nothing
    assert panel.actions is not None
    panel.actions.stage_buttons[ModelStage.STAGING].click()
    assert "mltrack-confirm-warning" not in panel.actions.question.value


def test_an_empty_description_says_so(registry: RegistryClient) -> None:
    panel = RegistryPanel(registry=registry)
    panel.select_model("vision-model")
    assert "No description yet." in panel.model_box.value
    version = "".join(w.value for w in panel.version_box.children if isinstance(w, ipywidgets.HTML))
    assert "No description yet." in version and "<em>none</em></div>" in version  # tags: none
