"""The widgets in JupyterLab's light and dark themes (issue 12, item 6): no white boxes and no
text that cannot be read, in the widgets' HTML and in their plotly figures.

The same notebook (a runs table with a filter error and a metric plot) is checked in the light
theme, then again after switching Lab to "JupyterLab Dark"; the screenshots are the ones the
docs show (``docs/images/light-theme.png``, ``docs/images/dark-theme.png``; refreshed when the
test runs with ``UPDATE_DOCS_IMAGES=1``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from browser_pages import KERNEL_IDLE, REPO, SHOWN, SHOWN_PANEL, open_and_run, screenshot
from dashboard_seed import SeededStore

pytestmark = pytest.mark.browser

DOCS_IMAGES = REPO / "docs" / "images"
# Luminance above which a background is a "white box" in the dark theme, and the least
# contrast (WCAG ratio) text must have against what it is drawn on: 3 is the large-text bar,
# which small table text in both of JupyterLab's own themes passes comfortably.
WHITE, MIN_CONTRAST = 0.75, 3.0

# Walks the widgets' elements: their own backgrounds, and each text's contrast (theme_audit.js).
AUDIT = (Path(__file__).parent / "theme_audit.js").read_text()


def theme_cells(store: SeededStore) -> list[str]:
    """A runs table (with a filter error and its suggestion) and a metric plot."""
    plotted = [store.run_ids["rf-deep"], store.run_ids["gb-default"]]
    return [
        "from jupyter_mltrack.widgets import MetricPlot, RunsTable",
        "t = RunsTable('churn'); t.set_filter('metrics.acuracy >> 0.8'); t",
        f"MetricPlot({plotted!r}, keys=['accuracy', 'loss'])",
    ]


def audit(page: Any) -> dict[str, Any]:
    """Scroll every widget into view (Lab renders cells lazily) and audit them all."""
    for widget in page.locator(f"{SHOWN} .mltrack-widget").all():
        widget.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
    script = AUDIT.replace("__MIN__", str(MIN_CONTRAST))
    return dict(
        page.evaluate(
            f"() => ({script})([...document.querySelectorAll('{SHOWN} .mltrack-widget')])"
        )
    )


def check_theme(page: Any, dark: bool) -> None:
    found = audit(page)
    assert found["texts"] > 40, found  # the table's cells and the plot's ticks were read
    assert found["faint"] == [], found["faint"]
    if dark:
        white = [b for b in found["boxes"] if b["lum"] > WHITE]
        assert white == [], white


def test_widgets_follow_the_light_and_the_dark_theme(
    page: Any, jupyterlab: tuple[str, Path], seeded_readonly: SeededStore
) -> None:
    url, root = jupyterlab
    open_and_run(page, url, root, theme_cells(seeded_readonly), "theme.ipynb")
    page.locator(f"{SHOWN} .mltrack-metric-plot svg.main-svg").first.wait_for()
    page.locator(f"{SHOWN} .mltrack-filter-error").wait_for()
    page.wait_for_function(KERNEL_IDLE)
    assert "Did you mean" in page.locator(f"{SHOWN} .mltrack-filter-message").inner_text()
    page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")

    set_theme(page, "JupyterLab Light")  # whatever an earlier test of the session chose
    check_theme(page, dark=False)
    _save(page, "light-theme")

    set_theme(page, "JupyterLab Dark")
    try:
        check_theme(page, dark=True)
        # the plot's own background is transparent: the dark page shows through
        paper = page.locator(f"{SHOWN} .mltrack-metric-plot svg.main-svg").first
        assert paper.evaluate("e => getComputedStyle(e).backgroundColor") in (
            "rgba(0, 0, 0, 0)",
            "transparent",
        )
        _save(page, "dark-theme")
    finally:  # Lab stores the theme in its settings: later tests of the session expect light
        set_theme(page, "JupyterLab Light")
    assert page.page_errors == []


def set_theme(page: Any, theme: str) -> None:
    """Switch Lab's theme and wait until its stylesheet is in place."""
    light = "false" if "Dark" in theme else "true"
    page.evaluate(
        f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: {theme!r}}})"
    )
    page.wait_for_function(
        f"() => document.body.dataset.jpThemeLight === {light!r}"
        " && !document.querySelector('#jupyterlab-splash')"
    )
    page.wait_for_timeout(1000)  # the theme's stylesheet swap settles


def _save(page: Any, name: str) -> None:
    """Screenshot the notebook's top under .test-output (and for the docs when asked to)."""
    page.locator(f"{SHOWN} .mltrack-runs-table").first.scroll_into_view_if_needed()
    panel = page.locator(SHOWN_PANEL)
    screenshot(page, name, panel)
    if os.environ.get("UPDATE_DOCS_IMAGES") == "1":  # tests leave tracked files alone
        panel.screenshot(path=str(DOCS_IMAGES / f"{name}.png"))
