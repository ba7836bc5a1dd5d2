"""The Experiments sidebar, run details and compare in a real JupyterLab."""

from __future__ import annotations

import re
import shutil
from typing import Any

from browser_pages import screenshot
from dashboard_seed import CHURN_RUNS, EXPERIMENT, OTHER_EXPERIMENT
from labext_pages import DOCS_IMAGES, Lab, command, open_lab, open_sidebar
from labext_seed import XSS_NAME


def _expand(sidebar: Any, name: str) -> None:
    """Open an experiment of the sidebar (the most recent one starts open)."""
    exact = re.compile(f"^{re.escape(name)}$")
    item = sidebar.locator("li.mltrack-experiment").filter(
        has=sidebar.page.locator(".mltrack-experiment-name", has_text=exact)
    )
    item.wait_for()
    if item.get_attribute("aria-expanded") != "true":
        item.locator(".mltrack-experiment-header").click()
    item.locator(".mltrack-runs").wait_for()


def test_sidebar_lists_seeded_experiments_and_runs(page: Any, lab: Lab) -> None:
    open_lab(page, lab.url)
    sidebar = open_sidebar(page)
    for name in (EXPERIMENT, OTHER_EXPERIMENT):
        sidebar.locator(".mltrack-experiment-header", has_text=name).wait_for()
    _expand(sidebar, EXPERIMENT)
    for run_name, *_ in CHURN_RUNS:
        sidebar.locator(".mltrack-run-name", has_text=run_name).wait_for()
    row = sidebar.locator(f".mltrack-run-{lab.store.run_ids['rf-deep']}")
    assert row.locator(".mltrack-badge").inner_text() == "finished"
    # Up to three metrics per run (the seeded runs have some).
    assert row.locator(".mltrack-run-metric").count() >= 1
    screenshot(page, "lab-sidebar")
    assert not page.page_errors


def test_run_details_show_params(page: Any, lab: Lab) -> None:
    open_lab(page, lab.url)
    sidebar = open_sidebar(page)
    _expand(sidebar, EXPERIMENT)
    sidebar.locator(".mltrack-run-name", has_text="gb-default").click()
    view = page.locator(".mltrack-run-view").last
    view.locator(".mltrack-title-text", has_text="gb-default").wait_for()
    params = view.locator(".mltrack-params")
    params.wait_for()
    text = params.inner_text()
    assert "model" in text and "gb" in text
    view.locator(".mltrack-sparkline path").first.wait_for()
    screenshot(page, "lab-run-details")
    # Artifacts open in a Lab tab through the rendermime registry (here: the MLmodel text).
    view.get_by_role("button", name="▸ model/").click()
    view.get_by_role("button", name="MLmodel").click()
    artifact = page.locator(".mltrack-artifact-view").last
    artifact.get_by_text("flavors").first.wait_for()


def test_run_name_with_html_renders_as_text(page: Any, lab: Lab) -> None:
    open_lab(page, lab.url)
    sidebar = open_sidebar(page)
    _expand(sidebar, EXPERIMENT)
    name = sidebar.locator(f".mltrack-run-{lab.xss_run} .mltrack-run-name")
    name.wait_for()
    assert name.inner_text() == XSS_NAME
    command(page, "mltrack:open-run", {"runId": lab.xss_run})
    title = page.locator(".mltrack-run-view .mltrack-title-text", has_text=XSS_NAME)
    title.wait_for()
    assert page.locator(".mltrack-run-view img, #mltrack-sidebar img").count() == 0
    assert page.evaluate("window.__mltrackXss") is None


def test_filter_error_shows_the_column(page: Any, lab: Lab) -> None:
    open_lab(page, lab.url)
    sidebar = open_sidebar(page)
    _expand(sidebar, EXPERIMENT)
    box = sidebar.locator(".mltrack-filter-input")
    box.fill("metrics.accuracy >> 0.8")
    box.press("Enter")
    error = sidebar.locator(".mltrack-filter-error")
    error.wait_for()
    assert "column" in error.inner_text()
    assert error.locator("mark").inner_text().strip() != ""
    box.fill("params.model = 'rf'")
    box.press("Enter")
    error.wait_for(state="detached")
    sidebar.locator(".mltrack-run-name", has_text="lr-weak").wait_for(state="detached")
    assert sidebar.locator(".mltrack-run-name", has_text="rf-deep").count() == 1


def test_compare_two_runs(page: Any, lab: Lab) -> None:
    open_lab(page, lab.url)
    sidebar = open_sidebar(page)
    _expand(sidebar, EXPERIMENT)
    for name in ("rf-deep", "gb-default"):
        sidebar.locator(f".mltrack-run-{lab.store.run_ids[name]} input[type=checkbox]").check()
    sidebar.locator(".mltrack-compare-button").click()
    view = page.locator(".mltrack-compare-view").last
    first = view.locator(".mltrack-compare-params tbody tr").first
    first.wait_for()
    assert "mltrack-differs" in (first.get_attribute("class") or "")
    assert view.locator(".mltrack-delta").count() >= 1
    # The metric overlay: through Lab's plotly renderer when installed, else our SVG.
    view.locator(".mltrack-plotly .main-svg, .mltrack-overlay svg").first.wait_for()
    shot = screenshot(page, "lab-compare")
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, DOCS_IMAGES / "lab-sidebar.png")  # the README's picture


def test_follows_the_dark_theme(page: Any, lab: Lab) -> None:
    open_lab(page, lab.url)
    sidebar = open_sidebar(page)
    _expand(sidebar, EXPERIMENT)
    command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    try:
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        background = sidebar.evaluate("n => getComputedStyle(n).backgroundColor")
        assert background == _theme_color(page, "--jp-layout-color1")
        assert background != "rgb(255, 255, 255)"
        command(page, "mltrack:open-run", {"runId": lab.store.run_ids["rf-deep"]})
        page.locator(".mltrack-run-view .mltrack-params").last.wait_for()
        screenshot(page, "lab-dark-theme")
    finally:
        command(page, "apputils:change-theme", {"theme": "JupyterLab Light"})
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")


def _theme_color(page: Any, variable: str) -> str:
    """The computed colour of a theme variable (as the browser resolves it)."""
    return str(
        page.evaluate(
            "v => { const d = document.createElement('div'); d.style.background = `var(${v})`;"
            " document.body.appendChild(d); const c = getComputedStyle(d).backgroundColor;"
            " d.remove(); return c; }",
            variable,
        )
    )
