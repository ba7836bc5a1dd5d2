"""A store at schema 0002 (before the registry) upgrades to 0003 in place, keeping its runs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.store.sql import schema
from jupyter_mltrack.store.sql.bootstrap import current_revision, insert_default_experiment
from jupyter_mltrack.store.sql.engine import create_engine
from jupyter_mltrack.store.sql.migrate import upgrade_to
from jupyter_mltrack.store.sql.store import SqlStore

OLD_RUN = "b" * 32
REGISTRY_TABLES = {
    "registered_models",
    "registered_model_tags",
    "model_versions",
    "model_version_tags",
    "registered_model_aliases",
    "model_version_events",
}


def _store_at_0002(uri: str) -> None:
    """Build a store as the release before the registry left it, with one run in it."""
    engine = create_engine(uri)
    upgrade_to(engine, "0002_deleted_time")
    runs = sa.table(
        "runs",
        *(
            sa.column(c)
            for c in (
                "run_uuid",
                "name",
                "experiment_id",
                "user_id",
                "status",
                "start_time",
                "lifecycle_stage",
                "artifact_uri",
            )
        ),
    )
    tags = sa.table("tags", sa.column("run_uuid"), sa.column("key"), sa.column("value"))
    with engine.begin() as conn:
        insert_default_experiment(conn, "/old")
        conn.execute(
            sa.insert(runs).values(
                run_uuid=OLD_RUN,
                name="before-registry",
                experiment_id=0,
                user_id="u",
                status="FINISHED",
                start_time=7,
                lifecycle_stage="active",
                artifact_uri="/old/0/b/artifacts",
            )
        )
        conn.execute(sa.insert(tags).values(run_uuid=OLD_RUN, key="team", value="risk"))
    assert current_revision(engine) == "0002_deleted_time"
    assert not REGISTRY_TABLES & set(sa.inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_0002_store_upgrades_to_the_registry_in_place(backend, tmp_path, server_database_uri):
    uri = f"sqlite:///{tmp_path}/old.db" if backend == "sqlite" else server_database_uri(backend)
    _store_at_0002(uri)
    store = SqlStore(uri)
    try:
        assert current_revision(store.engine) == schema.SCHEMA_REVISION
        assert set(sa.inspect(store.engine).get_table_names()) >= REGISTRY_TABLES
        run = store.get_run(OLD_RUN)
        assert run.info.run_name == "before-registry"
        assert run.data.tags["team"] == "risk"
        # The registry works on the upgraded store, exact names included.
        version = store.create_model_version("Model", f"runs:/{OLD_RUN}/model", run_id=OLD_RUN)
        store.create_registered_model("model")
        assert version.version == 1
        store.transition_model_version_stage("Model", 1, ModelStage.PRODUCTION)
        store.set_registered_model_alias("Model", "champion", 1)
        assert store.get_model_version_by_alias("Model", "champion").run_id == OLD_RUN
        assert len(store.get_model_version_history("Model")) == 2
    finally:
        store.close()


def test_migration_and_metadata_define_the_same_registry_columns(tmp_path):
    """A migrated store and a new store (created from the metadata) have the same tables."""
    migrated_uri, fresh_uri = f"sqlite:///{tmp_path}/migrated.db", f"sqlite:///{tmp_path}/new.db"
    _store_at_0002(migrated_uri)
    SqlStore(migrated_uri).close()
    SqlStore(fresh_uri).close()

    def shape(uri: str) -> dict[str, list[tuple[str, bool]]]:
        engine = create_engine(uri)
        inspector = sa.inspect(engine)
        out = {
            table: [(c["name"], c["nullable"]) for c in inspector.get_columns(table)]
            for table in sorted(REGISTRY_TABLES)
        }
        engine.dispose()
        return out

    assert shape(migrated_uri) == shape(fresh_uri)
