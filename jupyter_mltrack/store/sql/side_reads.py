"""Reads on pooled connections beside the caller's own, for the statements of one result.

PostgreSQL's search DataFrame is built from statements that do not depend on each other (the
runs, and the cells of the metrics, params and tags). On one connection they queue behind each
other, each costing the server's time; on their own connections the server works on them at
the same time. :func:`beside` runs such reads on connections of the engine's pool, on a few
worker threads shared by the process, while the caller does its own part. Each connection
reads in its own transaction, which on PostgreSQL's READ COMMITTED changes nothing: every
statement takes its own snapshot anyway.

SQLite does not gain from it: its reads run in this process, and streaming rows needs the GIL
after every step, so two readers mostly take turns (measured: no faster for 10,000 runs).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

import sqlalchemy as sa

__all__ = ["beside"]

#: Enough for the three cell tables of a frame while the caller reads the runs.
_WORKER_COUNT = 3
_workers: ThreadPoolExecutor | None = None
_workers_lock = threading.Lock()
_T = TypeVar("_T")
_R = TypeVar("_R")


def beside(
    engine: sa.Engine, jobs: Sequence[Callable[[sa.Connection], _T]], own: Callable[[], _R]
) -> tuple[_R, list[_T]]:
    """Run ``own()`` here while each job reads on its own pooled connection of ``engine``.

    Returns ``own``'s result and the jobs' results, in order. An error of ``own`` or of a job
    raises here, after every job has finished (none is left reading on its own).
    """
    futures: list[Future[_T]] = [_pool().submit(_on_own_connection, engine, job) for job in jobs]
    try:
        result = own()
    finally:
        wait(futures)
    return result, [future.result() for future in futures]


def _on_own_connection(engine: sa.Engine, job: Callable[[sa.Connection], _T]) -> _T:
    with engine.connect() as conn:
        return job(conn)


def _pool() -> ThreadPoolExecutor:
    global _workers
    with _workers_lock:
        if _workers is None:
            _workers = ThreadPoolExecutor(_WORKER_COUNT, thread_name_prefix="mltrack-read")
        return _workers


def _forget_workers() -> None:
    """In a forked child: the parent's worker threads do not exist here, and an executor that
    believes it has them would queue reads that nobody runs."""
    global _workers, _workers_lock
    _workers, _workers_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_workers)
