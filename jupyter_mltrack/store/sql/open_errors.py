"""Turn what goes wrong while opening a database into one StoreError that says what to do.

A store that cannot be opened is usually the wrong file, a damaged file, a folder that cannot
be written, a full disk or a store from a newer version; each gets a message naming the file
and the way out, instead of the driver's traceback (``PRAGMA journal_mode=WAL`` is the first
statement on a connection, so "file is not a database" surfaced from there). Nothing is
written to a store that fails to open.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from jupyter_mltrack.errors import MltrackError, StoreError
from jupyter_mltrack.store.sql.engine import sqlite_path

__all__ = [
    "database_error",
    "explain_sqlite_error",
    "newer_schema_error",
    "translate_open_errors",
]

# SQLite's messages for each situation (its C API's error strings, stable for decades).
_NOT_A_DATABASE = ("file is not a database", "file is encrypted or is not a database")
_CORRUPT = ("database disk image is malformed", "malformed database schema")
_READ_ONLY = (
    "attempt to write a readonly database",
    "unable to open database file",
    "readonly database",
)
_FULL = ("database or disk is full",)


def explain_sqlite_error(path: str, reason: str) -> str | None:
    """The message for a SQLite error that makes the store at ``path`` unusable, else None."""
    folder = os.path.dirname(os.path.abspath(path))
    lowered = reason.lower()
    if any(text in lowered for text in _NOT_A_DATABASE):
        return (
            f"{path} is not a tracking store: it is not a SQLite database ({reason}). "
            "Point the tracking URI at a store file such as sqlite:///mltrack/mltrack.db, "
            "or move the file away to create a new store in its place"
        )
    if any(text in lowered for text in _CORRUPT):
        return (
            f"The tracking store {path} is damaged ({reason}). Restore it from a backup or "
            f"copy of the store; `sqlite3 {path} .recover` may rescue the data it still holds"
        )
    if any(text in lowered for text in _FULL):
        return (
            f"The disk holding the tracking store {path} is full ({reason}). Free some space "
            "and retry; what was already stored is intact"
        )
    if any(text in lowered for text in _READ_ONLY):
        return (
            f"Cannot open the tracking store {path} for writing ({reason}). Its folder "
            f"{folder} must be writable (SQLite keeps its -wal and -shm files beside the "
            "database): make it writable, or copy the store folder somewhere writable and "
            "open the copy"
        )
    return None


def database_error(engine: Engine, exc: BaseException) -> StoreError:
    """A StoreError for a driver error on an open store: explained where SQLite's is known
    (a full disk, a damaged file, a folder turned read-only), else the driver's words."""
    reason = str(getattr(exc, "orig", exc))
    path = sqlite_path(str(engine.url)) if engine.dialect.name == "sqlite" else None
    message = explain_sqlite_error(path, reason) if path is not None else None
    return StoreError(message or f"Database error: {reason}")


def newer_schema_error(where: str, revision: str, known: str) -> StoreError:
    """The store was written by a newer jupyter_mltrack: never migrate or touch it."""
    return StoreError(
        f"The tracking store {where} has schema revision {revision!r}, written by a newer "
        f"version of jupyter_mltrack (this one knows up to {known!r}). Upgrade "
        "(pip install -U jupyter_mltrack) to open it; the store was left untouched"
    )


@contextmanager
def translate_open_errors(path: str | None) -> Iterator[None]:
    """Raise the driver's and the file system's errors while opening a SQLite file as
    StoreError. Server databases (``path`` None) keep the driver's errors: an unreachable
    server is told apart by their class (the Lab extension answers 503 for it)."""
    if path is None:
        yield
        return
    where = os.path.abspath(path)
    try:
        yield
    except MltrackError:
        raise
    except sa.exc.DBAPIError as exc:
        reason = str(getattr(exc, "orig", exc))
        message = explain_sqlite_error(where, reason)
        raise StoreError(
            message or f"Could not open the tracking store {where}: {reason}"
        ) from None
    except OSError as exc:  # creating the store's folder
        raise StoreError(_os_message(where, exc)) from None


def _os_message(where: str, exc: OSError) -> str:
    folder = os.path.dirname(os.path.abspath(where))
    if exc.errno == errno.ENOSPC:
        return f"The disk holding {folder} is full ({exc.strerror}). Free some space and retry"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"Cannot create the tracking store {where}: {folder} is not writable "
            f"({exc.strerror}). Make it writable or choose another tracking URI"
        )
    return f"Cannot open the tracking store {where}: {exc}"
