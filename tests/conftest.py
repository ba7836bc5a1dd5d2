"""Shared fixtures: isolated working directory, and real database servers for store tests.

PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB/MySQL (127.0.0.1:3306, user root) get a
dedicated database per test session, dropped at the end. Where a server is unreachable its tests
skip with the reason, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings

pytest_plugins = ["chromium", "mlflow_venv"]

settings.register_profile("default", deadline=None, max_examples=100)
settings.load_profile("default")

SERVERS = {
    "postgres": (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://postgres@127.0.0.1:5432/{db}",
    ),
    "mysql": (
        "mysql+pymysql://root@127.0.0.1:3306/test",
        "mysql+pymysql://root@127.0.0.1:3306/{db}",
    ),
}


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Run every test in its own working directory, with no MLTRACK_* settings inherited and
    no fluent state (tracking URI, active runs) left behind."""
    for name in list(os.environ):
        if name.startswith("MLTRACK_"):
            monkeypatch.delenv(name)
    # Writes to an unreachable server go to an offline journal: never the user's cache folder.
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / ".mltrack-offline"))
    monkeypatch.chdir(tmp_path)
    yield
    # Fluent state is process-global by design (the active run survives notebook cells); a test
    # that sets a tracking URI or leaves a run active must not leak it into the next test.
    from jupyter_mltrack.store.registry import clear_store_cache
    from jupyter_mltrack.tracking import fluent

    fluent._reset()
    clear_store_cache()


def _unreachable(backend: str, exc: Exception) -> None:
    message = f"{backend} server not reachable ({type(exc).__name__}: {exc})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true requires every database server", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def server_database_uri() -> Iterator[object]:
    """Return a function ``(backend) -> URI`` of a fresh database on that server."""
    import sqlalchemy as sa

    created: list[tuple[str, str]] = []

    def make(backend: str) -> str:
        admin_uri, template = SERVERS[backend]
        name = f"mltrack_test_{uuid.uuid4().hex[:10]}"
        try:
            engine = sa.create_engine(admin_uri, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
            engine.dispose()
        except Exception as exc:  # any connection failure means "unreachable"
            _unreachable(backend, exc)
        created.append((backend, name))
        return template.format(db=name)

    yield make
    for backend, name in created:
        engine = sa.create_engine(SERVERS[backend][0], isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if backend == "postgres":
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                )
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        engine.dispose()
