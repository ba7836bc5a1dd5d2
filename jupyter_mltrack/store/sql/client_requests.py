"""Client request ids: a write retried over HTTP is applied once, across workers and restarts.

The REST store sends every write with an ``X-Mltrack-Request-Id`` header and reuses the id on
each retry. The server (``server/request_ids.py``) puts the id in :func:`handling` while the
request runs; the first write transaction of that request inserts the id into
``client_requests`` *before* anything else (:func:`recorded_in`, called by the store's write
path). So the id and the write commit or roll back together: a worker killed between the two
cannot leave a batch applied but unrecorded. A second arrival of the same id either finds the
row (its answer is replayed) or, while the first is still in flight, collides with it on the
primary key (PostgreSQL and MySQL make it wait for the first to commit; SQLite serializes
writers anyway) and gets :class:`RequestAlreadyApplied` instead of writing twice.

The answer is stored right after the commit (:func:`record_answer`); a server that dies in that
instant leaves a row without an answer, which :func:`answer_of` reports as ``(None, None)``.
Rows older than a retention period, or beyond a row count, are deleted by :func:`prune`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa

from jupyter_mltrack._time import now_ms
from jupyter_mltrack.errors import MltrackError, StoreError
from jupyter_mltrack.store.sql.engine import WRITE_OPTION
from jupyter_mltrack.store.sql.schema import client_requests

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = [
    "MAX_ANSWER_BYTES",
    "ClientRequest",
    "RequestAlreadyApplied",
    "answer_of",
    "current",
    "handling",
    "prune",
    "record_answer",
    "recorded_in",
]

#: Answers longer than this are not kept (MySQL's TEXT holds 64 KiB); a replay then falls back.
MAX_ANSWER_BYTES = 60_000
C = client_requests.c
T = TypeVar("T")


class RequestAlreadyApplied(MltrackError):
    """A write request with this client request id was applied before; it is not applied again."""

    error_code = "REQUEST_ALREADY_APPLIED"
    http_status = 409


@dataclass(slots=True)
class ClientRequest:
    """The request id of the HTTP request being served, and what became of it."""

    request_id: str
    #: A write transaction of this request committed the id (later ones must not insert it).
    claimed: bool = False
    #: The id was found already recorded: the request had been applied by an earlier arrival.
    duplicate: bool = False


# A context variable, not a thread-local: the server sets it in the request's task and the
# store reads it in the worker thread that Starlette's threadpool runs the write in (anyio
# copies the context into that thread).
_current: contextvars.ContextVar[ClientRequest | None] = contextvars.ContextVar(
    "mltrack_client_request", default=None
)


def current() -> ClientRequest | None:
    """The client request being served in this context, if any."""
    return _current.get()


@contextmanager
def handling(request_id: str) -> Iterator[ClientRequest]:
    """Make the writes inside the block record ``request_id`` in their transaction."""
    state = ClientRequest(request_id)
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


@contextmanager
def recorded_in(conn: sa.Connection) -> Iterator[None]:
    """Insert the current request id in ``conn``'s open write transaction, before its writes.

    A no-op outside :func:`handling` and after the request's first write committed.

    Raises:
        RequestAlreadyApplied: The id is recorded already; roll back and replay the answer.
    """
    state = _current.get()
    if state is None or state.claimed:
        yield
        return
    try:
        # A savepoint-free insert: on a primary-key collision the whole transaction is
        # abandoned anyway, which is exactly what a duplicate request must do.
        conn.execute(
            sa.insert(client_requests).values(request_id=state.request_id, created_time=now_ms())
        )
    except sa.exc.IntegrityError:
        state.duplicate = True
        raise RequestAlreadyApplied(
            f"The request with client request id {state.request_id!r} was applied already"
        ) from None
    yield
    state.claimed = True


def answer_of(engine: Engine, request_id: str) -> tuple[int | None, bytes | None] | None:
    """Return ``(status, body)`` recorded for ``request_id``; None if the id is unknown.

    ``(None, None)`` means the request was applied but its answer was not recorded.
    """
    query = sa.select(C.status, C.response).where(C.request_id == request_id)
    row = _run(engine, lambda conn: conn.execute(query).first())
    if row is None:
        return None
    status, text = row
    return status, None if text is None else text.encode()


def record_answer(engine: Engine, request_id: str, status: int, body: bytes) -> None:
    """Keep the answer of an applied request, for a retry to get the same one."""
    if len(body) > MAX_ANSWER_BYTES:
        return
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return
    update = (
        sa.update(client_requests)
        .where(C.request_id == request_id)
        .values(status=status, response=text)
    )
    _run(engine, lambda conn: conn.execute(update).rowcount, write=True)


def prune(engine: Engine, *, max_age_ms: int, max_rows: int) -> int:
    """Delete ids older than ``max_age_ms`` and all but the newest ``max_rows``; return how many."""

    def delete(conn: sa.Connection) -> int:
        cutoff = now_ms() - max_age_ms
        # The newest row beyond the count bound, found first: MySQL refuses a DELETE whose
        # subquery reads the same table.
        beyond = conn.execute(
            sa.select(C.created_time).order_by(C.created_time.desc()).offset(max_rows).limit(1)
        ).scalar()
        if beyond is not None:
            cutoff = max(cutoff, int(beyond) + 1)
        result = conn.execute(sa.delete(client_requests).where(C.created_time < cutoff))
        return int(result.rowcount or 0)

    return _run(engine, delete, write=True)


def _run(engine: Engine, work: Callable[[sa.Connection], T], *, write: bool = False) -> T:
    """Run ``work(conn)`` on its own connection, translating driver errors to StoreError."""
    try:
        if write:  # BEGIN IMMEDIATE on SQLite: a read upgraded to a write may fail at once
            with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
                return work(conn)
        with engine.connect() as conn:
            return work(conn)
    except sa.exc.DBAPIError as exc:
        raise StoreError(f"Database error on the client request ids: {exc.orig}") from exc
