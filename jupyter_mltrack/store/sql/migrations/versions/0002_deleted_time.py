"""Record when a run was deleted (for `mltrack gc --older-than`); index search columns.

Revision ID: 0002_deleted_time
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_deleted_time"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("deleted_time", sa.BigInteger, nullable=True))
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_index("ix_params_key", "params", ["key"])
    op.create_index("ix_tags_key", "tags", ["key"])
