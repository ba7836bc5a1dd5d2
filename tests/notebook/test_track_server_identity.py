"""Notebook identity from a real Jupyter server's sessions API.

A ``jupyter_server`` subprocess owns the kernel, as in JupyterLab; nothing tells the kernel its
notebook path (no MLTRACK_NOTEBOOK_PATH, no papermill), so ``%%track`` must find it by asking the
server, discovered through the ``jpserver-*.json`` file in the runtime directory, which session
holds this kernel's id.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient

from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

TOKEN = "mltrack-test-token"
NOTEBOOK = "work/analysis.ipynb"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _api(base: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"{base}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    # No proxy: the server is on loopback, whatever HTTP_PROXY says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        return json.load(response)


class Server:
    def __init__(self, base: str, runtime_dir: Path, process: subprocess.Popen[bytes]) -> None:
        self.base = base
        self.runtime_dir = runtime_dir
        self.process = process


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A jupyter_server subprocess rooted at tmp_path; its kernels inherit a tmp sqlite store."""
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRACK_", "PAPERMILL_"))}
    env.update(
        JUPYTER_RUNTIME_DIR=str(runtime_dir),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),  # no user config leaks in
        MLTRACK_TRACKING_URI=f"sqlite:///{tmp_path / 'mltrack.db'}",
        MLTRACK_HEARTBEAT_INTERVAL="0.2",
    )
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--allow-root",
            "--ServerApp.open_browser=False",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={tmp_path}",
            f"--IdentityProvider.token={TOKEN}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its kernels are in its process group, for teardown
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter_server exited:\n{(tmp_path / 'server.log').read_text()}")
            try:
                _api(base, "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter_server not up:\n{(tmp_path / 'server.log').read_text()}")
                time.sleep(0.2)
        yield Server(base, runtime_dir, process)
    finally:
        process.send_signal(signal.SIGTERM)  # the server shuts down its kernels
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        log.close()


def _execute(kc: BlockingKernelClient, code: str) -> str:
    """Run code in the kernel; return its stream/text output, failing on an error."""
    outputs: list[str] = []

    def collect(msg: dict[str, Any]) -> None:
        content = msg["content"]
        if msg["msg_type"] == "stream":
            outputs.append(content["text"])
        elif msg["msg_type"] in ("execute_result", "display_data"):
            outputs.append(content["data"].get("text/plain", ""))
        elif msg["msg_type"] == "error":
            outputs.append("\n".join(content["traceback"]))

    reply = kc.execute_interactive(code, timeout=60, output_hook=collect)
    text = "".join(outputs)
    assert reply["content"]["status"] == "ok", text
    return text


def test_track_names_the_notebook_from_the_server_sessions_api(
    server: Server, tmp_path: Path
) -> None:
    (tmp_path / "work").mkdir()
    notebook = {
        "cells": [],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / NOTEBOOK).write_text(json.dumps(notebook))

    session = _api(
        server.base,
        "/api/sessions",
        {
            "path": NOTEBOOK,
            "name": "analysis.ipynb",
            "type": "notebook",
            "kernel": {"name": "python3"},
        },
    )
    kernel_id = session["kernel"]["id"]
    connection_file = server.runtime_dir / f"kernel-{kernel_id}.json"
    assert connection_file.is_file()

    kc = BlockingKernelClient(connection_file=str(connection_file))
    kc.load_connection_file()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        _execute(
            kc,
            'import os\nos.environ.pop("MLTRACK_NOTEBOOK_PATH", None)\n'
            'os.environ.pop("PAPERMILL_INPUT_PATH", None)',
        )
        # None of the cheap sources names the notebook: only the server can.
        cheap = _execute(
            kc,
            "from jupyter_mltrack.notebook.context import _cheap_path\n"
            "print(_cheap_path(get_ipython().user_ns))",
        )
        assert cheap.strip() == "None"
        _execute(kc, "%load_ext jupyter_mltrack")
        _execute(kc, "%%track --quiet --no-live --name served\nx = 1")
    finally:
        kc.stop_channels()

    client = TrackingClient(f"sqlite:///{tmp_path / 'mltrack.db'}")
    experiment = client.get_experiment_by_name("Default")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "served"
    tags = run.data.tags
    assert tags["mltrack.source.type"] == "NOTEBOOK"
    assert tags["mltrack.source.name"].endswith(NOTEBOOK)
    assert tags["mltrack.source.name"] == str(tmp_path / NOTEBOOK)
