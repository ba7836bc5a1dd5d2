"""Servers the browser suites start: ``mltrack dashboard`` (Voila) and ``jupyter lab``.

Each runs as a subprocess in its own session on a free port of 127.0.0.1, logging to a file
that a failed start shows. Used by ``tests/browser`` and ``tests/lab``.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dashboard_seed import SeededStore

from jupyter_mltrack.apps.voila import descendant_pids, stop_processes

START_TIMEOUT_S = 90


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


def start_lab(root: Path, state: Path, store_uri: str, *extra: str, base_url: str = "/") -> Server:
    """Start ``jupyter lab`` on a free port over ``root`` with kernels logging to ``store_uri``.

    ``base_url`` puts Lab under a prefix, as JupyterHub does (``/user/<name>/``).
    """
    port = free_port()
    env = _clean_env() | {
        "MLTRACK_TRACKING_URI": store_uri,
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}", "--IdentityProvider.token=",
        "--LabApp.news_url=None", "--LabApp.expose_app_in_browser=True", "--allow-root",
        f"--ServerApp.base_url={base_url}", *extra,
    ]  # fmt: skip
    _quiet_lab_settings(state / "settings")
    log = state / "lab.log"
    process = _start(command, log, env, root)
    url = f"http://127.0.0.1:{port}{base_url}"
    _wait_for(lambda: _answers(url + "api/status"), process, log, "JupyterLab")
    return Server(process, url, log)


def _quiet_lab_settings(settings: Path) -> None:
    """No news toast: it asks a website (unreachable here) and covers the notebook's bottom."""
    folder = settings / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True)
    quiet = {"fetchNews": "false", "checkForUpdates": False}
    (folder / "notification.jupyterlab-settings").write_text(json.dumps(quiet))
