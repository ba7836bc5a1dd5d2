"""The extension inside notebooks: track-cell, the status bar, notifications and cell chips."""

from __future__ import annotations

from typing import Any

from browser_pages import screenshot
from labext_pages import Lab, cell_sources, command, open_lab, open_notebook, select_cell
from labext_seed import write_notebook

LIVE_CELL = (
    "%%track --name live-lab-run --experiment lab-live\n"
    "import time\n"
    "import jupyter_mltrack as mlt\n"
    "for step in range(6):\n"
    "    mlt.log_metric('loss', 1 / (step + 1), step=step)\n"
    "    time.sleep(1)\n"
)


def test_track_cell_command_edits_the_cell(page: Any, lab: Lab) -> None:
    path = write_notebook(lab.root, "edit.ipynb", "import math", "x = 1")
    open_lab(page, lab.url)
    open_notebook(page, path)
    select_cell(page, 1)
    command(page, "mltrack:track-cell")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[1]"
        ".model.sharedModel.getSource().startsWith('%%track')"
    )
    assert cell_sources(page) == ["%load_ext jupyter_mltrack\nimport math", "%%track\nx = 1"]
    command(page, "mltrack:track-cell")  # a second time changes nothing
    page.wait_for_timeout(300)
    assert cell_sources(page) == ["%load_ext jupyter_mltrack\nimport math", "%%track\nx = 1"]


def test_insert_comparison_adds_a_cell_below_the_active_one(page: Any, lab: Lab) -> None:
    path = write_notebook(lab.root, "compare.ipynb", "a = 1", "b = 2")
    open_lab(page, lab.url)
    open_notebook(page, path)
    select_cell(page, 0)
    ids = [lab.store.run_ids["rf-deep"], lab.store.run_ids["gb-default"]]
    command(page, "mltrack:insert-comparison", {"runIds": ids})
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets.length === 3"
    )
    sources = cell_sources(page)
    assert sources[0] == "a = 1" and sources[2] == "b = 2"
    assert f'RunComparison(["{ids[0]}", "{ids[1]}"])' in sources[1]


def test_tracked_cell_shows_in_status_bar_then_notifies_and_chips(page: Any, lab: Lab) -> None:
    path = write_notebook(lab.root, "live.ipynb", "%load_ext jupyter_mltrack", LIVE_CELL)
    open_lab(page, lab.url)
    open_notebook(page, path)
    command(page, "notebook:run-all-cells")
    status = page.locator(".mltrack-status-button")
    status.wait_for(timeout=30_000)
    assert "live-lab-run" in status.inner_text()
    page.wait_for_function(
        "() => document.querySelector('.mltrack-status-button')?.textContent.includes('loss')"
    )
    screenshot(page, "lab-status-bar")
    toast = page.locator(".Toastify__toast", has_text="live-lab-run finished")
    toast.wait_for(timeout=30_000)
    assert toast.get_by_role("button", name="Open details").count() == 1
    status.wait_for(state="detached")
    chip = page.locator(".jp-Notebook .jp-Cell .mltrack-chip")
    chip.wait_for()
    assert chip.inner_text() == "live-lab-run · finished"
    cell_index = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.widgets"
        ".findIndex(c => c.node.querySelector(':scope > .mltrack-chip'))"
    )
    assert cell_index == 1
    screenshot(page, "lab-cell-chip")
    toast.get_by_role("button", name="Open details").click()
    view = page.locator(".mltrack-run-view").filter(has_text="live-lab-run").last
    view.locator(".mltrack-title-text", has_text="live-lab-run").wait_for()
    assert "mlt.log_metric" in view.locator(".mltrack-code").first.inner_text()
    # The source notebook opens at the tracked cell.
    select_cell(page, 0)
    view.get_by_role("button", name="Open notebook").click()
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w?.context?.path === 'live.ipynb' && w.content.activeCellIndex === 1; }"
    )
