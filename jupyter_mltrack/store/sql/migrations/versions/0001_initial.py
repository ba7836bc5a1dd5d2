"""The first schema of the tracking store (jupyter_mltrack 0.0.x).

Revision ID: 0001_initial
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql


def exact_string(length):
    # Binary collation on MySQL/MariaDB so keys and names compare case-sensitively everywhere.
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", exact_string(500), nullable=False, unique=True),
        sa.Column("artifact_location", sa.String(1000), nullable=False),
        sa.Column("lifecycle_stage", sa.String(20), nullable=False),
        sa.Column("creation_time", sa.BigInteger),
        sa.Column("last_update_time", sa.BigInteger),
    )
    op.create_table(
        "experiment_tags",
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", exact_string(250), nullable=False),
        sa.Column("value", sa.String(8000), nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", "key", name="experiment_tag_pk"),
    )
    op.create_table(
        "runs",
        sa.Column("run_uuid", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column(
            "experiment_id", sa.Integer, sa.ForeignKey("experiments.experiment_id"), nullable=False
        ),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger),
        sa.Column("lifecycle_stage", sa.String(20), nullable=False),
        sa.Column("artifact_uri", sa.String(1000), nullable=False),
    )
    op.create_index(
        "ix_runs_experiment_start", "runs", ["experiment_id", "lifecycle_stage", "start_time"]
    )
    op.create_table(
        "params",
        sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False),
        sa.Column("key", exact_string(250), nullable=False),
        sa.Column("value", sa.String(6000), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="param_pk"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "tags",
        sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False),
        sa.Column("key", exact_string(250), nullable=False),
        sa.Column("value", sa.String(8000), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="tag_pk"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "latest_metrics",
        sa.Column("series_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False),
        sa.Column("key", exact_string(250), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("run_uuid", "key", name="latest_metric_run_key"),
    )
    op.create_table(
        "metrics",
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
    )
    op.create_index("ix_metrics_series_step", "metrics", ["series_id", "step", "timestamp"])
