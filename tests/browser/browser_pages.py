"""Page helpers shared by the browser tests: screenshots, and finding a run's row and checkbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
