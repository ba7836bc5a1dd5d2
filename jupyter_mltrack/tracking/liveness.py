"""Run liveness: which process owns a RUNNING run, and ending the runs whose owner is gone.

A process that dies without ending its runs (kill -9, out of memory, a dead kernel, a lost
machine) would leave them RUNNING forever. So every run the fluent API starts records its owner,
``mltrack.owner.host`` / ``.pid`` / ``.startTime`` (and ``.pidNamespace`` on Linux), plus a
heartbeat the process refreshes (:mod:`~jupyter_mltrack.tracking.heartbeat`).
:func:`sweep_runs` marks KILLED, with a ``mltrack.killedReason`` tag, every RUNNING run that
carries a heartbeat and whose

- owner ran on this machine (same host name and pid namespace) and is gone: no process with
  that pid, or one started at another time (the pid was reused). A live owner is never
  overruled, however old its heartbeat (a suspended laptop, a busy process);
- owner ran elsewhere (or cannot be told) and whose heartbeat is older than the timeout.

Runs without a heartbeat (created through a client, an MLflow client or the REST API by hand)
are never touched. Sweeps happen on ``mltrack gc``, once per process and SQL store at the first
``start_run`` (:func:`sweep_once`), and periodically in ``mltrack server``.
``MLTRACK_RUN_LIVENESS=off`` turns all of it off (no owner tags, no heartbeat, no sweeps).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jupyter_mltrack.tracking._liveness_sql as _liveness_sql
import jupyter_mltrack.tracking._process as _process
from jupyter_mltrack._time import now_ms
from jupyter_mltrack.entities import RunStatus, RunTag, ViewType
from jupyter_mltrack.tracking.heartbeat import (
    HEARTBEAT,
    KERNEL_HOST,
    KERNEL_ID,
    KERNEL_PID,
    KILLED_REASON,
    beating,
    call_soon,
    heartbeat_timeout,
    retire,
    tracked_runs,
)

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run
    from jupyter_mltrack.store.base import TrackingStore
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "ENV_LIVENESS",
    "OWNER_HOST",
    "OWNER_PID",
    "OWNER_PID_NAMESPACE",
    "OWNER_START_TIME",
    "Owner",
    "dead_reason",
    "join_sweeps",
    "kernel_tags",
    "liveness_enabled",
    "own_run",
    "owner_tags",
    "resume_tags",
    "sweep_dead_runs",
    "sweep_once",
    "sweep_runs",
]

logger = logging.getLogger(__name__)

ENV_LIVENESS = "MLTRACK_RUN_LIVENESS"
OWNER_HOST = "mltrack.owner.host"
OWNER_PID = "mltrack.owner.pid"
OWNER_START_TIME = "mltrack.owner.startTime"
OWNER_PID_NAMESPACE = "mltrack.owner.pidNamespace"
#: What a sweep looks for: RUNNING runs that carry a heartbeat (the tag's index drives it).
_CANDIDATES = f"attributes.status = 'RUNNING' and tags.`{HEARTBEAT}` IS NOT NULL"
_PAGE = 1000
#: The tags a sweep reads.
_LIVENESS_KEYS = (
    HEARTBEAT, OWNER_HOST, OWNER_PID, OWNER_START_TIME, OWNER_PID_NAMESPACE,
    KERNEL_HOST, KERNEL_PID, KERNEL_ID,
)  # fmt: skip


def liveness_enabled() -> bool:
    """Return False when ``MLTRACK_RUN_LIVENESS`` is ``off`` (or 0, false, no)."""
    value = os.environ.get(ENV_LIVENESS, "").strip().lower()
    return value not in ("0", "false", "no", "off")


@dataclass(frozen=True, slots=True)
class Owner:
    """A process as recorded on a run: host, pid, start time and pid namespace (if known)."""

    host: str
    pid: int
    start_time: float | None = None
    namespace: str | None = None

    @classmethod
    def current(cls) -> Owner:
        """Return this process."""
        pid = os.getpid()
        start = _process.start_time(pid)
        return cls(socket.gethostname(), pid, start, _process.pid_namespace())

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> Owner | None:
        """Return the owner recorded in ``tags`` (or by a kernel of an older version), if any."""
        host, pid = tags.get(OWNER_HOST), tags.get(OWNER_PID, "")
        if host is None:  # runs of %%track cells before every run recorded its owner
            host, pid = tags.get(KERNEL_HOST), tags.get(KERNEL_PID, "")
        if host is None or not pid.isdigit():
            return None
        return cls(
            host, int(pid), _float(tags.get(OWNER_START_TIME)), tags.get(OWNER_PID_NAMESPACE)
        )

    def same_machine(self, other: Owner) -> bool:
        """True when pids of ``other`` mean the same processes as ours (host and namespace)."""
        if self.host != other.host:
            return False
        return (
            self.namespace is None or other.namespace is None or self.namespace == other.namespace
        )

    def is_running(self) -> bool:
        """True when this process still exists on this machine (same pid, same start time)."""
        if not _process.exists(self.pid):
            return False
        if self.start_time is None:
            return True
        started = _process.start_time(self.pid)
        return started is None or abs(started - self.start_time) < 1.0

    def describe(self) -> str:
        """``pid 123 on host-a``."""
        return f"pid {self.pid} on {self.host}"

    def tags(self) -> dict[str, str]:
        """Return the owner tags recording this process."""
        tags = {OWNER_HOST: self.host, OWNER_PID: str(self.pid)}
        if self.start_time is not None:
            tags[OWNER_START_TIME] = f"{self.start_time:.2f}"
        if self.namespace is not None:
            tags[OWNER_PID_NAMESPACE] = self.namespace
        return tags


_me: tuple[int, Owner] | None = None


def _current() -> Owner:
    global _me
    if _me is None or _me[0] != os.getpid():  # computed once per process (and again after fork)
        _me = (os.getpid(), Owner.current())
    return _me[1]


def owner_tags() -> dict[str, str]:
    """Return the tags recording this process as a new run's owner, with a first heartbeat.

    Empty when liveness is off (``MLTRACK_RUN_LIVENESS=off``).
    """
    if not liveness_enabled():
        return {}
    return {**_current().tags(), HEARTBEAT: str(int(time.time()))}


def resume_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Return the tags to write when this process resumes a run that has ``tags``.

    The resuming process becomes the owner, unless the recorded owner is one of its ancestors
    on this machine and alive: ``mltrack run`` owns the run its papermill kernel resumes, and
    ends it whatever becomes of the kernel. Either way the heartbeat is refreshed.
    """
    if not liveness_enabled():
        return {}
    recorded, me = Owner.from_tags(tags), _current()
    if (
        recorded is not None
        and recorded.same_machine(me)
        and recorded.pid in _process.ancestors()
        and recorded.is_running()
    ):
        return {HEARTBEAT: str(int(time.time()))}
    return owner_tags()


