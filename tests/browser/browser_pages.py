"""Page helpers shared by the browser tests: screenshots, and finding a run's row and checkbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
#: Kept after the run (pytest's tmp folders are not); ignored by git.
SCREENSHOTS = REPO / ".test-output" / "screenshots"


def screenshot(page: Any, name: str, element: Any = None) -> Path:
    """Save a screenshot under ``.test-output/screenshots/<name>.png``.

    The whole page by default; with ``element`` (a locator), just that element, scrolled into
    view — Voila and Lab scroll inside their own containers, so a "full page" shot of the
    document shows only what fits the window.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if element is not None:
        element.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    return path


def run_row(scope: Any, run_id: str) -> Any:
    """The runs-table row (its cells) showing ``run_id``, within a page or locator ``scope``.

    The table gives a row's cells and its checkbox the class ``mltrack-run-<run_id>``: they are
    siblings in a grid, so this class, not their position, is what ties them together.
    """
    return scope.locator(f".mltrack-runs-table .mltrack-row.mltrack-run-{run_id}")


def run_checkbox(scope: Any, run_id: str) -> Any:
    """The checkbox input selecting ``run_id`` in the runs table."""
    return scope.locator(
        f".mltrack-runs-table .mltrack-select.mltrack-run-{run_id} input[type=checkbox]"
    )


# -- JupyterLab ---------------------------------------------------------------------------------
# The notebook on show: Lab reopens the session's earlier notebooks as hidden tabs, whose
# outputs must not be counted.
SHOWN_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
SHOWN = f"{SHOWN_PANEL} .jp-Notebook"
KERNEL_IDLE = """() => {
    const widget = window.jupyterapp?.shell?.currentWidget;
    const kernel = widget?.sessionContext?.session?.kernel;
    return !!kernel && kernel.status === 'idle';
}"""


def open_and_run_notebook(page: Any, url: str, name: str) -> None:
    """Open notebook ``name`` (under Lab's root) in a workspace of its own and run it all.

    Lab saves what a page opens (and the panels it hides) into its workspace and restores it on
    the next page load, which would put this test's notebooks, hidden, into later tests' pages;
    waiting until this notebook has the focus makes the run this notebook's.
    """
    page.goto(f"{url}lab/workspaces/{Path(name).stem}/tree/{name}", wait_until="domcontentloaded")
    page.wait_for_function(
        f"() => window.jupyterapp?.shell?.currentWidget?.context?.path === {name!r}"
        f" && ({KERNEL_IDLE})()",
        timeout=120_000,
    )
    # Menu clicks are flaky in headless Lab; the command registry is what the menu calls.
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def open_and_run(page: Any, url: str, root: Path, cells: list[str], name: str) -> None:
    """Write a notebook of ``cells`` as ``root/name``, open it in Lab and run it all."""
    notebook = new_notebook(cells=[new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / name)
    open_and_run_notebook(page, url, name)
