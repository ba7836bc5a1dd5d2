"""``mltrack dashboard`` in a real browser: the Voila app over a seeded store.

The read-only server and the ``--allow-actions`` server each show their own copy of the seeded
store (``--experiment churn``, so the page opens on the churn summary and its Runs tab shows the
churn runs); a third server names no experiment and lands on the summary of the demo-like sweep,
whose model is in Production. Every page load starts a kernel, so each test loads one page.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser_pages import SCREENSHOTS, run_checkbox, run_row, screenshot
from dashboard_seed import (
    CHURN_RUNS,
    FILTER,
    FILTER_MATCHES,
    SWEEP_BEST,
    SWEEP_EXPERIMENT,
    SWEEP_MODEL,
    SWEEP_PREVIOUS,
    SWEEP_RUNNER_UP,
    SWEEP_TRIALS,
    SeededStore,
)
from playwright.sync_api import expect

from jupyter_mltrack import RegistryClient

pytestmark = pytest.mark.browser

# The table may reuse a pool of row widgets and hide the unused ones: count visible rows only.
ROWS = ".mltrack-runs-table .mltrack-row:visible"
# Row checkboxes only (the select-all box has its own class).
CHECKBOXES = ".mltrack-runs-table .mltrack-select:visible input[type=checkbox]"


def load_summary(page: Any, url: str) -> Any:
    """Load the dashboard and wait for its landing summary; return the summary's locator."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(".mltrack-app-header")
    summary = page.locator(".mltrack-overview-summary .mltrack-overview")
    summary.wait_for()
    return summary


def open_dashboard(page: Any, url: str) -> None:
    """Load the dashboard, open its Runs tab and wait until the runs table has rows."""
    load_summary(page, url)
    open_tab(page, "Runs")
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
    summary = load_summary(page, voila_readonly)
    expect(summary.locator("h2")).to_have_text("churn")  # --experiment churn: its summary
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
    # One vertical axis per chosen param/metric, each titled by a tick of the x axis.
    axes = parcoords.locator(".xaxislayer-above .xtick")
    axes.first.wait_for()
    assert axes.count() >= 2
    assert parcoords.locator("text=WebGL is not supported").count() == 0
    # Voila scrolls inside its own container: a tall window shows table and comparison at once.
    page.set_viewport_size({"width": 1400, "height": 1900})
    parcoords.locator(".xaxislayer-above .xtick").first.wait_for()
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
    # The only version in Staging is leaving it: the question says so before anything happens.
    expect(confirm.locator(".mltrack-confirm-warning")).to_contain_text(
        "No version will be left in Staging"
    )
    # The question appears right below the row of the button that was pressed.
    stage_row = panel.locator(".mltrack-actions-stage").bounding_box()
    question = confirm.bounding_box()
    assert stage_row is not None and question is not None
    assert 0 <= question["y"] - (stage_row["y"] + stage_row["height"]) < 40
    screenshot(page, "dashboard-models-confirm", panel.locator(".mltrack-registry-actions"))
    panel.locator("button.mltrack-confirm").click()
    expect(panel.locator(".mltrack-result-ok")).to_contain_text("is now in Production")
    # Each result is shown once (not again in the notice line).
    assert page.get_by_text("is now in Production").count() == 1
    # The panel reloads the version after the action: its history shows the move.
    expect(panel.locator(".mltrack-history-box")).to_contain_text("Production")
    expect(panel.locator(f"button.mltrack-version-{version}")).to_contain_text("Production")
    # The history table's columns line up: each header sits above its cells.
    history = panel.locator(".mltrack-history-box table.mltrack-history")
    headers = history.locator("th")
    first_row = history.locator("tr.mltrack-history-row").first.locator("td")
    assert headers.count() == first_row.count() == 6
    for index in range(headers.count()):
        head, cell = headers.nth(index).bounding_box(), first_row.nth(index).bounding_box()
        assert head is not None and cell is not None and abs(head["x"] - cell["x"]) < 1
    screenshot(page, "dashboard-models-promoted")

    assert registry.get_model_version(name, version).current_stage.value == "Production"
    history = registry.get_model_version_history(name, version)
    moves = [(e.from_value, e.to_value) for e in history if e.kind == "stage"]
    assert moves[-1] == ("Staging", "Production")


