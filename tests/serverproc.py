"""Start a real ``mltrack server`` subprocess on a free loopback port, for tests.

Importable from any test module (``tests/`` is on ``sys.path`` through its conftest).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A running ``mltrack server``: its URL, process and the log file of its stderr."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def descendants(self) -> set[int]:
        """Return the pids of every living process below the server (uvicorn workers...)."""
        return descendants(self.proc.pid)

    def output(self) -> str:
        """Return what the server printed so far."""
        return self.log.read_text(errors="replace")


def children_of(pid: int) -> set[int]:
    """Return the pids whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses; fields restart after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def descendants(pid: int) -> set[int]:
    """Return every living descendant of ``pid``."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children_of(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Return whether ``pid`` runs (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``GET /health`` answers 200, failing early if the server exits."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"mltrack server exited with {proc.returncode}:\n{log.read_text()[-4000:]}"
            )
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/health", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"mltrack server did not become healthy:\n{log.read_text()[-4000:]}")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT, *, group: bool = True) -> int:
    """Send ``sig`` (to the process group, as Ctrl+C does, or to the process) and wait."""
    if proc.poll() is None:
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"the server ignored signal {sig} for {STOP_TIMEOUT_S}s") from None
    return proc.returncode


@contextlib.contextmanager
def mltrack_server(
    *args: str, cwd: Path, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[ServerProcess]:
    """Run ``mltrack server --port P ARGS...`` in ``cwd`` until the block ends (then SIGINT)."""
    port = port or free_port()
    log = cwd / f"server-{port}.log"
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    child_env.update(env or {})
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mltrack", "server", "--port", str(port), *args],
            cwd=cwd,
            env=child_env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield ServerProcess(url=url, proc=proc, log=log)
    finally:
        pids = descendants(proc.pid)
        stop(proc)
        for pid in pids:  # never leave a worker behind, even when the test failed
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
