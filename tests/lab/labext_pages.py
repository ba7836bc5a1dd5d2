"""Driving JupyterLab from the tests: open it, run commands, open and run notebooks.

Commands go through ``window.jupyterapp`` (``--LabApp.expose_app_in_browser``): menu clicks
were flaky on these machines; what users click is still checked where it matters.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard_seed import SeededStore

SIDEBAR = "#mltrack-sidebar"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@dataclass
class Lab:
    """A running JupyterLab: URL, root folder, seeded store and extra ids."""

    url: str
    root: Path
    store: SeededStore
    xss_run: str
    server: Any

    def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the extension's JSON API (no token: the test Lab has none)."""
        request = urllib.request.Request(f"{self.url}mltrack/api/{path}")
        if body is not None:
            request.data = json.dumps(body).encode()
            request.method = "POST"
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)


def open_lab(page: Any, url: str) -> None:
    """Load Lab and wait until it is restored."""
    page.goto(f"{url}lab")
    page.wait_for_function("window.jupyterapp !== undefined")
    page.evaluate(
        "async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }"
    )


def command(page: Any, command_id: str, args: dict[str, Any] | None = None) -> Any:
    """Execute a Lab command (without waiting for dialogs it opens)."""
    return page.evaluate(
        "([id, args]) => { window.jupyterapp.commands.execute(id, args); }",
        [command_id, args or {}],
    )


def open_sidebar(page: Any) -> Any:
    """Show the Experiments sidebar; return its locator."""
    command(page, "mltrack:open-sidebar")
    sidebar = page.locator(SIDEBAR)
    sidebar.wait_for(state="visible")
    return sidebar


def open_notebook(page: Any, path: str) -> None:
    """Open a notebook and wait for its kernel."""
    command(page, "docmanager:open", {"path": path})
    page.wait_for_function(
        "p => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.context && w.context.path === p; }",
        arg=path,
    )
    page.evaluate(
        "async () => { const w = window.jupyterapp.shell.currentWidget;"
        " await w.context.ready; await w.sessionContext.ready; }"
    )
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status"
        " === 'idle'"
    )


def cell_sources(page: Any) -> list[str]:
    """The sources of the current notebook's cells."""
    return list(
        page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.widgets"
            ".map(c => c.model.sharedModel.getSource())"
        )
    )


def select_cell(page: Any, index: int) -> None:
    """Make cell ``index`` the active cell of the current notebook."""
    page.evaluate(
        "i => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", index
    )


def set_cell(page: Any, index: int, source: str) -> None:
    """Replace the source of cell ``index``."""
    page.evaluate(
        f"i => window.jupyterapp.shell.currentWidget.content.widgets[i]"
        f".model.sharedModel.setSource({json.dumps(source)})",
        index,
    )
