"""The active-run stack of the fluent API and the :class:`ActiveRun` handle.

Active runs are kept per thread: a new thread starts with no active run, and a ``with start_run()``
block always pops what it pushed, whatever happens inside. A ``contextvars.ContextVar`` can give
one context its own stack (:func:`isolated_run_stack`, e.g. for concurrent asyncio tasks that each
run ``with start_run()``). The thread's stack is the default on purpose: Jupyter kernels run
cells in fresh copies of a base context, and a run started in one cell must still be active in
the next.

Every run started by the fluent API is also registered process-wide, so the ``atexit`` hook can
end runs left active by any thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING

from jupyter_mltrack.entities import RunData, RunInfo, RunStatus

if TYPE_CHECKING:
    from jupyter_mltrack.store.base import TrackingStore
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "ActiveRun",
    "current_run",
    "current_stack",
    "forget_run",
    "isolated_run_stack",
    "live_runs",
    "pop_run",
    "push_run",
]

logger = logging.getLogger(__name__)


class ActiveRun:
    """A run started by :func:`~jupyter_mltrack.start_run`; use it as a context manager.

    Leaving the ``with`` block ends the run: FINISHED, FAILED when the block raised, KILLED on
    ``KeyboardInterrupt``. ``info`` and ``data`` are read from the store on each access.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> with mlt.start_run(run_name="baseline") as run:  # doctest: +SKIP
        ...     mlt.log_metric("acc", 0.9)
        >>> run.info.status  # doctest: +SKIP
        <RunStatus.FINISHED: 'FINISHED'>
    """

    __slots__ = (
        "artifact_uri",
        "async_logging",
        "client",
        "end",
        "experiment_id",
        "params",
        "run_id",
        "store",
    )

    def __init__(
        self,
        *,
        run_id: str,
        experiment_id: str,
        artifact_uri: str,
        client: TrackingClient,
        params: dict[str, str],
        async_logging: bool,
        end: Callable[[ActiveRun, RunStatus], None],
    ) -> None:
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.artifact_uri = artifact_uri
        self.client = client
        self.store: TrackingStore = client.store
        #: Params logged to this run, so a conflicting value fails at the call, not at flush.
        self.params = params
        self.async_logging = async_logging
        #: Ends the run (the fluent API's ``end_run_object``, passed in by ``start_run`` so this
        #: module, which the fluent API builds on, does not import it back).
        self.end = end

    @property
    def info(self) -> RunInfo:
        """The run's current attributes (status, times, name ...), read from the store."""
        return self.client.get_run(self.run_id).info

    @property
    def data(self) -> RunData:
        """The run's metrics, params and tags, after writing pending metrics."""
        from jupyter_mltrack.tracking.batching import BATCHER

        BATCHER.flush()
        return self.client.get_run(self.run_id).data

    def __repr__(self) -> str:
        return f"<ActiveRun run_id={self.run_id!r} experiment_id={self.experiment_id!r}>"

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.end(self, RunStatus.FINISHED)
            return
        status = RunStatus.KILLED if issubclass(exc_type, KeyboardInterrupt) else RunStatus.FAILED
        try:
            self.end(self, status)
        except Exception as end_error:
            # The block's own exception is the one to see; keep the other attached to it.
            logger.error("Could not end run %s as %s: %s", self.run_id, status.value, end_error)
            if exc is not None:
                exc.add_note(f"jupyter_mltrack: ending run {self.run_id} failed: {end_error}")


_STACK: ContextVar[tuple[ActiveRun, ...] | None] = ContextVar("mltrack_active_runs", default=None)
_local = threading.local()
_live: dict[str, ActiveRun] = {}
_live_lock = threading.Lock()


def current_stack() -> tuple[ActiveRun, ...]:
    """Return the active runs of this context (innermost last)."""
    stack = _STACK.get()
    if stack is None:
        stack = getattr(_local, "stack", ())
    return stack


def current_run() -> ActiveRun | None:
    """Return the innermost active run of this context, or None."""
    stack = _STACK.get()
    if stack is None:
        stack = getattr(_local, "stack", ())
    return stack[-1] if stack else None


def _set_stack(stack: tuple[ActiveRun, ...]) -> None:
    if _STACK.get() is None:
        _local.stack = stack
    else:
        _STACK.set(stack)


@contextlib.contextmanager
def isolated_run_stack() -> Iterator[None]:
    """Give the current context its own, initially empty, active-run stack.

    Example:
        >>> async def train(i):  # doctest: +SKIP
        ...     with isolated_run_stack(), mlt.start_run(run_name=f"task-{i}"):
        ...         ...
    """
    token = _STACK.set(())
    try:
        yield
    finally:
        _STACK.reset(token)


def push_run(run: ActiveRun) -> None:
    """Make ``run`` the innermost active run of this context."""
    _set_stack((*current_stack(), run))
    with _live_lock:
        _live[run.run_id] = run


def pop_run(run: ActiveRun) -> tuple[ActiveRun, ...]:
    """Remove ``run`` and the runs nested in it from the stack; return those removed, inner first.

    Returns ``()`` if ``run`` is not on this context's stack.
    """
    stack = current_stack()
    for index, candidate in enumerate(stack):
        if candidate is run:
            removed = stack[index:]
            _set_stack(stack[:index])
            with _live_lock:
                for item in removed:
                    _live.pop(item.run_id, None)
            return tuple(reversed(removed))
    return ()


def forget_run(run: ActiveRun) -> None:
    """Drop ``run`` from the process-wide registry (it was ended by another context)."""
    with _live_lock:
        if _live.get(run.run_id) is run:
            del _live[run.run_id]


def live_runs() -> list[ActiveRun]:
    """Return every run the fluent API started in this process and has not ended yet."""
    with _live_lock:
        return list(_live.values())


def _forget_all_live() -> None:
    # A forked child may log to the parent's runs but must never end them at its exit.
    with _live_lock:
        _live.clear()


os.register_at_fork(after_in_child=_forget_all_live)


def _reset() -> None:
    """Forget every active run without ending it (tests and forked children)."""
    _local.stack = ()
    with _live_lock:
        _live.clear()
