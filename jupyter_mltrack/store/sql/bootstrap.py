"""Open a database as a tracking store: create a new schema or migrate an old one in place.

The common cases are fast: a store at the current revision costs one query, and a brand-new
store is created straight from the SQLAlchemy metadata and stamped with the head revision,
without importing alembic (about 150 ms of imports). Only a store from an older version runs
the alembic migrations.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from jupyter_mltrack._time import now_ms
from jupyter_mltrack.store.sql import metric_tail, run_cells, schema
from jupyter_mltrack.store.sql.engine import WRITE_OPTION, sqlite_path
from jupyter_mltrack.store.sql.open_errors import newer_schema_error
from jupyter_mltrack.store.sql.store_folder import record_folder, store_folder

logger = logging.getLogger(__name__)

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"

# Alembic's own bookkeeping table, declared here so a new store can be stamped without alembic.
_version_metadata = sa.MetaData()
alembic_version = sa.Table(
    "alembic_version",
    _version_metadata,
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def current_revision(engine: Engine) -> str | None:
    """Return the store's alembic revision, or None if the database has no tracking schema."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.select(alembic_version.c.version_num)).scalar()


def ensure_schema(engine: Engine, default_artifact_root: str) -> None:
    """Make the database hold the current schema and the Default experiment."""
    try:
        revision = _quick_revision(engine)
    except sa.exc.DBAPIError:
        revision = None
    if revision == schema.SCHEMA_REVISION:
        return
    if revision is None:
        _create_new(engine, default_artifact_root)
    elif revision not in known_revisions():
        # Migrating would fail halfway or, worse, rewrite a schema we do not know.
        where = sqlite_path(str(engine.url)) or engine.url.render_as_string(hide_password=True)
        raise newer_schema_error(where, revision, schema.SCHEMA_REVISION)
    else:
        _upgrade(engine, revision, default_artifact_root)


def known_revisions() -> set[str]:
    """The alembic revisions this version can migrate from (one file per revision)."""
    from jupyter_mltrack.store.sql.migrate import MIGRATIONS_DIR

    return {path.stem for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py")}


def _quick_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(sa.select(alembic_version.c.version_num)).scalar()
        except sa.exc.DBAPIError:
            conn.rollback()
            if sa.inspect(conn).has_table("alembic_version"):
                raise
            return None


def _create_new(engine: Engine, default_artifact_root: str) -> None:
    try:
        with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
            # Another process may have created the store while we waited for the write lock.
            if sa.inspect(conn).has_table("alembic_version"):
                return
            schema.metadata.create_all(conn)
            run_cells.install(conn)
            metric_tail.install(conn)
            _version_metadata.create_all(conn)
            conn.execute(sa.insert(alembic_version), {"version_num": schema.SCHEMA_REVISION})
            insert_default_experiment(conn, default_artifact_root)
            path = sqlite_path(str(engine.url)) if engine.dialect.name == "sqlite" else None
            if path is not None:  # see store_folder.py
                record_folder(conn, store_folder(path))
    except sa.exc.DBAPIError:
        # A concurrent creator on a server database wins the race: accept its schema.
        # Anything else (a full disk, a read-only folder) goes up to the store's open, which
        # explains it (open_errors.py).
        try:
            created = _quick_revision(engine) == schema.SCHEMA_REVISION
        except sa.exc.DBAPIError:
            created = False
        if not created:
            raise


def insert_default_experiment(conn: sa.Connection, default_artifact_root: str) -> None:
    """Insert the experiment with id 0 named "Default" (MLflow clients expect it)."""
    now = now_ms()
    row = {
        "experiment_id": int(DEFAULT_EXPERIMENT_ID),
        "name": DEFAULT_EXPERIMENT_NAME,
        "artifact_location": f"{default_artifact_root.rstrip('/')}/{DEFAULT_EXPERIMENT_ID}",
        "lifecycle_stage": "active",
        "creation_time": now,
        "last_update_time": now,
    }
    if conn.dialect.name in ("mysql", "mariadb"):
        # MySQL treats an explicit 0 in an AUTO_INCREMENT column as "generate one".
        conn.exec_driver_sql("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
    conn.execute(sa.insert(schema.experiments), row)


def _upgrade(engine: Engine, revision: str, default_artifact_root: str) -> None:
    from jupyter_mltrack.store.sql.migrate import upgrade_to_head

    logger.info("Upgrading tracking store schema from %s to %s", revision, schema.SCHEMA_REVISION)
    upgrade_to_head(engine)
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        query = sa.select(schema.experiments.c.experiment_id).where(
            schema.experiments.c.experiment_id == int(DEFAULT_EXPERIMENT_ID)
        )
        if conn.execute(query).first() is None:
            insert_default_experiment(conn, default_artifact_root)
