"""The heartbeat of live runs: one daemon timer per process refreshes ``mltrack.heartbeat``.

Every run the fluent API starts (and every project run, for as long as ``mltrack run`` executes
it) is registered here. One thread per process, not one per run, wakes every
``MLTRACK_HEARTBEAT_INTERVAL`` seconds (30) and writes the current time (epoch seconds) into the
heartbeat tag of all registered runs: one statement and one transaction per store on SQL
stores. Nothing here runs on the logging path; registering a run is a dictionary insert.

A heartbeat older than ``MLTRACK_HEARTBEAT_TIMEOUT`` (default three intervals) is stale; what
follows from that is :mod:`~jupyter_mltrack.tracking.liveness`'s business.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from jupyter_mltrack.entities import RunStatus, RunTag

if TYPE_CHECKING:
    from jupyter_mltrack.store.base import TrackingStore
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "DEFAULT_INTERVAL",
    "ENV_INTERVAL",
    "ENV_TIMEOUT",
    "HEARTBEAT",
    "KERNEL_HOST",
    "KERNEL_ID",
    "KERNEL_PID",
    "KILLED_REASON",
    "beating",
    "call_soon",
    "heartbeat_interval",
    "heartbeat_timeout",
    "retire",
    "terminate",
    "track",
    "tracked_runs",
    "untrack",
]

logger = logging.getLogger(__name__)

HEARTBEAT = "mltrack.heartbeat"
#: Written by kernels before every run recorded its owner (``mltrack.owner.*``); still read.
KERNEL_PID = "mltrack.kernel.pid"
KERNEL_HOST = "mltrack.kernel.host"
#: The Jupyter kernel id (written by ``%%track``); the Lab extension finds a kernel's run by it.
KERNEL_ID = "mltrack.kernel.id"
KILLED_REASON = "mltrack.killedReason"
ENV_INTERVAL = "MLTRACK_HEARTBEAT_INTERVAL"
ENV_TIMEOUT = "MLTRACK_HEARTBEAT_TIMEOUT"
DEFAULT_INTERVAL = 30.0
#: Without MLTRACK_HEARTBEAT_TIMEOUT, a heartbeat older than this many intervals is stale.
STALE_INTERVALS = 3


def heartbeat_interval() -> float:
    """Return the heartbeat period in seconds (``MLTRACK_HEARTBEAT_INTERVAL`` or 30)."""
    return _seconds(ENV_INTERVAL, DEFAULT_INTERVAL)


def heartbeat_timeout() -> float:
    """Return the age in seconds past which a heartbeat is stale (default 3 intervals)."""
    return _seconds(ENV_TIMEOUT, STALE_INTERVALS * heartbeat_interval())


def _seconds(name: str, default: float) -> float:
    try:
        return max(0.05, float(os.environ.get(name, "") or default))
    except ValueError:
        logger.warning(
            "%s=%r is not a number of seconds; using %s", name, os.environ[name], default
        )
        return default


# -- the process's one timer ---------------------------------------------------------------------
_runs: dict[str, TrackingStore] = {}
_jobs: deque[tuple[Callable[[], None], threading.Event]] = deque()
_lock = threading.Lock()
_wake = threading.Event()
_thread: threading.Thread | None = None


def track(store: TrackingStore, run_id: str) -> None:
    """Refresh ``run_id``'s heartbeat from the process timer until :func:`untrack`."""
    with _lock:
        _runs[run_id] = store
        _ensure_thread()


def call_soon(job: Callable[[], None]) -> threading.Event:
    """Run ``job`` on the timer thread now (not on the caller's); the event is set when done.

    For occasional housekeeping, such as the liveness sweep when a store is first written to:
    the caller never waits for it, and it adds no thread of its own.
    """
    done = threading.Event()
    with _lock:
        _jobs.append((job, done))
        _ensure_thread()
    _wake.set()
    return done


def _ensure_thread() -> None:
    global _thread
    if _thread is None or not _thread.is_alive():
        _thread = threading.Thread(target=_beat_forever, name="mltrack-heartbeat", daemon=True)
        _thread.start()


def untrack(run_id: str) -> None:
    """Stop refreshing ``run_id``'s heartbeat (the run ended)."""
    with _lock:
        _runs.pop(run_id, None)


