"""Metrics logged against a logged model (model_id), MLflow's logged-model metrics.

One row per point a run logged with a ``model_id`` (and optionally a dataset), read back as the
model's ``data.metrics`` and used by ``search_logged_models`` (``datasets`` filter, metric
filters and ``metrics.<key>`` ordering). Values are stored as in the run history: a clamped
double plus a ``kind`` code for NaN and infinities.

Revision ID: 0007_logged_model_metrics
Revises: 0006_compact_metrics
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007_logged_model_metrics"
down_revision = "0006_compact_metrics"
branch_labels = None
depends_on = None


def _exact(length: int) -> sa.types.TypeEngine[str]:
    # Binary collation on MySQL/MariaDB so keys, names and digests compare exactly.
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def upgrade() -> None:
    op.create_table(
        "logged_model_metrics",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "model_id",
            sa.String(34),
            sa.ForeignKey("logged_models.model_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", _exact(250), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False),
        sa.Column("dataset_name", _exact(500)),
        sa.Column("dataset_digest", _exact(36)),
    )
    op.create_index(
        "ix_logged_model_metrics_model_key", "logged_model_metrics", ["model_id", "key"]
    )
    op.create_index("ix_logged_model_metrics_run", "logged_model_metrics", ["run_uuid"])