@contextlib.contextmanager
def own_run(client: TrackingClient, run_id: str) -> Iterator[None]:
    """Record this process as ``run_id``'s owner and refresh its heartbeat during the block.

    For runs a process manages without the fluent API, e.g. ``mltrack run`` for the project run
    its kernel logs into: the kernel, a child of the owner, then leaves the owner as it is.
    """
    # Nested in another own_run (or a fluent run of this process): that one manages it.
    tags = {} if run_id in tracked_runs() else owner_tags()
    if tags:
        try:
            client.log_batch(run_id, tags=[RunTag(key=k, value=v) for k, v in tags.items()])
        except Exception:  # liveness is a safety net; it must not fail the run it watches
            logger.warning("Could not record the owner of run %s", run_id, exc_info=True)
            tags = {}
    if not tags:
        yield
        return
    try:
        with beating(client, run_id):
            yield
    finally:
        retire(client.store, run_id)  # the caller ends the run right after the block


def dead_reason(
    tags: Mapping[str, str], *, now: float | None = None, timeout: float | None = None
) -> str | None:
    """Return why a RUNNING run with ``tags`` has no live owner, or None if it may have one."""
    beat = _float(tags.get(HEARTBEAT))
    if beat is None:  # only runs that carry a heartbeat are judged
        return None
    me, owner = _current(), Owner.from_tags(tags)
    what = "kernel" if KERNEL_ID in tags or KERNEL_PID in tags else "owner"
    if owner is not None and owner.same_machine(me):
        if owner.is_running():
            return None  # a live owner wins, whatever its heartbeat says
        return f"{what} process gone: {owner.describe()} is no longer running"
    now = time.time() if now is None else now
    limit = heartbeat_timeout() if timeout is None else timeout
    age = now - beat
    if age <= limit:
        return None
    where = f" ({what} {owner.describe()})" if owner is not None else ""
    return f"heartbeat stale: last beat {age:.0f} s ago, timeout {limit:.0f} s{where}"


def sweep_runs(store: TrackingStore, *, timeout: float | None = None) -> list[tuple[str, str]]:
    """Mark KILLED every RUNNING run of ``store`` whose owner is gone; return ``(id, reason)``.

    Does nothing when ``MLTRACK_RUN_LIVENESS=off``. ``timeout`` overrides the heartbeat
    timeout (seconds).

    Example:
        >>> sweep_runs(TrackingClient().store)  # doctest: +SKIP
        [('3f2a...', 'owner process gone: pid 4242 on host-a is no longer running')]
    """
    if not liveness_enabled():
        return []
    now, killed = time.time(), []
    for run_id, tags in _candidates(store).items():
        reason = dead_reason(tags, now=now, timeout=timeout)
        if reason is not None and _kill(store, run_id, reason):
            killed.append((run_id, reason))
    if killed:
        logger.info("Marked %d run(s) with no live owner KILLED", len(killed))
    return killed