def retire(store: TrackingStore, run_id: str) -> None:
    """Stop beating ``run_id``, which ended, and drop its heartbeat tag (SQL stores).

    A sweep looks only at runs with a heartbeat; one that ended needs none, and leaving it
    would make every sweep walk every run that ever had one. Never raises.
    """
    import jupyter_mltrack.tracking._liveness_sql as _liveness_sql

    untrack(run_id)
    if _liveness_sql.is_sql(store):
        try:
            _liveness_sql.delete_heartbeat(store, HEARTBEAT, run_id)
        except Exception:  # the run has ended; a leftover tag only costs the sweep a probe
            logger.debug("Could not drop the heartbeat of run %s", run_id, exc_info=True)


def terminate(client: TrackingClient, run_id: str, status: RunStatus) -> None:
    """End ``run_id`` (``status`` terminal) and drop its heartbeat, as :func:`retire` would.

    On SQL stores both go in one transaction: a commit costs as much as the rest of ending a
    run, and a small fluent run commits only four times in all. Other stores end the run and
    leave the tag to :func:`retire`'s rules (they keep none).
    """
    import jupyter_mltrack.tracking._liveness_sql as _liveness_sql

    untrack(run_id)
    if _liveness_sql.is_sql(client.store):
        _liveness_sql.end_dropping_heartbeat(client.store, HEARTBEAT, run_id, status)
    else:
        client.set_terminated(run_id, status)


def tracked_runs() -> list[str]:
    """Return the ids of the runs whose heartbeat this process refreshes."""
    with _lock:
        return list(_runs)


@contextlib.contextmanager
def beating(client: TrackingClient, run_id: str) -> Iterator[None]:
    """Refresh ``run_id``'s heartbeat while the block runs (left as found if already tracked)."""
    with _lock:
        owned = run_id not in _runs
    if owned:
        track(client.store, run_id)
    try:
        yield
    finally:
        if owned:
            untrack(run_id)


def _beat_forever() -> None:
    last = time.monotonic()
    while True:
        # Short naps, the interval re-read each time: a changed MLTRACK_HEARTBEAT_INTERVAL
        # applies within a second even if this thread started under a long one.
        _wake.wait(min(heartbeat_interval(), 1.0))
        _wake.clear()
        _run_jobs()
        if time.monotonic() - last < heartbeat_interval():
            continue
        last = time.monotonic()
        beat_now()


def _run_jobs() -> None:
    while True:
        with _lock:
            if not _jobs:
                return
            job, done = _jobs.popleft()
        try:
            job()
        except Exception:  # housekeeping must never stop the heartbeat
            logger.debug("A heartbeat-thread job failed", exc_info=True)
        finally:
            done.set()


def beat_now() -> None:
    """Write the current time into the heartbeat of every tracked run (one write per store)."""
    with _lock:
        runs = list(_runs.items())
    by_store: dict[int, tuple[TrackingStore, list[str]]] = {}
    for run_id, store in runs:
        by_store.setdefault(id(store), (store, []))[1].append(run_id)
    stamp = str(int(time.time()))
    for store, run_ids in by_store.values():
        try:
            _write_beats(store, run_ids, stamp)
        except Exception:  # a failed beat must never disturb the run; the next one may pass
            logger.debug("Heartbeat of runs %s failed", run_ids, exc_info=True)


def _write_beats(store: TrackingStore, run_ids: Sequence[str], stamp: str) -> None:
    import jupyter_mltrack.tracking._liveness_sql as _liveness_sql

    if _liveness_sql.is_sql(store):  # one UPDATE, one transaction for all runs of the store
        _liveness_sql.write_heartbeats(store, HEARTBEAT, run_ids, stamp)
        return
    for run_id in run_ids:  # other stores (the REST client) take one tag write per run
        store.log_batch(run_id, tags=[RunTag(key=HEARTBEAT, value=stamp)])


def _reset() -> None:
    """Stop beating every run (tests: runs forgotten without being ended)."""
    with _lock:
        _runs.clear()


def _forget_in_child() -> None:
    # The parent's timer thread does not exist in a forked child, and its runs are the parent's.
    global _thread, _lock, _wake
    _runs.clear()
    _jobs.clear()
    _thread = None
    _lock, _wake = threading.Lock(), threading.Event()


os.register_at_fork(after_in_child=_forget_in_child)
