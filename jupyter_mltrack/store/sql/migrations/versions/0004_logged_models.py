"""MLflow 3 logged models (with tags and params) and run inputs/outputs.

Revision ID: 0004_logged_models
Revises: 0003_registry
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004_logged_models"
down_revision = "0003_registry"
branch_labels = None
depends_on = None


def _exact(length: int) -> sa.types.TypeEngine[str]:
    # Binary collation on MySQL/MariaDB so names, digests and keys compare exactly.
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _model_fk() -> sa.Column[str]:
    return sa.Column(
        "model_id",
        sa.String(34),
        sa.ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        nullable=False,
    )


def _run_fk() -> sa.Column[str]:
    return sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(34), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.experiment_id"),
            nullable=False,
        ),
        sa.Column("name", _exact(500), nullable=False),
        sa.Column("artifact_location", sa.String(1000), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("model_type", sa.String(500), nullable=False),
        sa.Column("source_run_id", sa.String(32)),
        sa.Column("creation_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_logged_models_experiment_created",
        "logged_models",
        ["experiment_id", "creation_timestamp_ms"],
    )
    op.create_index("ix_logged_models_experiment_name", "logged_models", ["experiment_id", "name"])
    op.create_table(
        "logged_model_tags",
        _model_fk(),
        sa.Column("key", _exact(250), nullable=False),
        sa.Column("value", sa.String(8000), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "key", name="logged_model_tag_pk"),
    )
    op.create_table(
        "logged_model_params",
        _model_fk(),
        sa.Column("key", _exact(250), nullable=False),
        sa.Column("value", sa.String(6000), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "key", name="logged_model_param_pk"),
    )
    op.create_table(
        "run_model_outputs",
        _run_fk(),
        sa.Column("model_id", sa.String(34), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", "step", name="run_model_output_pk"),
    )
    op.create_table(
        "run_model_inputs",
        _run_fk(),
        sa.Column("model_id", sa.String(34), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", name="run_model_input_pk"),
    )
    op.create_table(
        "run_dataset_inputs",
        _run_fk(),
        sa.Column("name", _exact(500), nullable=False),
        sa.Column("digest", _exact(36), nullable=False),
        sa.Column("source_type", sa.String(200), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("dataset_schema", sa.Text),
        sa.Column("profile", sa.Text),
        sa.Column("tags", sa.Text),
        sa.PrimaryKeyConstraint("run_uuid", "name", "digest", name="run_dataset_input_pk"),
    )
