"""SqlStore: the tracking store on SQLite, PostgreSQL or MySQL/MariaDB through SQLAlchemy."""

from __future__ import annotations

import os
import weakref

from sqlalchemy.engine import Engine, make_url

from jupyter_mltrack.store.base import TrackingStore
from jupyter_mltrack.store.logged_model_base import LoggedModelStore
from jupyter_mltrack.store.registry_base import RegistryStore
from jupyter_mltrack.store.sql._base import WriteDepth
from jupyter_mltrack.store.sql.bootstrap import ensure_schema
from jupyter_mltrack.store.sql.bulk import ImportMixin
from jupyter_mltrack.store.sql.engine import create_engine, normalize_db_uri, sqlite_path
from jupyter_mltrack.store.sql.experiments import ExperimentsMixin
from jupyter_mltrack.store.sql.held_connection import HeldWriteConnection
from jupyter_mltrack.store.sql.history_arrays import HistoryArraysMixin
from jupyter_mltrack.store.sql.logged_models import LoggedModelsMixin
from jupyter_mltrack.store.sql.metric_writes import SeriesCache
from jupyter_mltrack.store.sql.open_errors import translate_open_errors
from jupyter_mltrack.store.sql.reads import ReadsMixin
from jupyter_mltrack.store.sql.registry import RegistryMixin
from jupyter_mltrack.store.sql.run_links import RunLinksMixin
from jupyter_mltrack.store.sql.runs import RunsMixin
from jupyter_mltrack.store.sql.store_folder import rebase_moved_store
from jupyter_mltrack.store.sql.writes import WritesMixin

ARTIFACT_ROOT_ENV = "MLTRACK_ARTIFACT_ROOT"


def default_artifact_root_for(uri: str) -> str:
    """Return where artifacts of a store go unless an experiment says otherwise.

    ``MLTRACK_ARTIFACT_ROOT`` wins; a SQLite file keeps them in an ``artifacts`` folder beside
    the database (so ``./mltrack/`` holds the whole embedded store); server databases use
    ``./mltrack/artifacts`` under the working directory.
    """
    configured = os.environ.get(ARTIFACT_ROOT_ENV)
    if configured:
        return configured if "://" in configured else os.path.abspath(configured)
    path = sqlite_path(uri) if uri.startswith("sqlite") else None
    if path is not None:
        return os.path.join(os.path.dirname(os.path.abspath(path)), "artifacts")
    return os.path.abspath(os.path.join("mltrack", "artifacts"))


def mask_password(uri: str) -> str:
    """Hide the password of a database URI for messages and ``store.uri``."""
    from jupyter_mltrack.store.redact import redact_uri

    return redact_uri(uri)


def _dispose_in_child(engine_ref: weakref.ref[Engine]) -> None:
    engine = engine_ref()
    if engine is not None:
        engine.dispose(close=False)


class SqlStore(
    ExperimentsMixin,
    RunsMixin,
    WritesMixin,
    ReadsMixin,
    HistoryArraysMixin,
    RegistryMixin,
    LoggedModelsMixin,
    RunLinksMixin,
    ImportMixin,
    TrackingStore,
    RegistryStore,
    LoggedModelStore,
):
    """A tracking store in a SQL database; the schema is created or migrated on open.

    Example:
        >>> store = SqlStore("sqlite:///mltrack/mltrack.db")  # doctest: +SKIP
        >>> store.get_experiment("0").name  # doctest: +SKIP
        'Default'
    """

    def __init__(self, uri: str, *, default_artifact_root: str | None = None) -> None:
        uri = normalize_db_uri(uri)
        self.uri = mask_password(uri)
        self.dialect = make_url(uri).get_backend_name()
        self.default_artifact_root = default_artifact_root or default_artifact_root_for(uri)
        path = sqlite_path(uri) if self.dialect == "sqlite" else None
        with translate_open_errors(path):
            self.engine = create_engine(uri)
            try:
                ensure_schema(self.engine, self.default_artifact_root)
                if path is not None:  # a copied or moved store folder points into itself
                    rebase_moved_store(self.engine, path)
            except BaseException:
                self.engine.dispose()  # a store that failed to open keeps no -wal/-shm files
                raise
        self.series_cache = SeriesCache()
        self.uses_metric_tail = self.dialect == "sqlite"
        self._writing = WriteDepth()
        self.held_write_connection = (
            HeldWriteConnection(self.engine) if self.dialect == "sqlite" else None
        )
        # A forked child (multiprocessing, papermill workers) must not share the parent's pooled
        # connections; it opens its own on first use.
        engine = weakref.ref(self.engine)
        os.register_at_fork(after_in_child=lambda: _dispose_in_child(engine))

    def close(self) -> None:
        """Dispose of the connection pool."""
        if self.held_write_connection is not None:
            self.held_write_connection.close()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self.uri!r})"
