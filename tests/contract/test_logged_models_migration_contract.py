"""A store at schema 0003 (registry, no logged models) upgrades to 0004 in place."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jupyter_mltrack.entities import LoggedModelStatus, ModelOutput
from jupyter_mltrack.store.sql import schema
from jupyter_mltrack.store.sql.bootstrap import current_revision, insert_default_experiment
from jupyter_mltrack.store.sql.engine import create_engine
from jupyter_mltrack.store.sql.migrate import upgrade_to
from jupyter_mltrack.store.sql.store import SqlStore

OLD_RUN = "c" * 32
NEW_TABLES = {
    "logged_models",
    "logged_model_tags",
    "logged_model_params",
    "run_model_outputs",
    "run_model_inputs",
    "run_dataset_inputs",
}


def _store_at_0003(uri: str) -> None:
    """Build a store as the release with the registry left it: one run, one registered model."""
    engine = create_engine(uri)
    upgrade_to(engine, "0003_registry")
    columns = ("run_uuid", "name", "experiment_id", "user_id", "status", "start_time")
    runs = sa.table("runs", *(sa.column(c) for c in (*columns, "lifecycle_stage", "artifact_uri")))
    models = sa.table(
        "registered_models",
        *(sa.column(c) for c in ("name", "creation_timestamp", "last_updated_timestamp")),
        sa.column("last_version"),
    )
    with engine.begin() as conn:
        insert_default_experiment(conn, "/old")
        conn.execute(
            sa.insert(runs).values(
                run_uuid=OLD_RUN,
                name="before-logged-models",
                experiment_id=0,
                user_id="u",
                status="FINISHED",
                start_time=7,
                lifecycle_stage="active",
                artifact_uri="/old/0/c/artifacts",
            )
        )
        conn.execute(
            sa.insert(models).values(
                name="old-model", creation_timestamp=1, last_updated_timestamp=1, last_version=0
            )
        )
    assert current_revision(engine) == "0003_registry"
    assert not NEW_TABLES & set(sa.inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_0003_store_upgrades_to_logged_models_in_place(backend, tmp_path, server_database_uri):
    uri = f"sqlite:///{tmp_path}/old.db" if backend == "sqlite" else server_database_uri(backend)
    _store_at_0003(uri)
    store = SqlStore(uri)
    try:
        assert current_revision(store.engine) == schema.SCHEMA_REVISION
        assert set(sa.inspect(store.engine).get_table_names()) >= NEW_TABLES
        run = store.get_run(OLD_RUN)
        assert run.info.run_name == "before-logged-models"
        assert run.outputs.model_outputs == ()
        assert store.get_registered_model("old-model").name == "old-model"
        # Logged models work on the upgraded store and link to the old run.
        model = store.create_logged_model("0", name="model", source_run_id=OLD_RUN)
        assert model.artifact_uri == f"/old/0/models/{model.model_id}/artifacts"
        store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
        store.log_outputs(OLD_RUN, [(model.model_id, 1)])
        assert store.get_run(OLD_RUN).outputs.model_outputs == (
            ModelOutput(model_id=model.model_id, step=1),
        )
        found = store.search_logged_models(["0"], filter_string="name = 'model'")
        assert [m.status for m in found] == [LoggedModelStatus.READY]
    finally:
        store.close()


def test_migration_and_metadata_define_the_same_tables(tmp_path):
    """A migrated store and a new store (created from the metadata) have the same new tables."""
    migrated_uri, fresh_uri = f"sqlite:///{tmp_path}/migrated.db", f"sqlite:///{tmp_path}/new.db"
    _store_at_0003(migrated_uri)
    SqlStore(migrated_uri).close()
    SqlStore(fresh_uri).close()

    def shape(uri: str) -> dict[str, object]:
        engine = create_engine(uri)
        inspector = sa.inspect(engine)
        out: dict[str, object] = {}
        for table in sorted(NEW_TABLES):
            out[table] = (
                [(c["name"], c["nullable"]) for c in inspector.get_columns(table)],
                inspector.get_pk_constraint(table)["constrained_columns"],
                sorted(tuple(i["column_names"]) for i in inspector.get_indexes(table)),
                sorted(tuple(f["constrained_columns"]) for f in inspector.get_foreign_keys(table)),
            )
        engine.dispose()
        return out

    assert shape(migrated_uri) == shape(fresh_uri)
