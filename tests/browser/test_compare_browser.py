"""RunComparison in JupyterLab 4: deltas coloured by which way is better, readable axes.

Compares three trials of the demo-like sweep (``dashboard_seed``): trial-4's model is in
Production, so it is the baseline; trial-1 has more false positives (red), trial-5 fewer (green)
and a lower ROC AUC (red).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_pages import KERNEL_IDLE, open_and_run_notebook, screenshot
from dashboard_seed import SeededStore
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.browser

# Bounding boxes of the parallel-coordinates axis titles (the x axis' tick labels).
AXIS_TITLE_BOXES = """(root) => [...root.querySelectorAll('.xaxislayer-above .xtick text')]
    .map((t) => { const b = t.getBoundingClientRect();
                  return {text: t.textContent, left: b.left, right: b.right,
                          top: b.top, bottom: b.bottom}; })"""
TRIALS = ("trial-1", "trial-4", "trial-5")


def write_notebook(root: Path, store: SeededStore) -> str:
    """A notebook comparing three sweep trials; return its name."""
    ids = [store.run_ids[name] for name in TRIALS]
    cells = [
        new_code_cell("from jupyter_mltrack.widgets import RunComparison"),
        new_code_cell(f"RunComparison({ids!r})"),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "compare.ipynb")
    return "compare.ipynb"


def _rgb(color: str) -> tuple[int, ...]:
    inside = color[color.index("(") + 1 : color.index(")")]
    return tuple(int(float(part)) for part in inside.split(",")[:3])


def _delta(page: Any, metric: str, column: int) -> Any:
    """The delta badge in ``metric``'s row, in the ``column``-th run's cell (0: first run)."""
    row = page.locator(".mltrack-metrics tr.mltrack-metric-row", has_text=metric).first
    return row.locator("td").nth(column + 1).locator(".mltrack-delta")


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def test_comparison_in_jupyterlab_tells_the_truth(
    page: Any, jupyterlab: tuple[str, Path], seeded_readonly: SeededStore
) -> None:
    url, root = jupyterlab
    # Tall enough for the whole comparison: Lab does not lay out what is scrolled off screen.
    page.set_viewport_size({"width": 1400, "height": 2400})
    name = write_notebook(root, seeded_readonly)
    open_and_run_notebook(page, url, name)

    comparison = page.locator(".jp-Notebook .mltrack-run-comparison")
    parcoords = comparison.locator(".mltrack-parcoords")
    parcoords.locator("svg.main-svg").first.wait_for()
    assert "trial-4 (baseline)" in comparison.locator(".mltrack-metrics").inner_text()
    assert "Production" in comparison.locator(".mltrack-baseline-note").inner_text()

    # false_positives: trial-1 has 8 (worse than 5: red), trial-5 has 4 (better: green).
    worse, better = _delta(page, "false_positives", 0), _delta(page, "false_positives", 2)
    assert "▲ +3" in worse.inner_text() and "▼ -1" in better.inner_text()
    red, green = (
        _rgb(worse.evaluate("e => getComputedStyle(e).color")),
        _rgb(better.evaluate("e => getComputedStyle(e).color")),
    )
    assert red[0] > red[1] and red[0] > red[2], red
    assert green[1] > green[0] and green[1] > green[2], green
    assert "mltrack-worse" in (_delta(page, "roc_auc", 2).get_attribute("class") or "")

    # Parallel coordinates: the varying params and the objective, titles side by side.
    boxes = parcoords.evaluate(AXIS_TITLE_BOXES)
    assert [b["text"] for b in boxes] == ["learning_rate", "max_depth", "roc_auc"]
    clashes = [(a["text"], b["text"]) for a, b in itertools.pairwise(boxes) if _overlaps(a, b)]
    assert clashes == []
    point = parcoords.locator(".scatterlayer .trace").nth(1).locator(".points path").last
    box = point.bounding_box()  # plotly's drag layer covers the points: move the mouse there
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = parcoords.locator(".hoverlayer")
    hover.locator("text", has_text="trial-4").first.wait_for()

    # The trials logged each metric once: the history panel shows bars, one per run.
    history = comparison.locator(".mltrack-history")
    history.locator(".barlayer .point").first.wait_for()
    assert history.locator(".barlayer .point").count() == 3
    screenshot(page, "jupyterlab-compare", comparison)

    page.mouse.move(5, 5)  # leave the plot: no hover label left over
    _check_dark_theme(page, comparison)

    page.wait_for_function(KERNEL_IDLE)
    assert page.locator(".mltrack-notice-error").count() == 0
    assert page.page_errors == []


def _check_dark_theme(page: Any, comparison: Any) -> None:
    """In JupyterLab's dark theme the deltas keep their meaning and the tables stay dark."""
    change = "window.jupyterapp.commands.execute('apputils:change-theme', {theme: %r})"
    page.evaluate(change % "JupyterLab Dark")
    try:
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        page.wait_for_timeout(500)
        worse, better = _delta(page, "false_positives", 0), _delta(page, "false_positives", 2)
        red = _rgb(worse.evaluate("e => getComputedStyle(e).color"))
        green = _rgb(better.evaluate("e => getComputedStyle(e).color"))
        assert red[0] > red[1] and green[1] > green[0], (red, green)
        cell = comparison.locator(".mltrack-params tr.mltrack-differs td").nth(1)
        background = _rgb(cell.evaluate("e => getComputedStyle(e).backgroundColor"))
        text = _rgb(cell.evaluate("e => getComputedStyle(e).color"))
        assert sum(text) > 3 * 128, text  # light text on the dark theme ...
        assert background == (255, 193, 7) or sum(background) < 3 * 200, background  # not white
        screenshot(page, "jupyterlab-compare-dark", comparison)
    finally:  # the Lab server (and its settings) is shared with other tests
        page.evaluate(change % "JupyterLab Light")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")
