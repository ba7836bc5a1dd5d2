"""The ``store`` fixture: every contract test runs once per backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from jupyter_mltrack.store.sql import schema
from jupyter_mltrack.store.sql.bootstrap import insert_default_experiment
from jupyter_mltrack.store.sql.store import SqlStore

_server_stores: dict[str, SqlStore] = {}


def _reset(store: SqlStore) -> None:
    """Empty a shared server store between tests (much faster than a database per test)."""
    with store.engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):  # children before parents
            conn.execute(sa.delete(table))
        insert_default_experiment(conn, store.default_artifact_root)


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def store(request, tmp_path, server_database_uri) -> Iterator[SqlStore]:  # type: ignore[no-untyped-def]
    """A fresh, empty tracking store on each backend."""
    backend = request.param
    if backend == "sqlite":
        sqlite_store = SqlStore(f"sqlite:///{tmp_path}/contract.db")
        yield sqlite_store
        sqlite_store.close()
        return
    if backend not in _server_stores:
        _server_stores[backend] = SqlStore(
            server_database_uri(backend), default_artifact_root=str(tmp_path / "artifacts")
        )
    server_store = _server_stores[backend]
    server_store.default_artifact_root = str(tmp_path / "artifacts")
    _reset(server_store)
    yield server_store


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    for server_store in _server_stores.values():
        server_store.close()