def test_the_landing_summary_explains_the_result(
    page: Any, voila_landing: str, seeded_readonly: SeededStore
) -> None:
    """A manager's first screen: the sweep, its best runs by roc_auc, the production model."""
    page.set_viewport_size({"width": 1280, "height": 1280})  # the whole summary in one window
    summary = load_summary(page, voila_landing)
    expect(summary.locator("h2")).to_have_text(SWEEP_EXPERIMENT)
    lede = summary.locator(".mltrack-lede").inner_text()
    assert f"{len(SWEEP_TRIALS)} runs tried" in lede and "ranked by roc_auc" in lede
    expect(summary.locator(".mltrack-verdict")).to_contain_text(
        f"Production holds the best model found: {SWEEP_MODEL} v2, from run {SWEEP_BEST}"
    )
    tried = summary.locator(".mltrack-tried").inner_text()
    assert "learning_rate: 0.05 to 0.2 (3 values)" in tried and "max_depth: 2, 3" in tried
    # Best by the sweep's metric (roc_auc): trial-4, not trial-5 (best by accuracy).
    expect(summary.locator(".mltrack-best-run")).to_have_text(SWEEP_BEST)
    expect(summary.locator(".mltrack-runner-up")).to_contain_text(SWEEP_RUNNER_UP)
    holder = summary.locator(".mltrack-holder").inner_text()
    assert f"{SWEEP_MODEL} v2" in holder and f"from run {SWEEP_BEST}" in holder
    assert "alias champion" in holder and f"before: v1 (run {SWEEP_PREVIOUS})" in holder
    # The model's description is markdown, rendered (and escaped).
    expect(summary.locator(".mltrack-holder .mltrack-model-description strong")).to_have_text(
        "breast cancer"
    )
    compare = summary.locator("table.mltrack-overview-compare")
    expect(compare.locator("th").nth(2)).to_have_text(f"runner-up: {SWEEP_RUNNER_UP}")
    assert compare.locator("td.mltrack-better").count() >= 2  # better than both, in green
    chart = page.locator(".mltrack-overview-chart")
    chart.locator("svg.main-svg").first.wait_for()
    ticks = chart.locator("g.ytick").evaluate_all(
        "(els) => els.map((e) => [e.getBoundingClientRect().top, e.textContent])"
    )
    assert [name for _top, name in sorted(ticks)][:2] == [SWEEP_BEST, SWEEP_RUNNER_UP]
    store_root = seeded_readonly.uri.removeprefix("sqlite:///")
    assert store_root not in page.locator("body").inner_text()
    assert page.locator(".mltrack-notice-error").count() == 0 and page.page_errors == []
    # The README's picture (docs/images/dashboard-landing.png is a copy of this one).
    box = page.locator(".mltrack-dashboard").bounding_box()
    assert box is not None
    clip = {"x": 0, "y": 0, "width": 1280, "height": min(1280, box["y"] + box["height"] + 16)}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-landing.png"), clip=clip)

    # "Open the model": the registry panel on that version, with run names and the key metric.
    page.locator("button.mltrack-open-model").click()
    panel = page.locator(".mltrack-registry-panel")
    expect(panel.locator(".mltrack-version-details h4")).to_contain_text(f"{SWEEP_MODEL} version 2")
    versions = panel.locator("table.mltrack-versions").inner_text()
    assert SWEEP_BEST in versions and SWEEP_PREVIOUS in versions and "roc_auc 0.9934" in versions
    expect(panel.locator("button.mltrack-version-2")).to_contain_text(f"Production · {SWEEP_BEST}")
    expect(panel.locator(".mltrack-run-link")).to_contain_text(f"Open source run {SWEEP_BEST}")
    assert page.locator(".mltrack-action, .mltrack-confirm").count() == 0  # read-only

    # The Experiments tab ranks each experiment by its own objective.
    open_tab(page, "Experiments")
    row = page.locator(".mltrack-experiment-row", has_text=SWEEP_EXPERIMENT)
    expect(row).to_contain_text("roc_auc ↑")
    expect(row).to_contain_text(SWEEP_BEST)
