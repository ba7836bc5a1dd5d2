"""Artifact locations of the embedded store follow the store folder (a copied store is self-contained).

Adds ``store_info`` (key, value) and, for a SQLite file, records the folder the store's
artifact locations were written under; opening the store from another folder then rewrites
them into it (see ``store/sql/store_folder.py``, which explains why locations stay absolute).

The recorded folder is normally the database's own. A store that was already copied before
this upgrade still points at the folder it came from; that folder is recognised from the
Default experiment's location (``<folder>/artifacts/0``) when that location no longer exists
and the copy has its own ``artifacts/`` folder, so the first open rewrites the locations.
If the original folder still exists, it stays the target (as before this revision).

Revision ID: 0010_relative_artifact_locations
Revises: 0009_client_requests
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0010_relative_artifact_locations"
down_revision = "0009_client_requests"
branch_labels = None
depends_on = None

_DEFAULT_TAIL = "/artifacts/0"


def upgrade() -> None:
    store_info = op.create_table(
        "store_info",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.String(1000), nullable=False),
    )
    bind = op.get_bind()
    database = bind.engine.url.database if bind.dialect.name == "sqlite" else None
    if database in (None, "", ":memory:"):
        return  # server databases keep their artifacts elsewhere: nothing to follow
    folder = os.path.dirname(os.path.abspath(str(database)))
    default_location = bind.execute(
        sa.text("SELECT artifact_location FROM experiments WHERE experiment_id = 0")
    ).scalar()
    op.bulk_insert(
        store_info, [{"key": "store_folder", "value": _written_under(folder, default_location)}]
    )


def _written_under(folder: str, default_location: str | None) -> str:
    """The folder the locations were written under: the database's, unless it was copied."""
    location = (default_location or "").removeprefix("file://").rstrip("/")
    if not location.endswith(_DEFAULT_TAIL):
        return folder  # a custom artifact root: the store folder is not part of it
    origin = location[: -len(_DEFAULT_TAIL)]
    copied = not os.path.exists(location) and os.path.isdir(os.path.join(folder, "artifacts"))
    return origin if origin != folder and copied else folder
