"""Plot pages written by ``log_figure``/``evaluate()`` open in a browser (issue 19, weight).

They load plotly.js from plotly's CDN instead of carrying a 4.6 MB copy each. Here (as on any
machine without internet) the CDN is unreachable: the page must say so plainly rather than stay
blank, and must not throw.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from browser_pages import screenshot

from jupyter_mltrack.tracking.artifact_content import figure_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A static file server on 127.0.0.1 for ``tmp_path``; yields its base URL."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_plot_page_without_internet_says_what_to_do(
    page: Any, served: str, tmp_path: Path
) -> None:
    figure = go.Figure(go.Scatter(y=[3, 1, 2], name="loss"))
    (tmp_path / "loss.html").write_bytes(figure_bytes(figure, "loss.html"))
    page.goto(f"{served}/loss.html", wait_until="load")
    note = page.locator(".mltrack-offline-note")
    note.wait_for()
    assert "could not be loaded" in note.inner_text()
    assert ".json" in note.inner_text()
    screenshot(page, "plot-page-offline")
