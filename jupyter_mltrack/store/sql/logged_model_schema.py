"""The SQL schema of logged models and run inputs/outputs, on :data:`schema.metadata`.

Logged models belong to an experiment; tags and params are child tables keyed by the model.
Run links (``run_model_outputs``, ``run_model_inputs``, ``run_dataset_inputs``) are keyed by the
run so ``get_run`` and ``search_runs`` read them with one indexed query each; a run purge deletes
them. ``source_run_id`` has no foreign key: a purged run must not take its models with it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from jupyter_mltrack.store.sql.schema import exact_string, metadata

__all__ = [
    "RUN_LINK_TABLES",
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
    Column("source", Text, nullable=False),
    Column("dataset_schema", Text),
    Column("profile", Text),
    Column("tags", Text),  # JSON object of input tag key -> value
    PrimaryKeyConstraint("run_uuid", "name", "digest", name="run_dataset_input_pk"),
)

#: The tables whose rows belong to one run (deleted with it by ``purge_runs``).
RUN_LINK_TABLES = (run_model_outputs, run_model_inputs, run_dataset_inputs)
