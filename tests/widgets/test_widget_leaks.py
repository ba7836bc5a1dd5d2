"""Rebuilding widgets closes what they replace: live widget (comm) counts stay flat.

Every ipywidgets widget — layouts and styles included — holds a comm and an entry in the kernel's
registry until closed. A widget that rebuilds its children on refresh or selection must close the
replaced ones, or a long notebook session piles up comms; these tests count the registry.
"""

from __future__ import annotations

import ipywidgets
import pytest
from ipywidgets.widgets.widget import _instances
from registry_seed import seed_registry
from widget_seed import Seeded

from jupyter_mltrack.widgets import Dashboard, RegistryPanel, RunView
from jupyter_mltrack.widgets._base import close_tree, replace_children
from jupyter_mltrack.widgets.artifacts import ArtifactBrowser
from jupyter_mltrack.widgets.comparison import RunComparison


def live() -> int:
    """How many widgets the kernel keeps (each one a comm)."""
    return len(_instances)


def test_close_tree_closes_children_layouts_and_styles() -> None:
    before = live()
    button = ipywidgets.Button(description="x")
    tree = ipywidgets.VBox([button, ipywidgets.HBox([ipywidgets.HTML("a"), button])])
    assert live() - before == 10  # 4 widgets, their 4 layouts, a button and an HTML style
    close_tree(tree)
    assert live() == before
    assert button.comm is None and tree.comm is None


def test_replace_children_keeps_the_children_that_stay() -> None:
    kept, dropped = ipywidgets.HTML("kept"), ipywidgets.HTML("dropped")
    box = ipywidgets.VBox([kept, dropped])
    replace_children(box, [kept, ipywidgets.HTML("new")])
    assert kept.comm is not None and dropped.comm is None
    assert dropped.layout.comm is None and dropped.style.comm is None
    close_tree(box)


def test_registry_panel_refresh_and_selection_do_not_grow(seeded: Seeded) -> None:
    panel = RegistryPanel(registry=seed_registry(seeded))
    assert panel.selected_version == 3 and panel.actions is not None
    settled = live()
    for _ in range(3):
        panel.refresh()
    assert live() == settled
    for version in (1, 2, 3):
        panel.select_version(version)
    assert live() == settled
    panel.select_model("vision-model")
    panel.select_model("churn-model")
    assert live() == settled
    panel.open_run(seeded.runs["rf-1"])
    opened = live()
    assert opened > settled
    panel.open_run(seeded.runs["rf-2"])  # replaces the first RunView
    assert live() == opened
    panel.select_version(2)  # the run area is emptied: the RunView goes
    panel.select_version(3)
    assert live() == settled
    old_bar = panel.actions
    panel.refresh()
    assert old_bar is not None and old_bar.comm is None  # the replaced action bar is closed
    assert panel.actions is not None and panel.actions.comm is not None


def test_read_only_registry_panel_refresh_does_not_grow(seeded: Seeded) -> None:
    panel = RegistryPanel(read_only=True, registry=seed_registry(seeded))
    settled = live()
    for _ in range(3):
        panel.refresh()
        panel.select_version(1)
        panel.select_version(3)
    assert live() == settled


@pytest.mark.parametrize("artifacts", [True, False])
def test_run_view_refresh_does_not_grow(seeded: Seeded, artifacts: bool) -> None:
    view = RunView(seeded.runs["cell-1"], client=seeded.client, artifacts=artifacts)
    assert (view.artifact_browser is not None) is artifacts
    settled = live()
    for _ in range(3):
        view.refresh()
    assert live() == settled
    assert view.notice.kind is None


def test_artifact_browser_selecting_and_refreshing_does_not_grow(seeded: Seeded) -> None:
    browser = ArtifactBrowser(seeded.runs["cell-1"], client=seeded.client)
    browser.select("cell.py")
    settled = live()
    for _ in range(3):
        browser.select("slice.py")
        browser.select("cell.py")
    assert live() == settled
    browser.refresh()
    browser.select("cell.py")
    assert live() == settled


def test_comparison_refresh_and_open_run_do_not_grow(seeded: Seeded) -> None:
    ids = [seeded.runs[name] for name in ("rf-1", "rf-2", "gbm-1")]
    comparison = RunComparison(ids, client=seeded.client)
    comparison.open_run(ids[0])
    settled = live()
    for run_id in (*ids, ids[0]):
        comparison.refresh()
        comparison.open_run(run_id)
    assert live() == settled


def test_dashboard_reopening_experiments_does_not_grow(seeded: Seeded) -> None:
    dashboard = Dashboard(client=seeded.client)
    dashboard.open_experiment("churn")
    settled = live()
    for name in ("vision", "churn", "vision", "churn"):
        dashboard.open_experiment(name)
    assert live() == settled
