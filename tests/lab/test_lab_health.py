"""Without its server extension the front end says what to run, once, and never spins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_pages import screenshot
from browser_servers import start_lab
from labext_pages import open_lab, open_sidebar


@pytest.fixture(scope="module")
def lab_without_server_extension(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Lab whose jupyter_mltrack server extension is disabled on the command line."""
    root = tmp_path_factory.mktemp("lab-noext-root")
    server = start_lab(
        root,
        tmp_path_factory.mktemp("lab-noext-state"),
        f"sqlite:///{root / 'mltrack.db'}",
        "--ServerApp.jpserver_extensions=jupyter_mltrack.labserver=False",
    )
    yield server.url
    server.stop()


def test_missing_server_extension_says_what_to_run(
    page: Any, lab_without_server_extension: str
) -> None:
    answer = page.request.get(f"{lab_without_server_extension}mltrack/api/health")
    assert answer.status == 404  # the server part really is off
    open_lab(page, lab_without_server_extension)
    sidebar = open_sidebar(page)
    message = sidebar.locator(".mltrack-message-error")
    message.wait_for()
    assert "jupyter server extension enable jupyter_mltrack" in message.inner_text()
    assert sidebar.get_by_text("Checking the server extension").count() == 0
    toast = page.locator(".Toastify__toast", has_text="server extension enable jupyter_mltrack")
    assert toast.count() <= 1
    screenshot(page, "lab-missing-server-extension")
