"""The SQL schema of logged models and run inputs/outputs, on :data:`schema.metadata`.

Logged models belong to an experiment; tags and params are child tables keyed by the model.
Run links (``run_model_outputs``, ``run_model_inputs``, ``run_dataset_inputs``) are keyed by the
run so ``get_run`` and ``search_runs`` read them with one indexed query each; a run purge deletes
them. ``source_run_id`` has no foreign key: a purged run must not take its models with it.

``logged_model_metrics`` holds the points runs logged against a model (MLflow's
``log_metric(..., model_id=...)``), with the dataset they were measured on; values are stored as
in ``schema.py`` (a clamped double plus a ``kind`` code for NaN and infinities). A row belongs to
its model (deleted with it) and to the run that logged it (purged with it).
"""

from __future__ import annotations

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
)

from jupyter_mltrack.store.sql.schema_meta import KIND_FINITE, exact_string, long_text, metadata

__all__ = [
    "RUN_LINK_TABLES",
    "logged_model_metrics",
    "logged_model_params",
    "logged_model_tags",
    "logged_models",
    "run_dataset_inputs",
    "run_model_inputs",
    "run_model_outputs",
]

MODEL_ID_LENGTH = 34  # "m-" + 32 hex digits
NAME_LENGTH = 500
KEY_LENGTH = 250
TAG_VALUE_LENGTH = 8000
PARAM_VALUE_LENGTH = 6000
DIGEST_LENGTH = 36
SOURCE_TYPE_LENGTH = 200


def _model_fk() -> Column[str]:
    return Column(
        "model_id",
        String(MODEL_ID_LENGTH),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        nullable=False,
    )


def _run_fk() -> Column[str]:
    return Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), nullable=False)


logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(MODEL_ID_LENGTH), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", exact_string(NAME_LENGTH), nullable=False),
    Column("artifact_location", String(1000), nullable=False),
    Column("status", String(32), nullable=False),
    Column("model_type", String(NAME_LENGTH), nullable=False, default=""),
    Column("source_run_id", String(32)),
    Column("creation_timestamp_ms", BigInteger, nullable=False),
    Column("last_updated_timestamp_ms", BigInteger, nullable=False),
    Index("ix_logged_models_experiment_created", "experiment_id", "creation_timestamp_ms"),
    Index("ix_logged_models_experiment_name", "experiment_id", "name"),
)


def _model_pairs(name: str, value_length: int, pk_name: str) -> Table:
    """A ``(model_id, key) -> value`` child table of ``logged_models`` (tags, params)."""
    return Table(
        name,
        metadata,
        _model_fk(),
        Column("key", exact_string(KEY_LENGTH), nullable=False),
        Column("value", String(value_length), nullable=False),
        PrimaryKeyConstraint("model_id", "key", name=pk_name),
    )


logged_model_tags = _model_pairs("logged_model_tags", TAG_VALUE_LENGTH, "logged_model_tag_pk")
logged_model_params = _model_pairs(
    "logged_model_params", PARAM_VALUE_LENGTH, "logged_model_param_pk"
)

logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    # A surrogate key: one key, run, step and time may hold points of several datasets, and a
    # natural key over all of them would pass MySQL's index length limit.
    Column("id", Integer, primary_key=True, autoincrement=True),
    _model_fk(),
    Column("key", exact_string(KEY_LENGTH), nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("kind", SmallInteger, nullable=False, default=KIND_FINITE),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    _run_fk(),
    Column("dataset_name", exact_string(NAME_LENGTH)),
    Column("dataset_digest", exact_string(DIGEST_LENGTH)),
    Index("ix_logged_model_metrics_model_key", "model_id", "key"),
    Index("ix_logged_model_metrics_run", "run_uuid"),
)

run_model_outputs = Table(
    "run_model_outputs",
    metadata,
    _run_fk(),
    Column("model_id", String(MODEL_ID_LENGTH), nullable=False),
    Column("step", BigInteger, nullable=False, default=0),
    PrimaryKeyConstraint("run_uuid", "model_id", "step", name="run_model_output_pk"),
)

run_model_inputs = Table(
    "run_model_inputs",
    metadata,
    _run_fk(),
    Column("model_id", String(MODEL_ID_LENGTH), nullable=False),
    PrimaryKeyConstraint("run_uuid", "model_id", name="run_model_input_pk"),
)

run_dataset_inputs = Table(
    "run_dataset_inputs",
    metadata,
    _run_fk(),
    Column("name", exact_string(NAME_LENGTH), nullable=False),
    Column("digest", exact_string(DIGEST_LENGTH), nullable=False),
    Column("source_type", String(SOURCE_TYPE_LENGTH), nullable=False),
    Column("source", long_text(), nullable=False),
    Column("dataset_schema", long_text()),
    Column("profile", long_text()),
    Column("tags", long_text()),  # JSON object of input tag key -> value
    PrimaryKeyConstraint("run_uuid", "name", "digest", name="run_dataset_input_pk"),
)

#: The tables whose rows belong to one run (deleted with it by ``purge_runs``).
RUN_LINK_TABLES = (run_model_outputs, run_model_inputs, run_dataset_inputs, logged_model_metrics)