def _candidates(store: TrackingStore) -> dict[str, dict[str, str]]:
    """Return the tags of the RUNNING runs that carry a heartbeat, by run id."""
    if _liveness_sql.is_sql(store):  # one query on the tag key's index
        return _liveness_sql.running_with_heartbeat(store, HEARTBEAT, _LIVENESS_KEYS)
    experiment_ids: list[str] = []
    token: str | None = None
    while True:
        page = store.search_experiments(view_type=ViewType.ALL, max_results=_PAGE, page_token=token)
        experiment_ids.extend(e.experiment_id for e in page)
        token = page.token
        if not token:
            break
    runs: list[Run] = []
    token = None
    while experiment_ids:
        found = store.search_runs(experiment_ids, _CANDIDATES, ViewType.ALL, _PAGE, None, token)
        runs.extend(found)
        token = found.token
        if not token:
            break
    return {run.info.run_id: dict(run.data.tags) for run in runs}


def _kill(store: TrackingStore, run_id: str, reason: str) -> bool:
    try:
        # Read again: the owner (or another sweeper) may have ended it since the search.
        if store.get_run(run_id).info.status is not RunStatus.RUNNING:
            return False
        store.log_batch(run_id, tags=[RunTag(key=KILLED_REASON, value=reason)])
        store.update_run_info(run_id, status=RunStatus.KILLED, end_time=now_ms())
    except Exception:  # one run that cannot be ended must not stop the others
        logger.warning("Could not mark run %s KILLED (%s)", run_id, reason, exc_info=True)
        return False
    return True


_swept: set[tuple[int, str]] = set()
_pending: list[threading.Event] = []
_swept_lock = threading.Lock()
#: How long a process that exits waits for the sweep it started.
EXIT_WAIT_S = 10.0


def sweep_once(store: TrackingStore) -> None:
    """Sweep a SQL ``store`` the first time this process starts a run in it.

    The sweep runs on the heartbeat thread, so starting the run never waits for it (its query
    walks the index of the heartbeat tag: about 10 ms at 10,000 runs with one, 0.2 s at
    100,000); a process that exits first waits for it (up to :data:`EXIT_WAIT_S`). Other
    stores are left to the tracking server, which sweeps its database itself.
    """
    if not liveness_enabled() or not _liveness_sql.is_sql(store):
        return
    key = (os.getpid(), str(getattr(store, "uri", id(store))))
    with _swept_lock:
        if key in _swept:
            return
        _swept.add(key)
        first = not _pending
        _pending[:] = [e for e in _pending if not e.is_set()]
        _pending.append(call_soon(lambda: _sweep_quietly(store)))
    if first:
        atexit.register(join_sweeps, EXIT_WAIT_S)


def join_sweeps(timeout: float | None = None) -> None:
    """Wait for the sweeps :func:`sweep_once` started in this process to end."""
    with _swept_lock:
        pending = list(_pending)
    deadline = None if timeout is None else time.monotonic() + timeout
    for done in pending:
        done.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))


def _reset_in_child() -> None:
    global _swept_lock
    _swept_lock = threading.Lock()  # a parent's thread may have held it at the fork
    _pending.clear()


os.register_at_fork(after_in_child=_reset_in_child)


def _sweep_quietly(store: TrackingStore) -> None:
    try:
        sweep_runs(store)
    except Exception:  # a failed sweep must not disturb the process; gc or the server retry
        logger.debug("Could not look for runs whose process died", exc_info=True)


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def kernel_tags() -> dict[str, str]:
    """Return the tags of a tracked cell's run: its owner (the kernel) and a first heartbeat.

    The fluent API records the owner of every run; ``mltrack.kernel.pid`` / ``.host`` are kept
    on cells' runs for readers of earlier versions, and name the owner a kernel.
    """
    tags = owner_tags()
    if tags:
        tags.update({KERNEL_PID: str(os.getpid()), KERNEL_HOST: socket.gethostname()})
    return tags


def sweep_dead_runs(
    client: TrackingClient | None = None, *, stale_after: float | None = None
) -> list[str]:
    """Mark KILLED the RUNNING runs whose owning process is gone; return their ids.

    See :func:`sweep_runs` for the rules.

    Example:
        >>> sweep_dead_runs()  # doctest: +SKIP
        ['3f2a...']
    """
    from jupyter_mltrack.tracking.client import TrackingClient

    store = (client or TrackingClient()).store
    return [run_id for run_id, _ in sweep_runs(store, timeout=stale_after)]
