"""The %%track live plot in JupyterLab 4: it draws, updates while the cell runs, and stays.

While the cell runs the plot is an inline SVG refreshed in place (``update_display``); when the
cell ends it becomes a plotly figure drawn by Lab's own plotly renderer, which must still be there
after the notebook is saved and the page reloaded. The kernel logs into a store of this test's
own, not the seeded one the other Lab tests read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_pages import KERNEL_IDLE, screenshot
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.browser

#: True once the training cell's live line has more than ``n`` points.
GROWN = """(n) => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[1];
    const line = cell?.querySelector('.mltrack-live-plot svg polyline');
    return !!line && line.getAttribute('points').trim().split(/\\s+/).length > n;
}"""
STEPS = 40
TRAINING = (
    "%%track --name live-demo\n"
    f"for step in range({STEPS}):\n"
    "    mlt.log_metrics({'loss': 1 / (step + 1), 'acc': step / 40}, step=step)\n"
    "    time.sleep(0.2)"
)


def write_notebook(root: Path, store: Path) -> str:
    """A notebook: load the extension on a private store, then a slow tracked training cell."""
    setup = (
        "%load_ext jupyter_mltrack\nimport time\nimport jupyter_mltrack as mlt\n"
        f"mlt.set_tracking_uri({f'sqlite:///{store}'!r})"
    )
    notebook = new_notebook(cells=[new_code_cell(setup), new_code_cell(TRAINING)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "live_plot.ipynb")
    return "live_plot.ipynb"


def _points(polyline: Any) -> int:
    return len((polyline.get_attribute("points") or "").split())


def _training_cell(page: Any) -> Any:
    return page.locator(".jp-Notebook .jp-CodeCell").nth(1)


def _assert_final_figure(cell: Any) -> None:
    plot = cell.locator(".jp-RenderedPlotly")
    plot.locator("svg.main-svg").first.wait_for()
    assert plot.locator(".scatterlayer .trace").count() == 2  # one line per metric
    titles = plot.locator(".g-ytitle, .g-y2title").all_text_contents()  # SVG: no innerText
    assert sorted(t.strip() for t in titles) == ["acc", "loss"]
    assert "step" in (plot.locator(".g-xtitle").first.text_content() or "")
    legend = plot.locator(".legend .traces")
    assert legend.count() == 2


def test_live_plot_draws_updates_and_survives_a_reload(
    page: Any, jupyterlab: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = jupyterlab
    name = write_notebook(root, tmp_path / "live.db")
    page.goto(f"{url}lab/tree/{name}", wait_until="domcontentloaded")
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    # Not awaited: the command's promise settles only when every cell has run.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

    cell = _training_cell(page)
    line = cell.locator(".mltrack-live-plot svg polyline").first
    line.wait_for(timeout=60_000)
    first = _points(line)
    prompt = cell.locator(".jp-InputArea-prompt")
    # Each refresh re-renders the output: look the line up again rather than hold the old node.
    page.wait_for_function(GROWN, arg=first, timeout=30_000)
    assert "*" in prompt.inner_text(), "the plot must grow while the cell still runs"
    assert cell.locator(".mltrack-live-plot").count() == 1, "refreshed in place, not appended"
    screenshot(page, "jupyterlab-live-plot-running", cell)

    page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    _assert_final_figure(cell)
    assert cell.locator(".mltrack-live-plot").count() == 0, "the SVG gave way to the figure"
    assert re.search(r"live-demo", cell.locator(".mltrack-summary").inner_text())
    screenshot(page, "jupyterlab-live-plot-final", cell)

    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget?.context?.model?.dirty", timeout=30_000
    )
    # Saved from Lab, the figure carries the PNG Lab's renderer adds: still within the budget.
    outputs = json.loads((root / name).read_text())["cells"][1]["outputs"]
    assert "image/png" in outputs[0]["data"]
    assert len(json.dumps(outputs)) < 200_000
    page.reload(wait_until="domcontentloaded")
    cell = _training_cell(page)
    # Lab saved the PNG the plotly renderer made of the figure; reopened, the renderer shows that
    # image and draws the interactive figure when the mouse comes over it.
    image = cell.locator(".jp-RenderedPlotly img.plot-img")
    image.wait_for()
    assert (image.get_attribute("src") or "").startswith("data:image/png;base64,")
    image.dispatch_event("mouseenter")  # what moving the mouse over it does
    _assert_final_figure(cell)
    screenshot(page, "jupyterlab-live-plot-reloaded", cell)
    assert page.page_errors == []
