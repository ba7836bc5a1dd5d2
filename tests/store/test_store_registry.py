"""The URI -> store registry and engine set-up."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError
from jupyter_mltrack.store import registry
from jupyter_mltrack.store.sql.engine import create_engine, normalize_db_uri
from jupyter_mltrack.store.sql.store import SqlStore, default_artifact_root_for, mask_password


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("mysql://root@h/db", "mysql+pymysql://root@h/db"),
        ("mysql+pymysql://root@h/db", "mysql+pymysql://root@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_normalize_db_uri(uri, expected):
    assert normalize_db_uri(uri) == expected


def test_password_is_masked():
    assert (
        mask_password("postgresql+psycopg://bob:s3cret@h/db") == "postgresql+psycopg://bob:***@h/db"
    )


def test_store_is_cached_per_uri(tmp_path):
    uri = f"sqlite:///{tmp_path}/a.db"
    first = registry.get_tracking_store(uri)
    assert registry.get_tracking_store(uri) is first
    assert isinstance(first, SqlStore)
    assert registry.get_tracking_store(f"sqlite:///{tmp_path}/b.db") is not first


def test_unknown_scheme_lists_supported_ones():
    with pytest.raises(InvalidParameterError, match=r"supported schemes: .*sqlite"):
        registry.get_tracking_store("ftp://nowhere/x")
    with pytest.raises(InvalidParameterError, match="no scheme"):
        registry.get_tracking_store("just-a-name")


def test_registered_factory_wins(tmp_path):
    made = []

    def factory(uri: str) -> SqlStore:
        made.append(uri)
        return SqlStore(f"sqlite:///{tmp_path}/custom.db")

    registry.register_tracking_store("custom", factory)
    try:
        store = registry.get_tracking_store("custom://anything")
        assert made == ["custom://anything"]
        assert store.get_experiment("0").name == "Default"
    finally:
        registry._factories.pop("custom")


def test_missing_driver_names_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['pymysql'] = None\n"
        "from jupyter_mltrack.store.sql.engine import create_engine\n"
        "try:\n    create_engine('mysql://root@127.0.0.1/test')\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(MissingDependencyError.__name__)
    assert "jupyter_mltrack[mysql]" in out.stdout


def test_sqlite_engine_uses_wal_and_a_busy_timeout(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/sub/dir/x.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 60_000
    assert (tmp_path / "sub" / "dir" / "x.db").exists()
    engine.dispose()


def test_default_artifact_root(tmp_path, monkeypatch):
    assert default_artifact_root_for(f"sqlite:///{tmp_path}/m/x.db") == str(
        tmp_path / "m" / "artifacts"
    )
    monkeypatch.setenv("MLTRACK_ARTIFACT_ROOT", "memory://bucket/root")
    assert default_artifact_root_for(f"sqlite:///{tmp_path}/x.db") == "memory://bucket/root"


def test_invalid_database_uri_is_a_clear_error():
    with pytest.raises(InvalidParameterError, match="Invalid database URI"):
        create_engine("sqlite:::nonsense")
