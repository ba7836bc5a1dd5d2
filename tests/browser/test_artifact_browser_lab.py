"""ArtifactBrowser in JupyterLab 4: a tree with icons and sizes, one-click download, and an
nbconvert notebook page previewed without a single request to the internet (issue 12, item 6).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import nbformat
import pytest
from browser_pages import open_and_run_notebook, screenshot
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.browser

# What nbconvert writes into a project run's notebook.html: CDN scripts, a web font, an image.
NOTEBOOK_PAGE = """<html><head>
<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js"></script>
<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
<style>@import url("https://example.com/theme.css"); .out {color: #333}</style>
</head><body><div class="out">accuracy 0.93</div>
<img src="https://example.com/pixel.png" alt="remote image"></body></html>"""
SETUP = """\
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.widgets import ArtifactBrowser
client = TrackingClient("sqlite:///artifact-store/mltrack.db")
run_id = client.create_run(client.create_experiment("artifacts")).info.run_id
client.log_text(run_id, {page!r}, "notebook.html")
client.log_text(run_id, "lr: 0.1\\n", "config/params.yaml")
client.log_dict(run_id, {{"accuracy": 0.93}}, "metrics.json")
browser = ArtifactBrowser(run_id, client=client)
browser
"""


def write_notebook(root: Path) -> str:
    cells = [new_code_cell(SETUP.format(page=NOTEBOOK_PAGE))]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "artifacts.ipynb")
    return "artifacts.ipynb"


def test_artifact_browser_in_jupyterlab(page: Any, jupyterlab: tuple[str, Path]) -> None:
    url, root = jupyterlab
    outside: list[str] = []
    # Each outside request with its frame and kind, so a failure says where it came from.
    page.on(
        "request",
        lambda r: (
            outside.append(f"{r.url} (frame {r.frame.url[:80]}, {r.resource_type})")
            if _is_outside(r.url)
            else None
        ),
    )
    open_and_run_notebook(page, url, write_notebook(root))

    browser = page.locator(".jp-Notebook .mltrack-artifact-browser")
    tree = browser.locator(".mltrack-artifact-tree")
    tree.locator(".mltrack-artifact-file", has_text="notebook.html").wait_for()
    assert (
        "Select a file to preview" in browser.locator(".mltrack-preview-placeholder").inner_text()
    )
    assert tree.locator(".mltrack-artifact-tree-header").inner_text().split() == ["Name", "Size"]
    json_row = tree.locator(".mltrack-artifact-row", has_text="metrics.json")
    assert json_row.locator(".mltrack-artifact-size").inner_text().strip() == "22 B"  # indented
    assert json_row.locator("i.fa-file-code-o").count() == 1  # the icon is drawn
    tree.locator(".mltrack-artifact-dir", has_text="config").click()
    tree.locator(".mltrack-artifact-file", has_text="params.yaml").wait_for()

    tree.locator(".mltrack-artifact-file", has_text="notebook.html").click()
    frame = browser.locator(".mltrack-preview-body iframe")
    frame.wait_for()
    body = page.frame_locator(".mltrack-preview-body iframe").locator("body")
    assert "accuracy 0.93" in body.inner_text()
    link = browser.locator("a.mltrack-download-link")
    assert link.get_attribute("download") == "notebook.html"  # one click saves the file
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "notebook.html"
    page.wait_for_timeout(1000)  # let the preview ask for anything it would ask for
    screenshot(page, "jupyterlab-artifact-browser", browser)
    assert outside == []
    assert page.locator(".mltrack-notice-error").count() == 0


def _is_outside(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme not in ("data", "blob", "about") and parsed.hostname != "127.0.0.1"
