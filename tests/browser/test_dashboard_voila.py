"""``mltrack dashboard`` in a real browser: the Voila app over a seeded store.

The read-only server and the ``--allow-actions`` server each show their own copy of the seeded
store (``--experiment churn``, so the page opens on the churn runs). Every page load starts a
kernel, so each test loads one page and does one thing.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser_pages import run_checkbox, run_row, screenshot
from dashboard_seed import CHURN_RUNS, FILTER, FILTER_MATCHES, SeededStore
from playwright.sync_api import expect

from jupyter_mltrack import RegistryClient

pytestmark = pytest.mark.browser

# The table may reuse a pool of row widgets and hide the unused ones: count visible rows only.
ROWS = ".mltrack-runs-table .mltrack-row:visible"
# Row checkboxes only (the select-all box has its own class).
CHECKBOXES = ".mltrack-runs-table .mltrack-select:visible input[type=checkbox]"


def open_dashboard(page: Any, url: str) -> None:
    """Load the dashboard and wait until the kernel has rendered the runs table."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(".mltrack-app-header")
    page.locator(ROWS).first.wait_for()


def open_tab(page: Any, title: str) -> None:
    page.locator(".mltrack-dashboard-tabs .lm-TabBar-tab", has_text=title).click()


def wait_for_row_count(page: Any, count: int) -> None:
    page.wait_for_function(
        """([sel, n]) => [...document.querySelectorAll(sel)]
            .filter((e) => e.offsetParent !== null).length === n""",
        arg=[".mltrack-runs-table .mltrack-row", count],
    )
    assert page.locator(ROWS).count() == count


def test_the_app_shows_a_header_and_no_code(page: Any, voila_readonly: str) -> None:
    open_dashboard(page, voila_readonly)
    header = page.locator(".mltrack-app-header").inner_text()
    assert "Experiment dashboard" in header
    assert "experiment churn" in header and "read-only" in header
    assert page.title() == "Experiment dashboard"
    # Voila strips the sources: no code cell input reaches the stakeholder.
    assert page.locator(".jp-InputArea, .jp-CodeMirrorEditor, .CodeMirror").count() == 0
    assert page.locator("text=There was an error when executing cell").count() == 0
    assert page.locator(".mltrack-notice-error").count() == 0
    assert page.page_errors == []


def test_runs_table_lists_the_seeded_runs(page: Any, voila_readonly: str) -> None:
    open_dashboard(page, voila_readonly)
    wait_for_row_count(page, len(CHURN_RUNS))
    texts = page.locator(ROWS).all_inner_texts()
    assert sorted(t.split()[0] for t in texts) == sorted(name for name, *_ in CHURN_RUNS)
    assert all("FINISHED" in t for t in texts)
    screenshot(page, "dashboard-runs")


def test_typing_a_filter_narrows_the_rows(page: Any, voila_readonly: str) -> None:
    open_dashboard(page, voila_readonly)
    wait_for_row_count(page, len(CHURN_RUNS))
    box = page.locator(".mltrack-runs-table .mltrack-filter input")
    box.fill(FILTER)
    box.press("Enter")
    wait_for_row_count(page, FILTER_MATCHES)
    assert all(t.split()[0].startswith("rf-") for t in page.locator(ROWS).all_inner_texts())
    screenshot(page, "dashboard-filter")

    box.fill("params.model = ")  # a parse error shows inline, and the rows stay as they were
    box.press("Enter")
    page.locator(".mltrack-filter-error").wait_for()
    assert page.locator(ROWS).count() == FILTER_MATCHES


