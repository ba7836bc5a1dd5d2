"""Kernel liveness: a heartbeat tag while a cell's run is RUNNING, and a sweep of dead runs.

A kernel that dies (or restarts) cannot end its runs. Each tracked run records the kernel's pid
and host at start and refreshes ``mltrack.heartbeat`` (epoch seconds) every
:data:`DEFAULT_INTERVAL` seconds from a daemon timer. On extension load :func:`sweep_dead_runs`
marks KILLED the RUNNING runs of this host whose kernel pid is gone and whose heartbeat is stale.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from types import TracebackType

from jupyter_mltrack.entities import Run, RunStatus
from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "DEFAULT_INTERVAL",
    "ENV_INTERVAL",
    "HEARTBEAT",
    "KERNEL_HOST",
    "KERNEL_ID",
    "KERNEL_PID",
    "KILLED_REASON",
    "Heartbeat",
    "kernel_tags",
    "sweep_dead_runs",
]

logger = logging.getLogger(__name__)

HEARTBEAT = "mltrack.heartbeat"
KERNEL_PID = "mltrack.kernel.pid"
KERNEL_HOST = "mltrack.kernel.host"
#: The Jupyter kernel id (written by ``%%track``); the Lab extension finds a kernel's run by it.
KERNEL_ID = "mltrack.kernel.id"
KILLED_REASON = "mltrack.killedReason"
ENV_INTERVAL = "MLTRACK_HEARTBEAT_INTERVAL"
DEFAULT_INTERVAL = 30.0
#: A heartbeat older than this many intervals is stale.
STALE_INTERVALS = 3


def heartbeat_interval() -> float:
    """Return the heartbeat period in seconds (``MLTRACK_HEARTBEAT_INTERVAL`` or 30)."""
    try:
        return max(0.05, float(os.environ.get(ENV_INTERVAL, DEFAULT_INTERVAL)))
    except ValueError:
        return DEFAULT_INTERVAL


def kernel_tags() -> dict[str, str]:
    """Return the tags that identify this kernel process and the first heartbeat."""
    return {
        KERNEL_PID: str(os.getpid()),
        KERNEL_HOST: socket.gethostname(),
        HEARTBEAT: str(int(time.time())),
    }


class Heartbeat:
    """Refresh the run's heartbeat tag from a daemon thread until the block exits."""

    def __init__(self, client: TrackingClient, run_id: str, *, interval: float | None = None):
        self._client, self._run_id = client, run_id
        self._interval = interval if interval is not None else heartbeat_interval()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="mltrack-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._client.set_tag(self._run_id, HEARTBEAT, str(int(time.time())))
            except Exception:  # a failed beat must never disturb the cell
                logger.debug("Heartbeat for run %s failed", self._run_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _is_dead(run: Run, host: str, now: float, stale_after: float) -> bool:
    tags = run.data.tags
    if tags.get(KERNEL_HOST) != host or not tags.get(KERNEL_PID, "").isdigit():
        return False
    pid = int(tags[KERNEL_PID])
    if pid == os.getpid() or _pid_alive(pid):
        return False
    try:
        beat = float(tags.get(HEARTBEAT, ""))
    except ValueError:
        beat = (run.info.start_time or 0) / 1000
    return now - beat > stale_after


def sweep_dead_runs(
    client: TrackingClient | None = None, *, stale_after: float | None = None
) -> list[str]:
    """Mark KILLED the RUNNING runs whose kernel died; return their ids.

    Only runs started by a kernel on this host are considered: another host's pid means nothing.

    Example:
        >>> sweep_dead_runs()  # doctest: +SKIP
        ['3f2a...']
    """
    client = client or TrackingClient()
    stale = stale_after if stale_after is not None else STALE_INTERVALS * heartbeat_interval()
    host, now, killed = socket.gethostname(), time.time(), []
    experiment_ids = [e.experiment_id for e in client.search_experiments(max_results=1000)]
    if not experiment_ids:
        return []
    runs = client.search_runs(experiment_ids, f"tags.`{KERNEL_HOST}` = '{host}'", max_results=1000)
    for run in runs:
        if run.info.status is RunStatus.RUNNING and _is_dead(run, host, now, stale):
            client.set_tag(run.info.run_id, KILLED_REASON, "kernel process gone, heartbeat stale")
            client.set_terminated(run.info.run_id, RunStatus.KILLED)
            killed.append(run.info.run_id)
    return killed
