"""The SQL schema of the model registry, on the tracking store's :data:`schema.metadata`.

Models have an integer surrogate key, so renaming touches one row and versions, tags, aliases
and history follow for free. ``registered_models.last_version`` is the version counter:
``create_model_version`` increments it with one ``UPDATE`` (which row-locks the model on every
backend, and runs under ``BEGIN IMMEDIATE`` on SQLite), so concurrent writers never share a
number and deleted numbers are never reused (``models:/name/3`` always means one model).

Names, aliases and tag keys compare exactly on every backend: on MySQL/MariaDB their columns use
the binary ``utf8mb4_bin`` collation instead of the case- and accent-insensitive default.
History rows have no foreign key to the versions: a deleted version's events stay readable.
SQLite does not enforce foreign keys here, so the store deletes children explicitly.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from jupyter_mltrack.store.sql.schema_meta import exact_string, long_text, metadata

__all__ = [
    "model_version_events",
    "model_version_tags",
    "model_versions",
    "registered_model_aliases",
    "registered_model_tags",
    "registered_models",
]

NAME_LENGTH = 256
TAG_KEY_LENGTH = 250
TAG_VALUE_LENGTH = 8000
URI_LENGTH = 2000
FLAVORS_LENGTH = 1000  # a version's flavor names, comma-separated


registered_models = Table(
    "registered_models",
    metadata,
    Column("model_id", Integer, primary_key=True, autoincrement=True),
    Column("name", exact_string(NAME_LENGTH), nullable=False, unique=True),
    Column("description", long_text()),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("last_version", Integer, nullable=False, default=0),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", exact_string(TAG_KEY_LENGTH), nullable=False),
    Column("value", String(TAG_VALUE_LENGTH), nullable=False),
    PrimaryKeyConstraint("model_id", "key", name="registered_model_tag_pk"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("version", Integer, nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("description", long_text()),
    Column("user_id", String(256), nullable=False, default=""),
    Column("current_stage", String(20), nullable=False, default="None"),
    Column("source", String(URI_LENGTH), nullable=False),
    Column("run_id", String(32)),
    Column("run_link", String(URI_LENGTH)),
    Column("experiment_id", String(32)),
    Column("status", String(20), nullable=False, default="READY"),
    Column("signature", long_text()),
    Column("flavors", String(FLAVORS_LENGTH), nullable=False, default=""),
    PrimaryKeyConstraint("model_id", "version", name="model_version_pk"),
    Index("ix_model_versions_run_id", "run_id"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("model_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("key", exact_string(TAG_KEY_LENGTH), nullable=False),
    Column("value", String(TAG_VALUE_LENGTH), nullable=False),
    PrimaryKeyConstraint("model_id", "version", "key", name="model_version_tag_pk"),
    ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        ondelete="CASCADE",
        name="fk_model_version_tags_version",
    ),
)

registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column("model_id", Integer, nullable=False),
    Column("alias", exact_string(NAME_LENGTH), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("model_id", "alias", name="registered_model_alias_pk"),
    ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        ondelete="CASCADE",
        name="fk_registered_model_aliases_version",
    ),
)

model_version_events = Table(
    "model_version_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("version", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("alias", exact_string(NAME_LENGTH)),
    Column("from_value", String(NAME_LENGTH)),
    Column("to_value", String(NAME_LENGTH)),
    Column("user_id", String(256), nullable=False, default=""),
    Column("timestamp", BigInteger, nullable=False),
    Column("comment", long_text()),
    Column("evidence_uri", String(URI_LENGTH)),
    Column("metrics", long_text()),  # JSON object of metric name -> value
    Index("ix_model_version_events_model", "model_id", "version"),
)
