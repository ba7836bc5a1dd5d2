"""One Debian chromium for the whole test session, shared by ``tests/browser`` and ``tests/lab``.

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``): playwright's sync API allows one
``sync_playwright()`` per thread at a time, so both browser suites must use this one session
fixture instead of starting their own (the second would fail with "using Playwright Sync API
inside the asyncio loop"). Never ``playwright install``: it downloads a browser, which is
impossible here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
