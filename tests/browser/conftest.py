"""Browser-test fixtures: seeded stores, real servers on free ports, and Debian's chromium.

Servers run as subprocesses for the whole session (each Voila page load starts a kernel, so
pages are few): ``mltrack dashboard`` read-only and with ``--allow-actions`` (each on its own
copy of the seeded store, since the actions change it), and JupyterLab. Chromium is launched by
Python playwright from ``/usr/bin/chromium`` and may only talk to 127.0.0.1.

Without chromium the tests skip, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from browser_pages import screenshot
from dashboard_seed import SeededStore, seed_store

from jupyter_mltrack.apps.voila import descendant_pids, stop_processes

START_TIMEOUT_S = 90
PAGE_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every browser test a timeout: a hung page must not hold the suite."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(240))


# -- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    """Return a port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server subprocess in its own session, its URL and its log file."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        """SIGTERM the server; make sure nothing it started (kernels) outlives it."""
        if self.process.poll() is not None:
            return
        children = descendant_pids(self.process.pid)
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        stop_processes(children)


def _start(
    command: list[str], log: Path, env: dict[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
        )


def _wait_for(predicate: Any, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not predicate():
        if process.poll() is not None or time.monotonic() > deadline:
            state = f"exited with {process.returncode}" if process.poll() is not None else "hung"
            pytest.fail(f"{what} {state}:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    """Any HTTP answer means the server is up (Voila has no cheap status endpoint)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def start_dashboard(store: SeededStore, workdir: Path, *extra: str) -> Server:
    """Run ``mltrack dashboard`` on a free port and wait for the URL it prints."""
    log = workdir / "dashboard.log"
    port = free_port()
    command = [sys.executable, "-m", "jupyter_mltrack", "--tracking-uri", store.uri]
    command += ["dashboard", "--port", str(port), *extra]
    process = _start(command, log, _clean_env(), workdir)
    url = f"http://127.0.0.1:{port}/"
    _wait_for(lambda: f"at {url}" in log.read_text(errors="replace"), process, log, "dashboard")
    return Server(process, url, log)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


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
    state = tmp_path_factory.mktemp("lab-state")
    port = free_port()
    env = _clean_env() | {
        "MLTRACK_TRACKING_URI": seeded_readonly.uri,
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        "--IdentityProvider.token=",
        "--LabApp.news_url=None",
        "--LabApp.expose_app_in_browser=True",
        "--allow-root",
    ]
    _quiet_lab_settings(state / "settings")
    log = state / "lab.log"
    process = _start(command, log, env, root)
    url = f"http://127.0.0.1:{port}/"
    _wait_for(lambda: _answers(url + "api/status"), process, log, "JupyterLab")
    server = Server(process, url, log)
    yield url, root
    server.stop()


def _quiet_lab_settings(settings: Path) -> None:
    """No news toast: it asks a website (unreachable here) and covers the notebook's bottom."""
    folder = settings / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True)
    quiet = {"fetchNews": "false", "checkForUpdates": False}
    (folder / "notification.jupyterlab-settings").write_text(json.dumps(quiet))


# -- browser ------------------------------------------------------------------------------------


def _local_only(route: Any) -> None:
    """Let through what the page asks of the servers under test; abort the rest (CDNs)."""
    url = urlparse(route.request.url)
    if url.scheme in ("data", "blob") or url.hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, so the page fixture can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page (own context) limited to 127.0.0.1, with generous timeouts.

    A failed test leaves a screenshot ``<test name>-failed.png`` next to the others.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", _local_only)
    new_page = context.new_page()
    new_page.set_default_timeout(PAGE_TIMEOUT_MS)
    errors: list[str] = []
    new_page.on("pageerror", lambda exc: errors.append(str(exc)))
    new_page.page_errors = errors
    yield new_page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        screenshot(new_page, f"{request.node.name}-failed")
    context.close()
