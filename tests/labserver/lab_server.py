"""Start a real ``jupyter server`` with the extension enabled by the shipped config file."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
CONFIG_FILE = REPO / "jupyter-config" / "server-config" / "jupyter_mltrack.json"
TOKEN = "lab-test-token"
READY_TIMEOUT_S = 90.0


@dataclass
class LabServer:
    """A running server: its base URL (ends with '/'), token and log."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def runtime_dir(self) -> Path:
        """Where the server writes its kernels' connection files."""
        return self.log.parent / "runtime"

    def client(self, *, token: bool = True) -> httpx.Client:
        """An HTTP client for ``{url}mltrack/api/``, token-authenticated unless told not to."""
        headers = {"Authorization": f"token {TOKEN}"} if token else {}
        return httpx.Client(base_url=f"{self.url}mltrack/api/", headers=headers, timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config_dirs(home: Path) -> dict[str, str]:
    """Isolated Jupyter folders; the config path holds the shipped extension-enabling file."""
    etc = home / "etc-jupyter"
    (etc / "jupyter_server_config.d").mkdir(parents=True)
    shutil.copy(CONFIG_FILE, etc / "jupyter_server_config.d" / CONFIG_FILE.name)
    for name in ("config", "runtime", "data"):
        (home / name).mkdir()
    return {
        "JUPYTER_CONFIG_PATH": str(etc),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_DATA_DIR": str(home / "data"),
    }


def _wait_ready(server: LabServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with server.client() as http:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise AssertionError(f"jupyter server exited:\n{server.log.read_text()[-4000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if http.get("health").status_code == 200:
                    return
            time.sleep(0.2)
    raise AssertionError(f"jupyter server not ready:\n{server.log.read_text()[-4000:]}")


@contextlib.contextmanager
def jupyter_server(
    root: Path, home: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[LabServer]:
    """Run ``jupyter server`` on a free loopback port with ``root`` as its root folder."""
    port = _free_port()
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRACK_", "JUPYTER"))}
    child_env.update(_config_dirs(home), **(env or {}))
    log = home / "server.log"
    command = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}", *args,
    ]  # fmt: skip
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            command, cwd=home, env=child_env, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = LabServer(url=f"http://127.0.0.1:{port}/", proc=proc, log=log)
    try:
        _wait_ready(server)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