def test_comparing_two_selected_runs_draws_parallel_coordinates(
    page: Any, voila_readonly: str, seeded_readonly: SeededStore
) -> None:
    open_dashboard(page, voila_readonly)
    wait_for_row_count(page, len(CHURN_RUNS))
    compare = page.locator(".mltrack-runs-table button.mltrack-compare")
    assert compare.is_disabled()
    assert page.locator(CHECKBOXES).count() == len(CHURN_RUNS)
    chosen = ("rf-deep", "gb-default")
    for name in chosen:
        run_id = seeded_readonly.run_ids[name]
        # The run's class ties its row to its checkbox: the row shows that run ...
        assert run_row(page, run_id).inner_text().split()[0] == name
        run_checkbox(page, run_id).check()  # ... and this box selects it
    page.wait_for_function(
        "() => !document.querySelector('.mltrack-runs-table button.mltrack-compare').disabled"
    )
    checked = page.locator(f"{CHECKBOXES}:checked")
    assert checked.count() == len(chosen)
    compare.click()
    # The comparison is of exactly the ticked runs.
    links = page.locator(".mltrack-run-comparison .mltrack-run-link")
    links.first.wait_for()
    link_texts = " ".join(links.all_inner_texts())
    assert links.count() == len(chosen)
    assert all(seeded_readonly.run_ids[name][:8] in link_texts for name in chosen)
    parcoords = page.locator(".mltrack-run-comparison .mltrack-parcoords")
    parcoords.locator("svg.main-svg").first.wait_for()
    # Plotly draws one axis per chosen param/metric; each carries a title.
    axes = parcoords.locator("g.y-axis")
    axes.first.wait_for()
    assert axes.count() >= 2
    assert parcoords.locator("text=WebGL is not supported").count() == 0
    # Voila scrolls inside its own container: a tall window shows table and comparison at once.
    page.set_viewport_size({"width": 1400, "height": 1900})
    parcoords.locator("g.y-axis").first.wait_for()
    screenshot(page, "dashboard-compare")
    screenshot(page, "dashboard-compare-parcoords", parcoords)


def test_read_only_dashboard_has_no_action_buttons(page: Any, voila_readonly: str) -> None:
    open_dashboard(page, voila_readonly)
    open_tab(page, "Models")
    panel = page.locator(".mltrack-registry-panel")
    panel.locator(".mltrack-version-info").wait_for()
    assert "churn-classifier" in panel.inner_text()
    assert panel.locator(".mltrack-version").count() == 2  # the versions are listed ...
    assert page.locator(".mltrack-action, .mltrack-confirm").count() == 0  # ... not actionable
    assert page.locator("button", has_text="Production").count() == 0
    screenshot(page, "dashboard-models-read-only")


def test_allow_actions_promotes_a_version_to_production(
    page: Any, voila_actions: str, seeded_actions: SeededStore
) -> None:
    registry = RegistryClient(seeded_actions.uri)
    # Version 1 is in Staging; the panel opens on the newest version, so this also selects one.
    name, version = seeded_actions.model_name, seeded_actions.versions[0]
    assert registry.get_model_version(name, version).current_stage.value == "Staging"
    open_dashboard(page, voila_actions)
    assert "actions enabled" in page.locator(".mltrack-app-header").inner_text()
    open_tab(page, "Models")
    panel = page.locator(".mltrack-registry-panel")
    panel.locator(".mltrack-version-info").wait_for()
    panel.locator(f"button.mltrack-version-{version}").click()
    # The version's details (and its action bar) are rebuilt: wait for them before clicking.
    expect(panel.locator(".mltrack-version-details h4")).to_contain_text(f"version {version}")

    panel.locator("button.mltrack-stage-production").click()
    confirm = panel.locator(".mltrack-confirm-row")
    expect(confirm).to_contain_text(f"version {version} to Production")
    panel.locator("button.mltrack-confirm").click()
    expect(panel.locator(".mltrack-result-ok")).to_contain_text("is now in Production")
    # The panel reloads the version after the action: its history shows the move.
    expect(panel.locator(".mltrack-history-box")).to_contain_text("Production")
    expect(panel.locator(f"button.mltrack-version-{version}")).to_contain_text("Production")
    screenshot(page, "dashboard-models-promoted")

    assert registry.get_model_version(name, version).current_stage.value == "Production"
    history = registry.get_model_version_history(name, version)
    moves = [(e.from_value, e.to_value) for e in history if e.kind == "stage"]
    assert moves[-1] == ("Staging", "Production")
