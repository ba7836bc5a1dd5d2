"""Connection handling and row-to-entity conversion shared by the SqlStore mixins."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from jupyter_mltrack.entities import LifecycleStage, RunInfo, RunStatus
from jupyter_mltrack.errors import (
    InvalidStateError,
    RunNotFound,
    StoreError,
)
from jupyter_mltrack.store.sql import metric_tail, raw, schema
from jupyter_mltrack.store.sql.client_requests import recorded_in
from jupyter_mltrack.store.sql.engine import WRITE_OPTION
from jupyter_mltrack.store.sql.open_errors import database_error

if TYPE_CHECKING:
    from jupyter_mltrack.store.sql.held_connection import HeldWriteConnection
    from jupyter_mltrack.store.sql.metric_writes import SeriesCache

logger = logging.getLogger(__name__)

R = schema.runs.c
RUN_INFO_COLUMNS = (
    R.run_uuid,
    R.experiment_id,
    R.name,
    R.user_id,
    R.status,
    R.start_time,
    R.end_time,
    R.artifact_uri,
    R.lifecycle_stage,
)


def run_info_from_row(row: Any) -> RunInfo:
    """Build a RunInfo from a row selected with :data:`RUN_INFO_COLUMNS`."""
    return RunInfo(
        run_id=row[0],
        experiment_id=str(row[1]),
        run_name=row[2],
        user_id=row[3],
        status=RunStatus(row[4]),
        start_time=row[5],
        end_time=row[6],
        artifact_uri=row[7],
        lifecycle_stage=LifecycleStage(row[8]),
    )


class WriteDepth(threading.local):
    """How many write transactions the current thread has open."""

    depth = 0


class SqlBase:
    """Owns the engine; gives mixins read and write connections with errors translated."""

    engine: Engine
    default_artifact_root: str
    #: Series ids of the (run, key) pairs written through this store (``metric_writes.py``).
    series_cache: SeriesCache
    #: SQLite's write connection kept between transactions (None on other databases).
    held_write_connection: HeldWriteConnection | None
    #: Whether wide metric batches go to the SQLite metric tail (``metric_tail.py``).
    uses_metric_tail: bool = False
    #: Per thread: how many write transactions are open (a read inside one does not fold).
    _writing: WriteDepth

    @property
    def _driver_errors(self) -> tuple[type[BaseException], ...]:
        # Statements in raw.py raise the driver's own exceptions, not SQLAlchemy's wrappers.
        return (sa.exc.DBAPIError, self.engine.dialect.loaded_dbapi.Error)

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as conn:
                # The check runs in autocommit (raw.py): the read's own snapshot, taken by
                # its first statement, begins after the fold.
                if self.uses_metric_tail and metric_tail.pending(conn):
                    self._fold_metric_tail()
                yield conn
        except self._driver_errors as exc:
            raise database_error(self.engine, exc) from exc

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        writing = self._writing
        writing.depth += 1
        try:
            held = self.held_write_connection
            # recorded_in: a request id served over HTTP commits with the write (see there).
            if held is not None:  # SQLite (see held_connection.py)
                with held.transaction() as conn, recorded_in(conn):
                    yield conn
                return
            write_options = {WRITE_OPTION: True}
            with (
                self.engine.connect().execution_options(**write_options) as conn,
                conn.begin(),
                recorded_in(conn),
            ):
                yield conn
        except self._driver_errors as exc:
            raise database_error(self.engine, exc) from exc
        finally:
            writing.depth -= 1

    def _fold_metric_tail(self) -> None:
        """Fold the SQLite store's metric tail before a read (see ``metric_tail.py``)."""
        if self._writing.depth:
            return  # this thread's own write transaction holds the lock: read as things are
        try:
            with self._write() as conn:
                metric_tail.fold_pending(conn)
        except StoreError as exc:  # a store this process may only read (a read-only copy)
            logger.warning("Metric points logged last are not shown yet: %s", exc)

    @staticmethod
    def _run_state(conn: sa.Connection, run_id: str) -> tuple[str, str]:
        """Return ``(lifecycle_stage, status)`` of a run or raise RunNotFound."""
        row = raw.fetchone(
            conn, "SELECT lifecycle_stage, status FROM runs WHERE run_uuid = ?", (run_id,)
        )
        if row is None:
            raise RunNotFound.for_id(run_id)
        return row[0], row[1]

    def _check_run_writable(self, conn: sa.Connection, run_id: str) -> None:
        stage, _ = self._run_state(conn, run_id)
        if stage != LifecycleStage.ACTIVE.value:
            raise InvalidStateError.run_deleted(run_id)


__all__ = ["RUN_INFO_COLUMNS", "SqlBase", "WriteDepth", "run_info_from_row"]
