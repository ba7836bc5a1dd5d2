"""The background metric writer behind the fluent ``log_metric``.

The hot path (:meth:`MetricBatcher.add`) appends one tuple to a ``collections.deque`` and, at
most, sets an event: no lock, no entity object, no store call. One daemon thread writes the
buffered points grouped per run with ``TrackingStore.log_metric_points``.

When data is written:

- ``interval`` seconds (0.5 s) after the first point of an idle period, and while points keep
  coming, ``interval`` seconds after the previous write began;
- as soon as ``threshold`` points (10,000) are pending;
- on :meth:`MetricBatcher.flush` (``flush()``, ``end_run``, param/tag writes, interpreter exit).

A write takes everything pending, up to ``chunk`` points (100,000) per store transaction (fewer on a
slow store, see below): when the
caller logs faster than the store writes, transactions grow and their fixed costs (the commit,
one latest-value update per key) are shared by more points.

Back-pressure: when ``max_pending`` points (100,000, about 20 MB) are waiting, the logging thread
waits until the writer thread has taken some (or, with no writer thread, writes them itself), so
memory stays bounded however fast the caller logs. Waiting rather than writing keeps the two
threads overlapping: the store's work releases the GIL, so logging goes on meanwhile.

Bounded latency: a point is stored within about ``interval`` plus one transaction of being
logged, so a process killed with SIGKILL loses at most the last second. For that, a transaction
must stay short when the store is slow (a loaded machine, a remote database) and the backlog must
not outgrow what the store writes in that time: after each write the batcher measures the store's
rate and caps both the points per transaction and the pending points (the back-pressure limit) at
what it writes in ``write_budget`` seconds (0.25 s; never below ``min_limit`` points).

Every write pops and writes under one lock, so ``flush()`` returns only when every point appended
before it is stored. A failed write is kept and raised as :class:`StoreError` (chained to the cause)
at the next fluent call, ``flush()`` or ``end_run``; the points of that write are dropped, never
silently. After ``os.fork`` the child starts with an empty buffer and no thread.
"""

from __future__ import annotations

import logging
import operator
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import repeat
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import StoreError

if TYPE_CHECKING:
    from jupyter_mltrack.store.base import MetricPoint, TrackingStore

__all__ = ["BATCHER", "MetricBatcher"]

logger = logging.getLogger(__name__)

#: How often a logging thread held up by back-pressure looks for room in the buffer.
_ROOM_POLL_S = 0.0005

#: At most this many pending points go into a param/tag write (MLflow's batch limit).
_DRAIN_MAX = 1000

# (store or its token, run_id, (key, value, timestamp, step)); the point is built by the caller.
# add_many puts an int token in place of the store (see MetricBatcher._hold): an item of only
# ints, strings and floats is soon untracked by the garbage collector, whose passes would
# otherwise walk every pending item again and again (a third of the wide workload's time).
_Item = tuple[Any, str, "MetricPoint"]
_STORE, _RUN_ID, _POINT = (operator.itemgetter(i) for i in range(3))


