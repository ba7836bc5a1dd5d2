"""The model registry: registered models, versions, tags, aliases and their history.

Revision ID: 0003_registry
Revises: 0002_deleted_time
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003_registry"
down_revision = "0002_deleted_time"
branch_labels = None
depends_on = None


def _exact(length: int) -> sa.types.TypeEngine[str]:
    # Binary collation on MySQL/MariaDB so names, aliases and keys compare exactly.
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _version_fk(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        ondelete="CASCADE",
        name=name,
    )


def _model_fk() -> sa.Column[int]:
    return sa.Column(
        "model_id",
        sa.Integer,
        sa.ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("model_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", _exact(256), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "registered_model_tags",
        _model_fk(),
        sa.Column("key", _exact(250), nullable=False),
        sa.Column("value", sa.String(8000), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "key", name="registered_model_tag_pk"),
    )
    op.create_table(
        "model_versions",
        _model_fk(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("source", sa.String(2000), nullable=False),
        sa.Column("run_id", sa.String(32)),
        sa.Column("run_link", sa.String(2000)),
        sa.Column("experiment_id", sa.String(32)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("signature", sa.Text),
        sa.Column("flavors", sa.String(1000), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "version", name="model_version_pk"),
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("model_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key", _exact(250), nullable=False),
        sa.Column("value", sa.String(8000), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "version", "key", name="model_version_tag_pk"),
        _version_fk("fk_model_version_tags_version"),
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("model_id", sa.Integer, nullable=False),
        sa.Column("alias", _exact(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("model_id", "alias", name="registered_model_alias_pk"),
        _version_fk("fk_registered_model_aliases_version"),
    )
    op.create_table(
        "model_version_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        _model_fk(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("alias", _exact(256)),
        sa.Column("from_value", sa.String(256)),
        sa.Column("to_value", sa.String(256)),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("evidence_uri", sa.String(2000)),
        sa.Column("metrics", sa.Text),
    )
    op.create_index(
        "ix_model_version_events_model", "model_version_events", ["model_id", "version"]
    )
