"""One heartbeat thread per kernel for the runs of tracked cells (not one thread per cell).

A tracked cell's run records the kernel's pid and a first heartbeat when it starts
(``tracking.heartbeat.kernel_tags``); while the cell runs, this thread refreshes the heartbeat of
every tracked run still RUNNING, so a kernel that dies mid-cell leaves a stale heartbeat the next
session's sweep can trust. Starting and joining a thread per cell cost more than the whole rest of
a short tracked cell; here a cell adds and removes a dictionary entry.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from jupyter_mltrack.tracking.heartbeat import HEARTBEAT, heartbeat_interval

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["beating"]

logger = logging.getLogger(__name__)

_runs: dict[str, TrackingClient] = {}
_lock = threading.Lock()
_thread: threading.Thread | None = None


@contextlib.contextmanager
def beating(client: TrackingClient, run_id: str) -> Iterator[None]:
    """Refresh ``run_id``'s heartbeat tag every interval while the block runs."""
    global _thread
    with _lock:
        _runs[run_id] = client
        if _thread is None:
            _thread = threading.Thread(target=_beat, name="mltrack-heartbeat", daemon=True)
            _thread.start()
    try:
        yield
    finally:
        with _lock:
            _runs.pop(run_id, None)


def _beat() -> None:
    last = time.monotonic()
    while True:
        # Short naps, the interval re-read each time: a changed MLTRACK_HEARTBEAT_INTERVAL
        # applies within a second even if this thread started under a long one.
        time.sleep(min(heartbeat_interval(), 1.0))
        if time.monotonic() - last < heartbeat_interval():
            continue
        last = time.monotonic()
        with _lock:
            runs = list(_runs.items())
        for run_id, client in runs:
            try:
                client.set_tag(run_id, HEARTBEAT, str(int(time.time())))
            except Exception:  # a failed beat must never disturb the cell
                logger.debug("Heartbeat for run %s failed", run_id, exc_info=True)
