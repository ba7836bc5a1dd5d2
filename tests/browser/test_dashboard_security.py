"""The read-only dashboard never writes on the server and never shows its paths (issue 12, item 1).

The attack this pins: a visitor opened Models -> source run -> Artifacts -> a file, typed any path
into the "Folder" box and pressed "Save", and the file was written there on the server. The test
replays it in real Chromium against ``mltrack dashboard`` and checks that nothing is written and
that no server path (store folder, artifact root, package folder) appears on the page.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from browser_pages import screenshot
from dashboard_seed import SeededStore
from playwright.sync_api import expect

import jupyter_mltrack

pytestmark = pytest.mark.browser


def _open_source_run_artifact(page: Any, url: str) -> Any:
    """Models tab -> the newest version's source run -> its model/MLmodel file; return the panel."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(".mltrack-app-header")
    page.locator(".mltrack-dashboard-tabs .lm-TabBar-tab", has_text="Models").click()
    panel = page.locator(".mltrack-registry-panel")
    panel.locator(".mltrack-run-link").first.click()
    browser = panel.locator(".mltrack-artifact-browser")
    browser.locator(".mltrack-artifact-dir", has_text="model").first.click()
    browser.locator(".mltrack-artifact-file", has_text="MLmodel").first.click()
    expect(browser.locator(".mltrack-preview-header")).to_contain_text("model/MLmodel")
    return panel


def test_a_visitor_cannot_write_files_on_the_server(
    page: Any, voila_readonly: str, seeded_readonly: SeededStore, tmp_path: Path
) -> None:
    panel = _open_source_run_artifact(page, voila_readonly)
    preview = panel.locator(".mltrack-artifact-preview")
    expect(preview.locator(".mltrack-download")).to_be_visible()
    # The old attack: a path typed into any text box of the preview, then "Save".
    target = tmp_path / "written-by-a-visitor"
    boxes = preview.locator("input[type=text]")
    for index in range(boxes.count()):
        boxes.nth(index).fill(str(target))
        boxes.nth(index).press("Enter")
    for button in preview.locator("button", has_text="Save").all():
        button.click()
    time.sleep(2)  # the kernel would have written by now; nothing may appear
    screenshot(page, "dashboard-artifact-download-only", panel)
    assert preview.locator(".mltrack-save-folder, .mltrack-save").count() == 0
    assert boxes.count() == 0
    assert not target.exists()
    package_dir = Path(jupyter_mltrack.__file__).parent
    assert not any(package_dir.rglob("mltrack-downloads"))


def test_no_server_path_is_shown(
    page: Any, voila_readonly: str, seeded_readonly: SeededStore
) -> None:
    panel = _open_source_run_artifact(page, voila_readonly)
    store_root = str(Path(seeded_readonly.uri.removeprefix("sqlite:///")).parent)
    text = page.locator("body").inner_text()
    assert "artifact root" not in panel.inner_text()
    assert store_root not in text and "sqlite:" not in text
    assert str(Path(jupyter_mltrack.__file__).parent) not in text
