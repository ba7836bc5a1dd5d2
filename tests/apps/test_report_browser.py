"""``mltrack report`` in real Chromium: the Voila page and the static file, offline.

The page must show the seeded model's headline metrics against the version before, draw its
evaluation plots, list the promotion history, and run none of the script payloads hidden in
names and the description. The static file must show the same with every network request
refused (it is opened from disk, as an e-mail attachment would be).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import open_local_page
from report_seed import MODEL, ReportStore, seed_report_store

from jupyter_mltrack.apps.voila import descendant_pids, stop_processes

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
URI = f"models:/{MODEL}@champion"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ReportStore:
    return seed_report_store(tmp_path_factory.mktemp("report-browser-store"))


@pytest.fixture(scope="module")
def report_url(store: ReportStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mltrack report`` serving the champion on a free port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path_factory.mktemp("report-server") / "report.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    command = [sys.executable, "-m", "jupyter_mltrack", "--tracking-uri", store.uri, "report",
               URI, "--port", str(port)]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while f"at {url}" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"mltrack report did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)
    yield url
    children = descendant_pids(process.pid)
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    stop_processes(children)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from open_local_page(browser, request, height=1000, on_failure=lambda p, n: None)


def _check_report(page: Any) -> None:
    page.wait_for_selector("table.mltrack-report-metrics", timeout=90_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    metrics = page.inner_text("table.mltrack-report-metrics")
    assert "roc_auc" in metrics and "version 1" in metrics
    assert page.locator(".mltrack-better, .mltrack-worse").count() > 0
    assert "Production" in page.inner_text(".mltrack-history")
    assert "mean radius" in page.inner_text("table.mltrack-signature")
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator(".mltrack-report img").count() == 0


def test_voila_page_shows_the_model(page: Any, report_url: str) -> None:
    page.goto(report_url)
    _check_report(page)
    assert "churn-report" in page.inner_text("h1")
    assert page.page_errors == [], page.page_errors


def test_static_file_opens_offline(browser: Any, store: ReportStore, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mltrack", "--tracking-uri", store.uri, "report", URI,
         "--output", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    refused: list[str] = []

    def offline(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    try:
        page = context.new_page()
        page.goto(out.as_uri())
        _check_report(page)
        assert refused == []  # nothing was even asked of the network
    finally:
        context.close()
