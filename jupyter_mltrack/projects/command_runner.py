"""Running a command entry point as the process tree of a project run.

The command runs with ``bash -c`` in the project folder, in a session (process group) of its
own, so stopping the run kills everything it started and a Ctrl-C in the terminal reaches only
the runner, which decides. Its environment points ``jupyter_mltrack`` at the run
(``MLTRACK_RUN_ID``, ``MLTRACK_TRACKING_URI``) and, when the store is a tracking server,
MLflow too (``MLFLOW_RUN_ID``, ``MLFLOW_TRACKING_URI``), so unchanged MLflow code logs into the
same run. Output is streamed live to this process's stdout and kept as the run's
``command.log`` artifact. Exit status 0 ends the run FINISHED, any other FAILED; a timeout,
Ctrl-C or :meth:`RunControl.cancel` kills the tree and ends it KILLED.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from jupyter_mltrack.entities import RunStatus, RunTag
from jupyter_mltrack.errors import ProjectExecutionError

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["LOG_ARTIFACT", "RunControl", "command_environment", "execute_command"]

logger = logging.getLogger(__name__)

LOG_ARTIFACT = "command.log"
TAG_COMMAND = "mltrack.project.command"
TAG_EXIT_CODE = "mltrack.project.exitCode"
_TAG_REASON = "mltrack.project.failureReason"
#: Seconds a killed tree gets to exit after SIGTERM before SIGKILL.
_GRACE = 5.0


class RunControl:
    """Lets another thread stop a project run: whoever executes it registers how to kill it.

    A kill registered after :meth:`cancel` runs at once, so a run cancelled while it was still
    starting does not go on.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kills: list[Callable[[], None]] = []
        self.cancelled = False

    def on_cancel(self, kill: Callable[[], None]) -> None:
        """Call ``kill`` when the run is cancelled (now, if it already was)."""
        with self._lock:
            if not self.cancelled:
                self._kills.append(kill)
                return
        kill()

    def cancel(self) -> None:
        """Mark the run cancelled and call every registered kill."""
        with self._lock:
            self.cancelled = True
            kills, self._kills = self._kills, []
        for kill in kills:
            with contextlib.suppress(Exception):  # a tree that already exited
                kill()


def command_environment(
    tracking_uri: str, run_id: str, experiment_id: str, base: Mapping[str, str]
) -> dict[str, str]:
    """Return ``base`` with the variables that make code in the command log into the run."""
    from jupyter_mltrack.tracking.fluent import ENV_RUN_ID
    from jupyter_mltrack.tracking.uri import ENV_TRACKING_URI

    env = {**base, ENV_RUN_ID: run_id, ENV_TRACKING_URI: tracking_uri}
    env["PYTHONUNBUFFERED"] = "1"  # a pipe would otherwise hold Python's output back
    if tracking_uri.startswith(("http://", "https://")):
        # MLflow's client can talk to our server, never to our SQL schema directly.
        env.update(
            MLFLOW_RUN_ID=run_id,
            MLFLOW_TRACKING_URI=tracking_uri,
            MLFLOW_EXPERIMENT_ID=experiment_id,
        )
    return env


def execute_command(
    client: TrackingClient,
    run_id: str,
    command: str,
    *,
    cwd: str,
    env: Mapping[str, str],
    timeout: float | None = None,
    control: RunControl | None = None,
) -> None:
    """Run ``command`` for run ``run_id``, store its output and end the run.

    Raises:
        ProjectExecutionError: The command exited with a non-zero status (run FAILED), timed
            out or was cancelled (run KILLED).
        KeyboardInterrupt: Re-raised after the tree was killed and the run ended KILLED.
    """
    control = control or RunControl()
    logger.info("Running %r in %s for run %s", command, cwd, run_id)
    client.set_tag(run_id, TAG_COMMAND, command[:5000])
    with tempfile.TemporaryDirectory(prefix="mltrack-command-") as tmp:
        log_path = Path(tmp) / LOG_ARTIFACT
        with open(log_path, "wb") as log:
            try:
                code = _run(command, cwd, env, log, timeout, control)
            except BaseException:  # Ctrl-C / SIGTERM unwinding: the tree was killed below
                _end(client, run_id, log_path, RunStatus.KILLED, "interrupted")
                raise
        if code is None or control.cancelled:
            reason = "cancelled" if control.cancelled else "timeout"
            _end(client, run_id, log_path, RunStatus.KILLED, reason)
            raise ProjectExecutionError(
                f"Command {command!r} was {'cancelled' if reason == 'cancelled' else 'timed out'}"
                f"; run {run_id} KILLED",
                run_id=run_id,
                reason=reason,
            )
        client.set_tag(run_id, TAG_EXIT_CODE, str(code))
        if code == 0:
            _end(client, run_id, log_path, RunStatus.FINISHED, None)
            return
        tail = _tail(log_path)
        _end(client, run_id, log_path, RunStatus.FAILED, f"exit status {code}")
    raise ProjectExecutionError(
        f"Command {command!r} exited with status {code}; run {run_id} FAILED"
        + (f"\n{tail}" if tail else ""),
        ename="CalledProcessError",
        evalue=f"exit status {code}",
        run_id=run_id,
        reason="exit status",
    )


def _run(
    command: str,
    cwd: str,
    env: Mapping[str, str],
    log: BinaryIO,
    timeout: float | None,
    control: RunControl,
) -> int | None:
    """The command's exit status, or ``None`` when it was killed (timeout or cancel)."""
    proc = subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    pump = threading.Thread(target=_pump, args=(proc.stdout, log), daemon=True)
    pump.start()
    control.on_cancel(lambda: _kill_tree(proc))
    try:
        code: int | None = proc.wait(timeout=timeout)
        # What the command left running in its group must not go on logging into the run.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        code = None
    except BaseException:
        _kill_tree(proc)
        raise
    finally:
        pump.join(timeout=_GRACE)
    return None if control.cancelled else code


def _pump(source: BinaryIO, log: BinaryIO) -> None:
    """Copy the command's output to the log file and, decoded, to this process's stdout."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    fd = source.fileno()
    while chunk := os.read(fd, 65536):
        log.write(chunk)
        text = decoder.decode(chunk)
        with contextlib.suppress(Exception):  # a closed stdout must not stop the log
            sys.stdout.write(text)
            sys.stdout.flush()
    log.flush()


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the command's process group, SIGKILL it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=_GRACE)
        except subprocess.TimeoutExpired:
            continue
        # The leader exited; children it left in the group die with SIGKILL.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


def _end(
    client: TrackingClient, run_id: str, log_path: Path, status: RunStatus, reason: str | None
) -> None:
    """End the run first (that must happen), then keep the output."""
    try:
        if reason is not None:
            client.log_batch(run_id, tags=[RunTag(key=_TAG_REASON, value=reason)])
        client.set_terminated(run_id, status)
    except Exception:  # an interrupted run is marked KILLED by the caller as well
        logger.exception("Could not end run %s %s", run_id, status.value)
    try:
        client.log_artifact(run_id, str(log_path))
    except Exception:  # storing the output must not hide the command's own outcome
        logger.exception("Could not store the output of run %s", run_id)


def _tail(log_path: Path, lines: int = 20) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.rstrip().splitlines()[-lines:])
