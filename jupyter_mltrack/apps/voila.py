"""Run Voila on a packaged notebook as a child process, and stop it with all of its kernels.

Voila starts in its own session (process group) so that a Ctrl-C in the terminal reaches only
the ``mltrack`` process, which then stops Voila in an orderly way: SIGTERM makes Voila shut its
kernels down before exiting. Kernels run in sessions of their own (jupyter_client starts them
that way), so as a safety net any kernel still alive after Voila has gone is stopped too.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from jupyter_mltrack.errors import InvalidStateError, MissingDependencyError

__all__ = ["VoilaServer", "check_port_free", "descendant_pids", "require_voila", "stop_processes"]

#: Voila is up in ~2 s on a quiet machine; allow for a loaded one.
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def require_voila() -> None:
    """Raise :class:`MissingDependencyError` unless Voila can be imported."""
    try:
        found = importlib.util.find_spec("voila") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingDependencyError("voila", extra="dashboard", feature="the dashboard app")


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`InvalidStateError` if ``host:port`` cannot be bound.

    Voila itself would silently move to another port (or, told not to, fail with a vague log
    line); checking first gives a message that says what to do.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InvalidStateError(
                f"Cannot serve the dashboard on {host}:{port} ({exc.strerror}); "
                "pass a free port with --port"
            ) from None


class VoilaServer:
    """A Voila process serving one notebook; a context manager that stops it on exit.

    Args:
        notebook: The ``.ipynb`` file to serve.
        host: Interface to bind.
        port: Port to bind (must be free; see :func:`check_port_free`).
        env: Extra environment for Voila and therefore for the notebook's kernel.
    """

    def __init__(
        self, notebook: Path, *, host: str, port: int, env: Mapping[str, str] | None = None
    ) -> None:
        self.notebook = notebook
        self.host = host
        self.port = port
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def command(self) -> list[str]:
        """Return the Voila command line (run by this interpreter, so the kernel matches)."""
        return [
            sys.executable,
            "-m",
            "voila",
            str(self.notebook),
            "--no-browser",
            f"--Voila.ip={self.host}",
            f"--port={self.port}",
            # Never drift to another port: the printed URL must be the one served.
            "--Voila.port_retries=0",
            "--strip_sources=True",
            "--Voila.log_level=WARN",
        ]

    def start(self) -> None:
        """Start Voila and wait until it accepts connections.

        Raises:
            InvalidStateError: Voila exited or did not listen within :data:`START_TIMEOUT_S`.
        """
        self.process = subprocess.Popen(
            self.command(),
            env={**os.environ, **self.env},
            # A session of its own: the terminal's Ctrl-C is ours to handle, not Voila's.
            start_new_session=sys.platform != "win32",
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._listening():
            code = self.process.poll()
            if code is not None:
                raise InvalidStateError(f"Voila exited with code {code} before serving {self.url}")
            if time.monotonic() > deadline:
                self.stop()
                raise InvalidStateError(
                    f"Voila did not listen on {self.url} within {START_TIMEOUT_S:.0f} s"
                )
            time.sleep(0.1)

    def wait(self) -> int:
        """Block until Voila exits by itself; return its exit code."""
        if self.process is None:
            raise InvalidStateError("Voila was not started; call start() first")
        return self.process.wait()

    def stop(self) -> None:
        """Stop Voila (SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT_S`) and its kernels."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        kernels = descendant_pids(process.pid)
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL if hasattr(signal, "SIGKILL") else None)
            process.wait()
        stop_processes(kernels)

    def __enter__(self) -> VoilaServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _listening(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals | None) -> None:
    """Signal Voila's whole process group (POSIX) or just Voila (elsewhere)."""
    try:
        if sys.platform == "win32" or sig is None:
            process.kill() if sig is None else process.terminate()
        else:
            os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def descendant_pids(pid: int) -> list[int]:
    """Return the ids of all processes below ``pid`` (Linux ``/proc``; elsewhere none)."""
    children: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: the ppid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_processes(pids: list[int]) -> None:
    """Terminate processes Voila left behind (it normally shuts its kernels down itself)."""
    alive = [pid for pid in pids if _alive(pid)]
    for pid in alive:
        _kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5.0
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if _alive(pid)]
    for pid in alive:
        _kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has already exited


def _kill(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
