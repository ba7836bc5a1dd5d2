"""``mltrack dashboard``: errors before launch, and a real Voila that stops with its kernels."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

import jupyter_mltrack as mlt
from jupyter_mltrack.apps.voila import descendant_pids, stop_processes

Cli = Callable[..., Result]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def churn_uri(uri: str) -> str:
    """The CLI store with one experiment, 'churn', holding one finished run."""
    client = mlt.TrackingClient(uri)
    run = client.create_run(client.create_experiment("churn"), run_name="first")
    client.log_param(run.info.run_id, "model", "rf")
    client.set_terminated(run.info.run_id)
    return uri


def test_unknown_experiment_is_a_clear_error_before_anything_starts(
    cli: Cli, churn_uri: str
) -> None:
    result = cli("dashboard", "--experiment", "nope", "--port", str(free_port()))
    assert result.exit_code == 1
    assert result.output == (
        "Error: No experiment has the id or name 'nope'; "
        "see 'mltrack experiments list --view all'\n"
    )


def test_a_busy_port_is_a_clear_error(cli: Cli, churn_uri: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("dashboard", "--port", str(port))
    assert result.exit_code == 1
    assert f"Cannot serve the dashboard on 127.0.0.1:{port}" in result.output
    assert "pass a free port with --port" in result.output


def test_missing_voila_names_the_extra_to_install(
    cli: Cli, churn_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "voila", None)  # what Python does for an absent package
    result = cli("dashboard")
    assert result.exit_code == 1
    assert "The package 'voila' is needed for the dashboard app but is not installed" in (
        result.output
    )
    assert "pip install 'jupyter_mltrack[dashboard]'" in result.output


# -- a real Voila -------------------------------------------------------------------------------


class Dashboard:
    """``python -m jupyter_mltrack ... dashboard`` in its own session, as a terminal runs it."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.port = free_port()
        self.out = workdir / "stdout.txt"
        self.err = workdir / "stderr.txt"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
        env["PYTHONUNBUFFERED"] = "1"
        command = [sys.executable, "-m", "jupyter_mltrack", *args, "--port", str(self.port)]
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=err, cwd=workdir, env=env, start_new_session=True
            )

    def wait_for_url(self) -> str:
        deadline = time.monotonic() + 90
        while "Press Ctrl-C" not in self.out.read_text():
            assert self.process.poll() is None, self.err.read_text()[-3000:]
            assert time.monotonic() < deadline, "no URL printed within 90 s"
            time.sleep(0.1)
        return self.out.read_text()

    def signal(self, sig: signal.Signals) -> int:
        """Send ``sig`` like a terminal would (to mltrack's process group); return the code."""
        os.killpg(self.process.pid, sig)
        return self.process.wait(timeout=60)

    def cleanup(self) -> None:
        if self.process.poll() is None:
            children = descendant_pids(self.process.pid)
            self.process.kill()
            self.process.wait()
            stop_processes(children)


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Callable[..., Dashboard]]:
    started: list[Dashboard] = []

    def start(*args: str) -> Dashboard:
        started.append(Dashboard(tmp_path, *args))
        return started[-1]

    yield start
    for each in started:
        each.cleanup()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process state from /proc")
def test_serves_the_app_passes_settings_and_ctrl_c_stops_voila_and_kernels(
    dashboard: Callable[..., Dashboard], churn_uri: str
) -> None:
    server = dashboard("--tracking-uri", churn_uri, "dashboard", "--experiment", "churn")
    printed = server.wait_for_url()
    url = f"http://127.0.0.1:{server.port}/"
    assert printed.splitlines()[0] == f"Serving the dashboard (read-only) at {url}"
    # Loading the page runs the notebook in a new kernel; its header echoes the settings, but
    # never the store (a server path).
    with urllib.request.urlopen(url, timeout=120) as response:
        html = response.read().decode()
    assert "experiment \\u003cb\\u003echurn\\u003c/b\\u003e" in html
    assert "read-only" in html and churn_uri not in html
    processes = descendant_pids(server.process.pid)
    kernels = [
        pid for pid in processes if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert len(kernels) == 1
    kernel_env = environ(kernels[0])
    assert kernel_env["MLTRACK_TRACKING_URI"] == churn_uri
    assert kernel_env["MLTRACK_DASHBOARD_EXPERIMENT"] == "churn"
    assert kernel_env["MLTRACK_DASHBOARD_READ_ONLY"] == "true"

    assert server.signal(signal.SIGINT) == 0
    assert "Stopping the dashboard and its kernels" in server.err.read_text()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in processes if alive(pid)] == []


@pytest.mark.kernel
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process state from /proc")
def test_sigterm_stops_voila_and_allow_actions_reaches_it(
    dashboard: Callable[..., Dashboard], churn_uri: str
) -> None:
    server = dashboard("dashboard", "--tracking-uri", churn_uri, "--allow-actions")
    assert "(actions enabled)" in server.wait_for_url()
    (voila,) = [
        pid
        for pid in descendant_pids(server.process.pid)
        if b"voila" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert environ(voila)["MLTRACK_DASHBOARD_READ_ONLY"] == "false"
    assert environ(voila)["MLTRACK_TRACKING_URI"] == churn_uri
    assert "MLTRACK_DASHBOARD_EXPERIMENT" not in environ(voila)
    assert server.signal(signal.SIGTERM) == 0
    assert not alive(voila)