class MetricBatcher:
    """A bounded, per-process buffer of metric points and the thread that writes it."""

    def __init__(
        self,
        *,
        interval: float = 0.5,
        threshold: int = 10_000,
        max_pending: int = 100_000,
        chunk: int = 100_000,
        write_budget: float = 0.25,
        min_limit: int = 1_000,
    ) -> None:
        self.interval = interval
        self.threshold = threshold
        self.max_pending = max_pending
        self.chunk = chunk
        self.write_budget = write_budget
        self.min_limit = min_limit
        #: The first unreported write failure; the fluent API checks it on every call.
        self.error: StoreError | None = None
        self._init_state()
        # The parent's points are the parent's to write, and its lock may be held by a thread
        # that does not exist in the child: start the child afresh.
        ref = weakref.ref(self)

        def reset_in_child() -> None:
            batcher = ref()
            if batcher is not None:
                batcher._init_state()

        os.register_at_fork(after_in_child=reset_in_child)

    def _init_state(self) -> None:
        self._queue: deque[_Item] = deque()
        #: token -> [store, items pending under that token] (see _hold).
        self._stores: dict[int, list[Any]] = {}
        self._stores_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._error_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = True
        self._closed = False
        self.error = None
        #: Points the store writes in ``write_budget`` seconds (back-pressure and chunk limit).
        self._limit = self.max_pending
        #: When add() must signal: at the threshold, or earlier when the limit is lower.
        self._trigger = min(self.threshold, self._limit)

    # -- producer side ------------------------------------------------------------------------
    def add(
        self, store: TrackingStore, run_id: str, key: str, value: float, timestamp: int, step: int
    ) -> None:
        """Buffer one point; the caller has validated it."""
        queue = self._queue
        queue.append((store, run_id, (key, value, timestamp, step)))
        # Append before reading _idle (see _run): one of the two always sees the other.
        if self._idle or len(queue) >= self._trigger:
            self._signal()

    def add_many(self, store: TrackingStore, run_id: str, points: list[MetricPoint]) -> None:
        """Buffer validated ``(key, value, timestamp, step)`` points of one run at once."""
        queue = self._queue
        token = self._hold(store, len(points))
        queue.extend(zip(repeat(token), repeat(run_id), points))  # no Python loop per point
        if self._idle or len(queue) >= self._trigger:
            self._signal()

    def _hold(self, store: TrackingStore, count: int) -> int:
        """Return the token that stands for ``store`` in ``count`` new items, and keep the
        store until the writer has taken them (:meth:`_stores_of`)."""
        token = id(store)  # unique while held: the registry keeps the store alive
        with self._stores_lock:
            held = self._stores.get(token)
            if held is None:
                self._stores[token] = [store, count]
            else:
                held[1] += count
        return token

    def _stores_of(self, counts: dict[Any, int]) -> dict[Any, TrackingStore]:
        """Map each item head (a store or a token) to its store; release the taken tokens."""
        found: dict[Any, TrackingStore] = {}
        with self._stores_lock:
            for head, count in counts.items():
                if type(head) is not int:
                    found[head] = head
                    continue
                held = self._stores[head]
                found[head] = held[0]
                held[1] -= count
                if held[1] <= 0:
                    del self._stores[head]
        return found

    def _signal(self) -> None:
        if self._closed or (len(self._queue) >= self._limit and not self._wait_for_room()):
            self.flush()
            return
        # Set before (re)starting the thread, so a fresh writer starts its gathering wait
        # with this wake-up already consumed.
        self._idle = False
        self._wake.set()
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._start()

    def _wait_for_room(self) -> bool:
        """Let the writer thread take points until fewer than the limit wait.

        Returns False (the caller then writes itself) if there is no live writer thread.
        """
        while len(self._queue) >= self._limit:
            thread = self._thread
            if thread is None or not thread.is_alive() or self._closed:
                return False
            self._idle = False
            self._wake.set()
            time.sleep(_ROOM_POLL_S)
        return True

    def pending(self) -> int:
        """Return how many points wait to be written."""
        return len(self._queue)

    # -- writing ------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write every point buffered before this call; errors are kept in :attr:`error`."""
        with self._write_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        remaining = len(self._queue)
        popleft = self._queue.popleft
        while remaining > 0:
            take = min(remaining, self.chunk, self._limit)
            remaining -= take
            try:
                items = [popleft() for _ in range(take)]
            except IndexError:  # the buffer was reset by a fork hook; nothing left
                return
            started = time.perf_counter()
            self._write(items)
            self._adapt(take, time.perf_counter() - started)

    @contextmanager
    def drained(self, store: TrackingStore, run_id: str) -> Iterator[list[MetricPoint]]:
        """Hand the caller the pending points to write in its own transaction, if all are
        ``run_id``'s in ``store`` (else write them first and yield none).

        A fluent run writes its params or tags right after its metrics; one transaction for
        both saves a commit. The writer stays locked until the block ends, so a concurrent
        :meth:`flush` still returns only once these points are stored. The caller must write
        them or record why not (:meth:`record_failure`).
        """
        with self._write_lock:
            count = len(self._queue)
            if not count:
                yield []
                return
            if count > min(self._limit, _DRAIN_MAX):  # the usual path for longer backlogs
                self._flush_locked()
                yield []
                return
            popleft = self._queue.popleft
            try:
                items = [popleft() for _ in range(count)]
            except IndexError:  # the buffer was reset by a fork hook; nothing left
                yield []
                return
            single = _single_run(items)
            if single is None or single[1] != run_id:
                self._write(items)
                yield []
                return
            owner = self._stores_of({single[0]: count})[single[0]]
            if owner is not store:
                self._write_groups({single: (owner, list(map(_POINT, items)))})
                yield []
                return
            yield list(map(_POINT, items))

    def record_failure(
        self, store: TrackingStore, run_id: str, points: list[MetricPoint], exc: Exception
    ) -> None:
        """Keep the failure to write drained ``points`` as the writer's error (see drained)."""
        self._record(store, run_id, len(points), exc)

    def _adapt(self, count: int, seconds: float) -> None:
        """Cap transactions and the backlog at what the store wrote in ``write_budget``."""
        rate = count / max(seconds, 1e-6)
        if seconds < self.write_budget / 4 and count < self._limit:
            return  # a small quick write says little about the rate: keep the limit
        limit = int(min(self.max_pending, max(self.min_limit, rate * self.write_budget)))
        self._limit, self._trigger = limit, min(self.threshold, limit)

    def _write(self, items: list[_Item]) -> None:
        single = _single_run(items)
        if single is not None:  # the usual case, checked and split in C-level passes
            head, run_id = single
            store = self._stores_of({head: len(items)})[head]
            self._write_groups({(head, run_id): (store, list(map(_POINT, items)))})
            return
        lists: dict[tuple[Any, str], list[MetricPoint]] = {}
        counts: dict[Any, int] = {}
        last_head, last_run, append = None, None, None
        for head, run_id, point in items:
            # Points come in long runs of one (store, run): look the group up on a change.
            if head is not last_head or run_id is not last_run:
                points = lists.get((head, run_id))
                if points is None:
                    points = lists[(head, run_id)] = []
                last_head, last_run, append = head, run_id, points.append
            append(point)  # type: ignore[misc]
        for (head, _), points in lists.items():
            counts[head] = counts.get(head, 0) + len(points)
        stores = self._stores_of(counts)
        self._write_groups({key: (stores[key[0]], points) for key, points in lists.items()})

    def _write_groups(
        self, groups: dict[tuple[Any, str], tuple[TrackingStore, list[MetricPoint]]]
    ) -> None:
        for (_, run_id), (store, points) in groups.items():
            try:
                store.log_metric_points(run_id, points)
            except Exception as exc:
                self._record(store, run_id, len(points), exc)

    def _record(self, store: TrackingStore, run_id: str, count: int, exc: Exception) -> None:
        where = getattr(store, "uri", "") or type(store).__name__
        error = StoreError(
            f"The background metric writer could not store {count} metric point(s) of run "
            f"{run_id!r} in {where}: {exc}. Those points were dropped; fix the cause and log them "
            "again, or pass synchronous=True to log_metric to see errors at the call."
        )
        error.__cause__ = exc
        with self._error_lock:
            if self.error is None:
                self.error = error
                return
        # One error is reported at a time; later ones must still leave a trace.
        logger.error("%s", error, exc_info=exc)

    def take_error(self) -> StoreError | None:
        """Return and clear the pending write failure, if any."""
        with self._error_lock:
            error, self.error = self.error, None
        return error

    def raise_error(self) -> None:
        """Raise the pending write failure as :class:`StoreError`, if there is one."""
        error = self.take_error()
        if error is not None:
            raise error

    # -- the writer thread --------------------------------------------------------------------
    def _start(self) -> None:
        with self._error_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._closed = False
            self._thread = threading.Thread(
                target=self._run, name="mltrack-metric-writer", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        wake, queue = self._wake, self._queue
        began = time.monotonic()
        while not self._closed:
            if not queue:
                # Publish "idle" before the last emptiness check: a producer appending after the
                # check sees it and wakes us; one appending before it is seen by the check.
                self._idle = True
                if not queue:
                    wake.wait()
                    began = time.monotonic()
                self._idle = False
            wake.clear()
            if self._closed:
                break
            # Gather for up to `interval` since the previous write began (a point that came
            # during a write has waited that long already); the producer cuts this short.
            left = self.interval - (time.monotonic() - began)
            if len(queue) < self._trigger and left > 0:
                wake.wait(left)
                wake.clear()
            began = time.monotonic()
            try:
                self.flush()
            except Exception:  # pragma: no cover - _write records store errors itself
                logger.exception("The background metric writer failed")

    def close(self, *, timeout: float = 5.0) -> None:
        """Write what is pending and stop the thread (points added later are written inline)."""
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None
        self._idle = True  # from now on every add() writes inline
        self.flush()

    def reopen(self) -> None:
        """Undo :meth:`close`: buffer again and write in the background (tests)."""
        self._closed = False


def _single_run(items: list[_Item]) -> tuple[Any, str] | None:
    """Return ``(head, run_id)`` if every item has that one head (store or token) and run."""
    if not items:
        return None
    heads = set(map(_STORE, items))
    runs = set(map(_RUN_ID, items))
    if len(heads) != 1 or len(runs) != 1:
        return None
    return items[0][0], items[0][1]


#: The process-wide batcher used by the fluent API.
BATCHER = MetricBatcher()
