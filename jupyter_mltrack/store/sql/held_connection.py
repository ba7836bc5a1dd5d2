"""One SQLite write connection kept open between transactions.

Checking a connection out of SQLAlchemy's pool and back in costs ~25 µs of Python per write
transaction, two thirds of an empty transaction; a fluent run writes four times. SQLite takes one
writer at a time anyway, so a store keeps a single connection for writes, used by whichever
thread holds its lock. A thread that finds it busy takes a pooled connection as before (and then
waits for SQLite's write lock, as it would have). After a failed transaction, or in a forked
child, the connection is dropped and a new one opened on next use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from jupyter_mltrack.store.sql.engine import WRITE_OPTION

__all__ = ["HeldWriteConnection"]


class HeldWriteConnection:
    """A lock and the write connection it guards (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._conn: sa.Connection | None = None
        self._pid = os.getpid()

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """Yield a connection inside a write transaction, committed on success."""
        if self._pid != os.getpid():  # a forked child: the parent's lock and connection
            self._reset()
        if not self._lock.acquire(blocking=False):
            with self._pooled() as pooled, pooled.begin():
                yield pooled
            return
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._pooled()
            conn = self._conn
            try:
                with _driver_transaction(conn):
                    yield conn
            except (sa.exc.SQLAlchemyError, self._engine.dialect.loaded_dbapi.Error):
                self._drop()  # the connection may be broken; the next write opens a new one
                raise
        finally:
            self._lock.release()

    def _pooled(self) -> sa.Connection:
        return self._engine.connect().execution_options(**{WRITE_OPTION: True})

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                conn.invalidate()

    def close(self) -> None:
        """Close the held connection (the store is being closed)."""
        with self._lock:
            self._drop()


@contextmanager
def _driver_transaction(conn: sa.Connection) -> Iterator[None]:
    """Run a write transaction on the driver connection itself, committed on success.

    SQLAlchemy's own begin and commit cost ~8 us of Python per transaction, a twentieth of a
    small write; the statements on the logging path run on the driver anyway (``raw.py``). A
    statement through SQLAlchemy inside joins this transaction (``engine._on_sqlite_begin``
    sees it open and begins nothing), and SQLAlchemy then ends it, so both agree at the end.
    """
    driver = conn.connection.driver_connection
    driver.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
    try:
        yield
    except BaseException:
        if conn.in_transaction():
            conn.rollback()
        else:
            driver.rollback()  # type: ignore[union-attr]
        raise
    if conn.in_transaction():
        conn.commit()
    else:
        driver.commit()  # type: ignore[union-attr]
