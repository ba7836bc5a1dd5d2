"""Keep an embedded store's artifact locations pointing into its own folder when it moves.

The embedded default store is one folder (``mltrack.db`` plus ``artifacts/``) meant to be
copied, moved or rsync-ed as a whole. Its rows record artifact locations as absolute paths
(experiments, runs, logged models, model-version sources), because every reader of them — the
artifact repositories, MLflow clients over the REST API, ``runs:/`` and ``models:/``
resolution — expects a URI it can open as is.

So instead of storing relative paths and resolving them in each of those readers, the store
records in ``store_info`` the folder its locations were written under. When it is opened from
another folder (a copy, or the folder was moved), every location under the recorded folder is
rewritten, in one write transaction, to the same place under the current folder, and the new
folder is recorded: a copied store is self-contained from its first open on. Locations
outside the store folder (``MLTRACK_ARTIFACT_ROOT``, ``s3://``, a custom
``artifact_location``) are left alone, and so are server databases, whose artifacts do not
live beside a database file.

Opening a store from where it was written costs one indexed read.
"""

from __future__ import annotations

import logging
import os

import sqlalchemy as sa
from sqlalchemy import Column, String, Table
from sqlalchemy.engine import Engine

from jupyter_mltrack.store.sql.engine import WRITE_OPTION
from jupyter_mltrack.store.sql.schema import metadata

__all__ = ["FOLDER_KEY", "LOCATION_COLUMNS", "rebase_moved_store", "record_folder", "store_info"]

logger = logging.getLogger(__name__)

#: The ``store_info`` key holding the folder the store's locations were written under.
FOLDER_KEY = "store_folder"
#: ``(table, column)`` of every row field holding an artifact location inside the store.
LOCATION_COLUMNS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("logged_models", "artifact_location"),
    ("model_versions", "source"),
)

# Facts about the store itself, one row per key (created by migration 0010).
store_info = Table(
    "store_info",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", String(1000), nullable=False),
)


def store_folder(database_path: str) -> str:
    """The folder of a SQLite store: where its ``artifacts/`` live by default."""
    return os.path.dirname(os.path.abspath(database_path))


def record_folder(conn: sa.Connection, folder: str) -> None:
    """Record (insert or replace) the folder the store's locations are written under."""
    conn.execute(sa.delete(store_info).where(store_info.c.key == FOLDER_KEY))
    conn.execute(sa.insert(store_info), {"key": FOLDER_KEY, "value": folder})


def _recorded(conn: sa.Connection) -> str | None:
    # Plain SQL (SQLite only): on every open, a compiled select would cost ~4x as much.
    query = "SELECT value FROM store_info WHERE key = ?"
    value: str | None = conn.exec_driver_sql(query, (FOLDER_KEY,)).scalar()
    return value


def _same_folder(recorded: str, current: str) -> bool:
    if recorded == current:
        return True
    # The same folder through a symlink or another mount path must not count as a move.
    try:
        return os.path.samefile(recorded, current)
    except OSError:  # the recorded folder is gone: the store was moved
        return False


def rebase_moved_store(engine: Engine, database_path: str) -> int:
    """Point the locations of a copied or moved SQLite store into its current folder.

    Returns how many location fields were rewritten (0 when the store has not moved).
    """
    folder = store_folder(database_path)
    with engine.connect() as conn:
        recorded = _recorded(conn)
    if recorded is not None and _same_folder(recorded, folder):
        return 0
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        recorded = _recorded(conn)  # another process may have rebased it meanwhile
        changed = 0
        if recorded is not None and not _same_folder(recorded, folder):
            changed = _rewrite(conn, recorded, folder)
        if recorded != folder:
            record_folder(conn, folder)
    if changed:
        logger.info(
            "Store moved from %s to %s: %d artifact locations updated", recorded, folder, changed
        )
    return changed


def _rewrite(conn: sa.Connection, old: str, new: str) -> int:
    """Replace the ``old`` folder prefix by ``new`` in every location column."""
    changed = 0
    present = set(sa.inspect(conn).get_table_names())
    for old_prefix, new_prefix in ((old, new), (f"file://{old}", f"file://{new}")):
        old_prefix, new_prefix = old_prefix.rstrip("/") + "/", new_prefix.rstrip("/") + "/"
        for table_name, column_name in LOCATION_COLUMNS:
            if table_name not in present:
                continue
            column = sa.column(column_name, sa.String)
            table = sa.table(table_name, column)
            # substr() rather than LIKE: folder names may contain % and _.
            head = sa.func.substr(column, 1, len(old_prefix), type_=sa.String)
            tail = sa.func.substr(column, len(old_prefix) + 1, type_=sa.String)
            moved = sa.literal(new_prefix, sa.String).concat(tail)
            result = conn.execute(
                sa.update(table).where(head == old_prefix).values({column_name: moved})
            )
            changed += result.rowcount or 0
    return changed
