"""Compact metric history: a clustered (series, step, time, seq) key and relative timestamps.

The history table loses its rowid and separate index: its primary key (series_id, step,
ts_offset, seq) clusters a series' points together (SQLite WITHOUT ROWID, InnoDB's clustered
index). ``kind`` moves into ``seq`` (``seq = 4 * n + kind``, ``n`` numbering points that share
series, step, timestamp and kind). Existing series get ``ts_base`` 0, so their ``ts_offset`` is
the old timestamp unchanged; new series store offsets from their first timestamp.

Revision ID: 0006_compact_metrics
Revises: 0005_search_read_model
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_compact_metrics"
down_revision = "0005_search_read_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("latest_metrics") as batch:
        batch.add_column(sa.Column("ts_base", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "metrics_compact",
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("ts_offset", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "step", "ts_offset", "seq", name="metric_pk"),
        sqlite_with_rowid=False,
    )
    old = sa.table(
        "metrics",
        *(sa.column(name) for name in ("series_id", "step", "timestamp", "value", "kind")),
    )
    new = sa.table(
        "metrics_compact",
        *(sa.column(name) for name in ("series_id", "step", "ts_offset", "seq", "value")),
    )
    # Window functions exist on SQLite >= 3.25, PostgreSQL, MySQL 8 and MariaDB 10.2.
    duplicate = sa.func.row_number().over(
        partition_by=(old.c.series_id, old.c.step, old.c.timestamp, old.c.kind),
        order_by=old.c.value,
    )
    rows = sa.select(
        old.c.series_id,
        old.c.step,
        old.c.timestamp,
        (duplicate - 1) * 4 + old.c.kind,
        old.c.value,
    )
    op.execute(new.insert().from_select(list(new.c), rows))
    op.drop_table("metrics")
    op.rename_table("metrics_compact", "metrics")
