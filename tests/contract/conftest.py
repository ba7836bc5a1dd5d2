"""The ``store`` fixture: every contract test runs once per backend.

The ``rest`` backend is a :class:`RestStore` talking over real HTTP to the tracking server app
(``create_app``) served by uvicorn in a thread, on a SQLite store with a temporary artifact
folder; one server per session, emptied before each test like the database servers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rest_server import LiveServer, serve_app

from jupyter_mltrack.store.base import TrackingStore
from jupyter_mltrack.store.sql import schema
from jupyter_mltrack.store.sql.bootstrap import insert_default_experiment
from jupyter_mltrack.store.sql.store import SqlStore

_server_stores: dict[str, SqlStore] = {}
_rest: dict[str, Any] = {}

#: Contract tests that do not apply over REST, with the reason. They are deselected for the
#: ``rest`` backend at collection (not skipped); tests/store/rest checks that RestStore refuses
#: these operations with a clear error instead.
REST_UNSUPPORTED = {
    "test_purge_removes_deleted_runs_only": (
        "purging deleted runs has no REST endpoint (MLflow has none either); 'mltrack gc' runs "
        "against the server's database, and RestStore.purge_runs says so"
    ),
    "test_purged_runs_take_their_links_but_not_their_models": (
        "purging deleted runs has no REST endpoint; see test_purge_removes_deleted_runs_only"
    ),
    "test_purged_runs_take_their_model_points": (
        "purging deleted runs has no REST endpoint; see test_purge_removes_deleted_runs_only"
    ),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the REST variants of the tests in REST_UNSUPPORTED."""
    keep, drop = [], []
    for item in items:
        name = getattr(item, "originalname", item.name)
        params = getattr(getattr(item, "callspec", None), "params", {})
        (drop if params.get("store") == "rest" and name in REST_UNSUPPORTED else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _reset(store: SqlStore) -> None:
    """Empty a shared server store between tests (much faster than a database per test)."""
    with store.engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):  # children before parents
            conn.execute(sa.delete(table))
        insert_default_experiment(conn, store.default_artifact_root)


def _rest_store(tmp_root: Path) -> TrackingStore:
    """The session's REST store; its server's SQLite store is emptied before each test."""
    if not _rest:
        from jupyter_mltrack.server import create_app, open_server_store
        from jupyter_mltrack.store.rest import RestStore

        backing = open_server_store(f"sqlite:///{tmp_root / 'rest-server.db'}")
        live = serve_app(create_app(backing, str(tmp_root / "rest-artifacts")))
        _rest.update(backing=backing, live=live, store=RestStore(live.url))
    _reset(_rest["backing"])
    rest: TrackingStore = _rest["store"]
    return rest


@pytest.fixture(params=["sqlite", "postgres", "mysql", "rest"])
def store(request, tmp_path, tmp_path_factory, server_database_uri) -> Iterator[TrackingStore]:  # type: ignore[no-untyped-def]
    """A fresh, empty tracking store on each backend."""
    backend = request.param
    if backend == "rest":
        yield _rest_store(tmp_path_factory.getbasetemp())
        return
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
    if _rest:
        live: LiveServer = _rest["live"]
        live.stop()
        _rest["backing"].close()
