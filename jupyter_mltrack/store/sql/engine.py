"""Engine creation: URI normalisation, driver checks and per-dialect tuning.

SQLite is the embedded default and the one most likely to see several notebook processes writing
at once, so it gets WAL mode, a long busy timeout and ``BEGIN IMMEDIATE`` for write transactions:
a deferred transaction that later wants to write cannot be rescued by the busy handler and fails
with "database is locked", an immediate one simply waits its turn.
"""

from __future__ import annotations

import os
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError

SQLITE_BUSY_TIMEOUT_MS = 120_000
SQLITE_CACHE_KIB = 32 * 1024
SQLITE_CHECKPOINT_PAGES = 10_000
SQLITE_WAL_LIMIT_BYTES = 64 * 1024 * 1024
WRITE_OPTION = "mltrack_write"

_DRIVERS = {  # dialect -> (default driver, module to import, extra that installs it)
    "postgresql": ("psycopg", "psycopg", "postgres"),
    "mysql": ("pymysql", "pymysql", "mysql"),
    "mariadb": ("pymysql", "pymysql", "mysql"),
}
_DRIVER_MODULES = {"psycopg": "psycopg", "psycopg2": "psycopg2", "pymysql": "pymysql"}


def normalize_db_uri(uri: str) -> str:
    """Add the default driver to bare ``postgresql://`` / ``mysql://`` URIs."""
    match = re.match(r"^(postgresql|postgres|mysql|mariadb)(\+\w+)?://", uri)
    if not match:
        return uri
    dialect = "postgresql" if match.group(1) == "postgres" else match.group(1)
    driver = match.group(2) or "+" + _DRIVERS[dialect][0]
    return f"{dialect}{driver}://{uri[match.end() :]}"


def sqlite_path(uri: str) -> str | None:
    """Return the file path of a ``sqlite:///`` URI, or None for in-memory databases."""
    database = make_url(uri).database
    return None if database in (None, "", ":memory:") else database


def _check_driver(uri: str) -> None:
    url = make_url(uri)
    driver = url.get_driver_name()
    module = _DRIVER_MODULES.get(driver)
    if module is None:
        return
    try:
        __import__(module)
    except ImportError:
        extra = _DRIVERS.get(url.get_backend_name(), ("", "", "postgres"))[2]
        raise MissingDependencyError(
            module, extra=extra, feature=f"{url.drivername} stores"
        ) from None


def create_engine(uri: str) -> Engine:
    """Create a tuned SQLAlchemy engine for a tracking-store URI."""
    uri = normalize_db_uri(uri)
    try:
        backend = make_url(uri).get_backend_name()
    except sa.exc.ArgumentError as exc:
        raise InvalidParameterError(f"Invalid database URI {uri!r}: {exc}") from None
    _check_driver(uri)
    if backend == "sqlite":
        return _create_sqlite_engine(uri)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_recycle": 3600}
    if backend in ("mysql", "mariadb"):
        kwargs["isolation_level"] = "READ COMMITTED"
        kwargs["connect_args"] = {"charset": "utf8mb4"}
    return sa.create_engine(uri, **kwargs)


def _create_sqlite_engine(uri: str) -> Engine:
    path = sqlite_path(uri)
    if path is not None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    engine = sa.create_engine(
        uri,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        poolclass=sa.pool.StaticPool if path is None else sa.pool.QueuePool,
    )
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module so "begin" below decides the mode.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # SQLite's default page cache is 2 MiB; searches over thousands of runs re-read far more.
    # The cache grows only as pages are used, so small stores pay nothing for this.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # A batch of 1,000 metric keys touches ~1,000 pages; at the default checkpoint threshold
    # (1,000 pages) every such commit would also checkpoint and fsync (80% of its time).
    # Checkpointing every ~10,000 pages (40 MB) amortises that; the WAL is cut back to 64 MB.
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_LIMIT_BYTES}")
    cursor.close()


def _on_sqlite_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    # Straight on the driver connection: through exec_driver_sql this one statement cost ~80 us
    # of SQLAlchemy machinery, a tenth of what a whole fluent run may take.
    driver = conn.connection.driver_connection
    if driver.in_transaction:  # type: ignore[union-attr]
        return  # a statement inside the held connection's own transaction (held_connection.py)
    driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # type: ignore[union-attr]
