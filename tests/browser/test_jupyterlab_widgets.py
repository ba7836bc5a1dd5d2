"""The widgets in JupyterLab 4: a notebook showing RunsTable and MetricPlot renders both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_pages import screenshot
from dashboard_seed import CHURN_RUNS, EXPERIMENT, SeededStore
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.browser

KERNEL_IDLE = """() => {
    const widget = window.jupyterapp?.shell?.currentWidget;
    const kernel = widget?.sessionContext?.session?.kernel;
    return !!kernel && kernel.status === 'idle';
}"""


def write_notebook(root: Path, store: SeededStore) -> str:
    """A notebook with a runs table and a metric plot of two seeded runs; return its name."""
    plotted = [store.run_ids["rf-deep"], store.run_ids["gb-default"]]
    cells = [
        new_code_cell("from jupyter_mltrack.widgets import MetricPlot, RunsTable"),
        new_code_cell(f"RunsTable(experiment={EXPERIMENT!r})"),
        new_code_cell(f"MetricPlot({plotted!r}, keys=['accuracy', 'loss'])"),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "widgets.ipynb")
    return "widgets.ipynb"


def test_runs_table_and_metric_plot_render_in_jupyterlab(
    page: Any, jupyterlab: tuple[str, Path], seeded_readonly: SeededStore
) -> None:
    url, root = jupyterlab
    name = write_notebook(root, seeded_readonly)
    page.goto(f"{url}lab/tree/{name}", wait_until="domcontentloaded")
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    # Menu clicks are flaky in headless Lab; the command registry is what the menu calls.
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    plot = page.locator(".jp-Notebook .mltrack-metric-plot")
    plot.locator("svg.main-svg").first.wait_for()
    assert plot.locator(".scatterlayer .trace").count() == 4  # 2 runs x 2 metrics
    table = page.locator(".jp-Notebook .mltrack-runs-table")
    rows = table.locator(".mltrack-row:visible")  # the table reuses a fixed pool of rows
    rows.first.wait_for()
    assert rows.count() == len(CHURN_RUNS)
    assert "rf-deep" in table.inner_text()
    page.wait_for_function(KERNEL_IDLE)
    prompts = page.locator(".jp-InputArea-prompt").all_inner_texts()
    assert all(p.strip() not in ("[ ]:", "[*]:") for p in prompts), prompts
    screenshot(page, "jupyterlab-widgets")

    errors = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
    )
    assert errors.count() == 0, errors.all_inner_texts()
    assert page.locator(".mltrack-notice-error").count() == 0
    assert page.page_errors == []
