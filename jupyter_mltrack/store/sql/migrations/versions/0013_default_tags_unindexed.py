"""SQLite's ``ix_tags_key`` leaves out the tags every tracked run carries.

Their entries selected every run, so no search gained from them, and each cost an index page in
the commit that creates a run. The index is rebuilt as a partial index over the other keys (see
``DEFAULT_TAG_KEYS`` in ``store/sql/schema.py``). Other databases are unchanged.

Revision ID: 0013_default_tags_unindexed
Revises: 0012_metric_tail
"""

import sqlalchemy as sa
from alembic import op

from jupyter_mltrack.store.sql.schema import indexed_tag

revision = "0013_default_tags_unindexed"
down_revision = "0012_metric_tail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_tags_key", table_name="tags")
    op.create_index("ix_tags_key", "tags", ["key"], sqlite_where=indexed_tag(sa.column("key")))
