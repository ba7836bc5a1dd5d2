"""The SQL schema of the tracking store (SQLAlchemy Core; ORM rows never leave ``store/sql``).

Metric values are stored as a clamped float plus a ``kind`` code so every backend round-trips
NaN and +/-inf exactly (MySQL has no non-finite doubles; SQLite turns NaN into NULL):
``kind`` 0 = finite (``value`` is the value), 1 = NaN (``value`` 0), 2 = +inf and 3 = -inf
(``value`` is +/- the largest double, so range comparisons and ordering stay correct).
"""

from __future__ import annotations

import math

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

#: The alembic revision this schema corresponds to; bump with every migration.
SCHEMA_REVISION = "0004_logged_models"

KIND_FINITE, KIND_NAN, KIND_POS_INF, KIND_NEG_INF = 0, 1, 2, 3
DOUBLE_MAX = 1.7976931348623157e308

metadata = MetaData()


def exact_string(length: int) -> TypeEngine[str]:
    """Return a VARCHAR that compares exactly: binary collation on MySQL/MariaDB.

    MySQL's default collations ignore case and accents, which would make the keys ``acc`` and
    ``Acc`` (or experiments ``Exp`` and ``exp``) collide there but not on SQLite or PostgreSQL.
    """
    binary = mysql.VARCHAR(length, collation="utf8mb4_bin")
    return String(length).with_variant(binary, "mysql", "mariadb")


# Params and tags are read by run (get_run, search results): on SQLite they are WITHOUT ROWID
# tables, clustered by their (run_uuid, key) primary key, which makes those reads ~30% faster.

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", exact_string(500), nullable=False, unique=True),
    Column("artifact_location", String(1000), nullable=False),
    Column("lifecycle_stage", String(20), nullable=False, default="active"),
    Column("creation_time", BigInteger),
    Column("last_update_time", BigInteger),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", exact_string(250), nullable=False),
    Column("value", String(8000), nullable=False),
    PrimaryKeyConstraint("experiment_id", "key", name="experiment_tag_pk"),
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("user_id", String(256), nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger),
    Column("lifecycle_stage", String(20), nullable=False, default="active"),
    Column("artifact_uri", String(1000), nullable=False),
    Column("deleted_time", BigInteger),
    Index("ix_runs_experiment_start", "experiment_id", "lifecycle_stage", "start_time"),
)

params = Table(
    "params",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), nullable=False),
    Column("key", exact_string(250), nullable=False),
    Column("value", String(6000), nullable=False),
    PrimaryKeyConstraint("run_uuid", "key", name="param_pk"),
    Index("ix_params_key", "key"),
    sqlite_with_rowid=False,
)

tags = Table(
    "tags",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), nullable=False),
    Column("key", exact_string(250), nullable=False),
    Column("value", String(8000), nullable=False),
    PrimaryKeyConstraint("run_uuid", "key", name="tag_pk"),
    Index("ix_tags_key", "key"),
    sqlite_with_rowid=False,
)

# One row per (run, metric key): the series id that history rows point to, plus the point with
# the highest (step, timestamp), kept on write so search and get_run never read the history.
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=True),
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), nullable=False),
    Column("key", exact_string(250), nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("kind", SmallInteger, nullable=False, default=KIND_FINITE),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    UniqueConstraint("run_uuid", "key", name="latest_metric_run_key"),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

# The full history: every logged point, duplicates included. Rows carry the integer series id
# instead of (run id, key), which makes them and their index about a third of the size: inserts
# and history reads are correspondingly faster.
metrics = Table(
    "metrics",
    metadata,
    Column("series_id", Integer, nullable=False),
    Column("step", BigInteger, nullable=False, default=0),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("kind", SmallInteger, nullable=False, default=KIND_FINITE),
    Index("ix_metrics_series_step", "series_id", "step", "timestamp"),
)


def encode_metric_value(value: float) -> tuple[float, int]:
    """Return ``(stored_value, kind)`` for a float (see the module docstring)."""
    if math.isfinite(value):
        return value, KIND_FINITE
    if value != value:
        return 0.0, KIND_NAN
    return (DOUBLE_MAX, KIND_POS_INF) if value > 0 else (-DOUBLE_MAX, KIND_NEG_INF)


_DECODE = {KIND_NAN: math.nan, KIND_POS_INF: math.inf, KIND_NEG_INF: -math.inf}


def decode_metric_value(value: float, kind: int) -> float:
    """Invert :func:`encode_metric_value`."""
    return value if kind == KIND_FINITE else _DECODE[kind]


# The registry's and the logged models' tables live on the same metadata, so ``create_all``
# builds them for a new store; imported last because those modules import ``metadata`` from here.
from jupyter_mltrack.store.sql import logged_model_schema as _lm_schema  # noqa: E402, F401
from jupyter_mltrack.store.sql import registry_schema as _registry_schema  # noqa: E402, F401
