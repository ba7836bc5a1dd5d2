"""One Debian chromium for the whole test session, shared by ``tests/browser`` and ``tests/lab``.

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``): playwright's sync API allows one
``sync_playwright()`` per thread at a time, so both browser suites must use this one session
fixture instead of starting their own (the second would fail with "using Playwright Sync API
inside the asyncio loop"). Never ``playwright install``: it downloads a browser, which is
impossible here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Plotly's parallel coordinates draw with WebGL; without a GPU chromium needs SwiftShader.
    "--enable-unsafe-swiftshader",
]
PAGE_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, driven by playwright; skips without it, except under ``CI=true``."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing; install it with: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true requires it)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def local_only(route: Any) -> None:
    """Let through what the page asks of the servers under test; abort the rest (CDNs)."""
    url = urlparse(route.request.url)
    if url.scheme in ("data", "blob") or url.hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def open_local_page(
    browser: Any,
    request: pytest.FixtureRequest,
    *,
    height: int,
    on_failure: Callable[[Any, str], object],
) -> Iterator[Any]:
    """Yield a fresh page (own context) limited to 127.0.0.1, with generous timeouts.

    The body of both suites' ``page`` fixtures. Uncaught page errors collect in
    ``page.page_errors``; when the test failed, ``on_failure(page, test_name)`` runs before the
    context closes (the suites save a screenshot).
    """
    context = browser.new_context(viewport={"width": 1400, "height": height})
    context.route("**/*", local_only)
    new_page = context.new_page()
    new_page.set_default_timeout(PAGE_TIMEOUT_MS)
    errors: list[str] = []
    new_page.on("pageerror", lambda exc: errors.append(str(exc)))
    new_page.page_errors = errors
    yield new_page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        on_failure(new_page, request.node.name)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, so a page fixture can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
