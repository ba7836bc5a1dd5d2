"""Fixtures of the Lab-extension browser tests: a real ``jupyter lab`` (the extension installed
in the venv, the server extension enabled by its shipped config) over a seeded store, and
Debian's chromium through Python playwright, limited to 127.0.0.1.

The servers, chromium options and page helpers are shared with the browser tests
(``tests/browser/browser_servers.py``, ``tests/chromium.py``): both suites start Lab one way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import open_local_page

BROWSER_TESTS = Path(__file__).resolve().parents[1] / "browser"
sys.path.insert(0, str(BROWSER_TESTS))

from browser_pages import screenshot  # noqa: E402
from browser_servers import start_lab  # noqa: E402
from dashboard_seed import seed_store  # noqa: E402
from labext_pages import Lab  # noqa: E402
from labext_seed import add_xss_run, write_project  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test_lab_* modules drive a browser: mark their tests and give them a timeout."""
    for item in items:
        path = Path(str(item.fspath))
        if path.parent == Path(__file__).parent and path.name.startswith("test_lab_"):
            item.add_marker(pytest.mark.browser)
            if not item.get_closest_marker("timeout"):
                item.add_marker(pytest.mark.timeout(240))


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab over a seeded store (changed by the tests: project runs, aliases)."""
    _require_built_extension()
    store = seed_store(tmp_path_factory.mktemp("lab-ext-store"))
    xss_run = add_xss_run(store.uri, store.experiment_id)
    root = tmp_path_factory.mktemp("lab-ext-root")
    write_project(root)
    # Behind a base_url, as on JupyterHub: every request of the extension must carry it.
    state = tmp_path_factory.mktemp("lab-ext-state")
    server = start_lab(root, state, store.uri, base_url="/user/tester/")
    yield Lab(server.url, root, store, xss_run, server)
    server.stop()


def _require_built_extension() -> None:
    """The editable install builds the extension; without it these tests cannot mean anything."""
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if "jupyter-mltrack" not in listing.stdout + listing.stderr:
        message = (
            "the jupyter-mltrack lab extension is not installed: run `make .venv/.dev-installed`"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page limited to 127.0.0.1; a failed test leaves ``lab-<test name>-failed.png``."""
    yield from open_local_page(
        browser, request, height=900, on_failure=lambda p, n: screenshot(p, f"lab-{n}-failed")
    )
