"""The widgets in JupyterLab 4: a notebook showing RunsTable and MetricPlot renders both; the
runs table of a sweep shows the columns that matter, groups the trials under the sweep, keeps
the Run column in view while scrolling sideways and adds a column from its chooser in view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_pages import KERNEL_IDLE, SHOWN, open_and_run, screenshot
from dashboard_seed import CHURN_RUNS, EXPERIMENT, SWEEP_EXPERIMENT, SWEEP_TRIALS, SeededStore

pytestmark = pytest.mark.browser


def widget_cells(store: SeededStore) -> list[str]:
    """A runs table and a metric plot of two seeded runs."""
    plotted = [store.run_ids["rf-deep"], store.run_ids["gb-default"]]
    return [
        "from jupyter_mltrack.widgets import MetricPlot, RunsTable",
        f"RunsTable(experiment={EXPERIMENT!r})",
        f"MetricPlot({plotted!r}, keys=['accuracy', 'loss'])",
    ]


def test_runs_table_and_metric_plot_render_in_jupyterlab(
    page: Any, jupyterlab: tuple[str, Path], seeded_readonly: SeededStore
) -> None:
    url, root = jupyterlab
    open_and_run(page, url, root, widget_cells(seeded_readonly), "widgets.ipynb")

    plot = page.locator(f"{SHOWN} .mltrack-metric-plot")
    plot.locator("svg.main-svg").first.wait_for()
    assert plot.locator(".scatterlayer .trace").count() == 4  # 2 runs x 2 metrics
    table = page.locator(f"{SHOWN} .mltrack-runs-table")
    rows = table.locator(".mltrack-row:visible")  # the table reuses a fixed pool of rows
    rows.first.wait_for()
    assert rows.count() == len(CHURN_RUNS)
    assert "rf-deep" in table.inner_text()
    page.wait_for_function(KERNEL_IDLE)
    prompts = page.locator(f"{SHOWN} .jp-InputArea-prompt").all_inner_texts()
    assert all(p.strip() not in ("[ ]:", "[*]:") for p in prompts), prompts
    screenshot(page, "jupyterlab-widgets")

    errors = page.locator(SHOWN).locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
    )
    assert errors.count() == 0, errors.all_inner_texts()
    assert page.locator(f"{SHOWN} .mltrack-notice-error").count() == 0
    assert page.page_errors == []


def _x(locator: Any) -> float:
    return float(locator.evaluate("e => e.getBoundingClientRect().x"))


def test_sweep_table_columns_nesting_pinned_run_and_chooser(
    page: Any, jupyterlab: tuple[str, Path]
) -> None:
    url, root = jupyterlab
    page.set_viewport_size({"width": 1000, "height": 900})  # narrow: the table scrolls sideways
    cells = [
        "from jupyter_mltrack.widgets import RunsTable",
        f"RunsTable({SWEEP_EXPERIMENT!r})",
    ]
    open_and_run(page, url, root, cells, "sweep-table.ipynb")
    page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
    table = page.locator(f"{SHOWN} .mltrack-runs-table")
    rows = table.locator(".mltrack-row:visible")
    rows.first.wait_for()
    headers = table.locator(".mltrack-header button").all_inner_texts()
    # the sweep's objective and swept params lead; the constant n_estimators is left out
    assert headers[:5] == [
        "Run",
        "Status",
        "metrics.roc_auc",
        "params.learning_rate",
        "params.max_depth",
    ]
    assert "params.n_estimators" not in headers
    # the trials are grouped under the sweep, which folds and unfolds
    assert rows.count() == 1 + len(SWEEP_TRIALS)
    assert rows.first.inner_text().startswith("sweep-")
    table.locator(".mltrack-expander:not([disabled])").first.click()
    rows.nth(1).wait_for(state="detached")
    assert rows.count() == 1 and "+6" in rows.first.inner_text()
    table.locator(".mltrack-expander:not([disabled])").first.click()
    rows.nth(len(SWEEP_TRIALS)).wait_for()
    screenshot(page, "runs-table-sweep", table)

    # scrolling sideways keeps the Run column (and its header) where it was
    grid = table.locator(".mltrack-rows")
    run_cell, run_head = (
        table.locator(".mltrack-cell-sticky").nth(1),
        table.locator(".mltrack-pin-run"),
    )
    other = table.locator(".mltrack-cell[data-column='start_time']").nth(1)
    before = (_x(run_cell), _x(run_head), _x(other))
    moved = grid.evaluate("e => { e.scrollLeft = 300; return e.scrollLeft; }")
    assert moved > 100  # the table is wider than the page
    page.wait_for_timeout(200)
    after = (_x(run_cell), _x(run_head), _x(other))
    assert abs(after[0] - before[0]) < 1 and abs(after[1] - before[1]) < 1
    assert before[2] - after[2] == pytest.approx(moved, abs=1)
    screenshot(page, "runs-table-scrolled", table)

    # the chooser: search, tick a checkbox; the new column lands next to Run, in view
    grid.evaluate("e => { e.scrollLeft = 0; }")
    table.locator(".mltrack-columns-toggle").click()
    table.locator(".mltrack-columns-search input").fill("estim")
    option = table.locator(".mltrack-column-option", has_text="params.n_estimators")
    option.locator("input[type=checkbox]").check()
    head = table.locator(".mltrack-header button", has_text="params.n_estimators")
    head.wait_for()
    box = grid.evaluate("e => e.getBoundingClientRect().right")
    assert _x(head) < box  # visible without scrolling
    assert table.locator(".mltrack-header button").all_inner_texts()[2] == "params.n_estimators"
    assert page.page_errors == []
