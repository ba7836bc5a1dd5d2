"""The SQL schema of the tracking store (SQLAlchemy Core; ORM rows never leave ``store/sql``).

Metric values are stored as a clamped float plus a ``kind`` code so every backend round-trips
NaN and +/-inf exactly (MySQL has no non-finite doubles; SQLite turns NaN into NULL):
``kind`` 0 = finite (``value`` is the value), 1 = NaN (``value`` 0), 2 = +inf and 3 = -inf
(``value`` is +/- the largest double, so range comparisons and ordering stay correct).
In ``latest_metrics`` a NaN's ``value`` is +DOUBLE_MAX instead of 0: searches order NaN above
+inf, so one index on ``value`` then yields every metric order (the kind breaks the tie).
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
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    literal_column,
)
from sqlalchemy.sql.elements import ColumnElement

# Re-exported (``X as X``): the store's modules import these from here, as before the split.
from jupyter_mltrack.store.sql.schema_meta import DOUBLE_MAX as DOUBLE_MAX
from jupyter_mltrack.store.sql.schema_meta import KIND_FINITE as KIND_FINITE
from jupyter_mltrack.store.sql.schema_meta import KIND_NAN as KIND_NAN
from jupyter_mltrack.store.sql.schema_meta import KIND_NEG_INF as KIND_NEG_INF
from jupyter_mltrack.store.sql.schema_meta import KIND_POS_INF as KIND_POS_INF
from jupyter_mltrack.store.sql.schema_meta import exact_string as exact_string
from jupyter_mltrack.store.sql.schema_meta import long_text as long_text
from jupyter_mltrack.store.sql.schema_meta import metadata as metadata

#: The alembic revision this schema corresponds to; bump with every migration.
SCHEMA_REVISION = "0013_default_tags_unindexed"

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
    sqlite_with_rowid=False,
)

#: The tags the tracking layer writes on (nearly) every run it creates: context (user, source,
#: git, host), the owning process and the notebook cell. An index entry of one of these selects
#: every run, so it serves no search, while on SQLite each entry dirties its own index page in
#: the commit that creates the run (14 of the ~47 pages a fluent run writes in a git checkout).
#: SQLite's ``ix_tags_key`` therefore leaves them out. The tracking layer owns the names (a test
#: checks that a new run's tags are all here or sparse); a search for one of them probes the
#: run's own rows instead (see ``search_sql.py``).
DEFAULT_TAG_KEYS = (
    "mltrack.user",
    "mltrack.source.name",
    "mltrack.source.type",
    "mltrack.source.git.commit",
    "mltrack.source.git.branch",
    "mltrack.source.git.dirty",
    "mltrack.source.git.repoURL",
    "mltrack.python.version",
    "mltrack.hostname",
    "mltrack.runName",
    "mltrack.owner.host",
    "mltrack.owner.pid",
    "mltrack.owner.startTime",
    "mltrack.owner.pidNamespace",
    "mltrack.kernel.host",
    "mltrack.kernel.pid",
    "mltrack.kernel.id",
    "mltrack.notebook.cellId",
    "mltrack.notebook.executionCount",
)


def indexed_tag(key: ColumnElement[str]) -> ColumnElement[bool]:
    """Return ``key`` is none of ``DEFAULT_TAG_KEYS``: the condition of SQLite's ``ix_tags_key``.

    The keys are literals, not bound parameters: SQLite uses a partial index only for a query
    that states its condition, and it cannot compare a parameter with the index's literal. A
    chain of ``!=``, not ``NOT IN``: SQLite checks the condition on every insert into ``tags``,
    and builds a ``NOT IN`` list's lookup table anew for each (half again the cost of a full
    index, where the comparisons cost a fifth of it).
    """
    return and_(*(key != literal_column(f"'{name}'") for name in DEFAULT_TAG_KEYS))


def indexed_tag_sql(key: str) -> str:
    """Return :func:`indexed_tag` as SQL text, for the raw statements (``key``: the column)."""
    return " AND ".join(f"{key} != '{name}'" for name in DEFAULT_TAG_KEYS)


Index("ix_tags_key", tags.c.key, sqlite_where=indexed_tag(tags.c.key))

# One row per (run, metric key): the series id that history rows point to, plus the point with
# the highest (step, timestamp), kept on write so search and get_run never read the history.
# It is also the search read model: the run's experiment and lifecycle stage are copied in (on
# insert, and by delete/restore of runs and experiments), so one index answers a metric filter
# and a metric order within an experiment without visiting ``runs``: counting 10^6 runs and the
# first page ordered by a metric stay index scans (see ``search_sql.py``).
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
    Column("experiment_id", Integer),
    Column("lifecycle_stage", String(20)),
    # What the history rows' ``ts_offset`` is relative to (see ``metrics`` below).
    Column("ts_base", BigInteger, nullable=False, default=0, server_default="0"),
    UniqueConstraint("run_uuid", "key", name="latest_metric_run_key"),
    Index("ix_latest_metrics_search", "key", "experiment_id", "lifecycle_stage", "value", "kind"),
)

# The full history: every logged point, duplicates included, clustered by its primary key so a
# series' points are stored together in (step, time) order (on SQLite a WITHOUT ROWID table, on
# MySQL/MariaDB the InnoDB clustered index; PostgreSQL keeps a heap plus the key's index). Rows are
# kept small because a store holds millions of them (1,000,000 points of 1,000 keys take ~27 MB on
# SQLite, against ~49 MB for a rowid table with a separate index):
# - ``series_id`` replaces (run id, key);
# - ``ts_offset`` is the timestamp minus the series' ``ts_base`` (its first timestamp): SQLite
#   and MySQL then store 2-4 bytes instead of 6-8 (``metric_writes.py`` has the int64 edges);
# - ``seq`` is ``4 * n + kind``: the value's kind (see the module docstring) in the low two bits
#   and, above them, a counter that tells apart points sharing (series, step, timestamp, kind).
#   Both are nearly always 0, which SQLite stores in no bytes at all.
metrics = Table(
    "metrics",
    metadata,
    Column("series_id", Integer, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("ts_offset", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("value", Float(precision=53), nullable=False),
    PrimaryKeyConstraint("series_id", "step", "ts_offset", "seq", name="metric_pk"),
    sqlite_with_rowid=False,
)

#: ``seq`` modulo this is the kind of a history row's value.
SEQ_KINDS = 4


def encode_metric_value(value: float) -> tuple[float, int]:
    """Return ``(stored_value, kind)`` of a latest value (see the module docstring)."""
    if math.isfinite(value):
        return value, KIND_FINITE
    if value != value:
        return DOUBLE_MAX, KIND_NAN
    return (DOUBLE_MAX, KIND_POS_INF) if value > 0 else (-DOUBLE_MAX, KIND_NEG_INF)


_DECODE = {KIND_NAN: math.nan, KIND_POS_INF: math.inf, KIND_NEG_INF: -math.inf}


def decode_metric_value(value: float, kind: int) -> float:
    """Invert :func:`encode_metric_value`."""
    return value if kind == KIND_FINITE else _DECODE[kind]


# Client request ids of writes applied over HTTP, so a retried request is applied once
# (``client_requests.py``). Recorded in the write's own transaction; pruned by age and count.
client_requests = Table(
    "client_requests",
    metadata,
    Column("request_id", exact_string(64), primary_key=True),
    Column("created_time", BigInteger, nullable=False),
    Column("status", Integer),
    Column("response", Text),
    Index("ix_client_requests_created", "created_time"),
)


# The registry's and the logged models' tables live on the same metadata, so ``create_all``
# builds them for a new store; imported last so the tracking tables come first in ``metadata``
# (the order the migrations were written against). Neither module imports this one.
import jupyter_mltrack.store.sql.logged_model_schema as _lm_schema  # noqa: E402, F401
import jupyter_mltrack.store.sql.registry_schema as _registry_schema  # noqa: E402, F401
