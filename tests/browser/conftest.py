"""Browser-test fixtures: seeded stores, real servers on free ports, and Debian's chromium.

Servers run as subprocesses for the whole session (each Voila page load starts a kernel, so
pages are few): ``mltrack dashboard`` read-only and with ``--allow-actions`` (each on its own
copy of the seeded store, since the actions change it), and JupyterLab. Chromium is launched by
Python playwright from ``/usr/bin/chromium`` and may only talk to 127.0.0.1.

Without chromium the tests skip, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_pages import screenshot
from browser_servers import start_dashboard, start_lab
from chromium import open_local_page
from dashboard_seed import SeededStore, seed_store


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every browser test a timeout: a hung page must not hold the suite."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(240))


@pytest.fixture(scope="session")
def seeded_readonly(tmp_path_factory: pytest.TempPathFactory) -> SeededStore:
    """The seeded store the read-only dashboard and JupyterLab show (never changed)."""
    return seed_store(tmp_path_factory.mktemp("store-readonly"))


@pytest.fixture(scope="session")
def seeded_actions(tmp_path_factory: pytest.TempPathFactory) -> SeededStore:
    """A second seeded store, for the dashboard whose actions change it."""
    return seed_store(tmp_path_factory.mktemp("store-actions"))


@pytest.fixture(scope="session")
def voila_readonly(
    seeded_readonly: SeededStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of ``mltrack dashboard --experiment churn`` (read-only, the default)."""
    server = start_dashboard(
        seeded_readonly, tmp_path_factory.mktemp("voila-ro"), "--experiment", "churn"
    )
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def voila_landing(
    seeded_readonly: SeededStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of ``mltrack dashboard`` naming no experiment: it lands on the demo-like sweep.

    That is the experiment whose model went to Production last; its summary is the landing page.
    """
    server = start_dashboard(seeded_readonly, tmp_path_factory.mktemp("voila-landing"))
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def voila_actions(
    seeded_actions: SeededStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of ``mltrack dashboard --experiment churn --allow-actions``."""
    workdir = tmp_path_factory.mktemp("voila-actions")
    server = start_dashboard(seeded_actions, workdir, "--experiment", "churn", "--allow-actions")
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def jupyterlab(
    seeded_readonly: SeededStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """(URL, root folder) of a JupyterLab whose kernels log to the read-only seeded store."""
    root = tmp_path_factory.mktemp("lab-root")
    server = start_lab(root, tmp_path_factory.mktemp("lab-state"), seeded_readonly.uri)
    yield server.url, root
    server.stop()


# -- browser ------------------------------------------------------------------------------------


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page limited to 127.0.0.1; a failed test leaves ``<test name>-failed.png``."""
    yield from open_local_page(
        browser, request, height=1000, on_failure=lambda p, name: screenshot(p, f"{name}-failed")
    )
