"""A store created by an older version upgrades in place when opened, keeping its data."""

from __future__ import annotations

import sqlalchemy as sa

from jupyter_mltrack.store.sql import schema
from jupyter_mltrack.store.sql.bootstrap import current_revision, insert_default_experiment
from jupyter_mltrack.store.sql.engine import create_engine
from jupyter_mltrack.store.sql.logged_model_schema import logged_model_metrics
from jupyter_mltrack.store.sql.migrate import upgrade_to
from jupyter_mltrack.store.sql.store import SqlStore

OLD_RUN = "a" * 32


def _old_table(name: str, *columns: str) -> sa.TableClause:
    # Lightweight table clauses: the 0001 schema as it was, independent of today's metadata.
    return sa.table(name, *(sa.column(c) for c in columns))


def _old_store(uri: str) -> None:
    """Build a store as jupyter_mltrack 0.0.x left it: schema 0001 with one run in it."""
    engine = create_engine(uri)
    upgrade_to(engine, "0001_initial")
    experiments = _old_table(
        "experiments",
        "experiment_id",
        "name",
        "artifact_location",
        "lifecycle_stage",
        "creation_time",
        "last_update_time",
    )
    runs = _old_table(
        "runs",
        "run_uuid",
        "name",
        "experiment_id",
        "user_id",
        "status",
        "start_time",
        "lifecycle_stage",
        "artifact_uri",
    )
    latest = _old_table("latest_metrics", "run_uuid", "key", "value", "kind", "timestamp", "step")
    with engine.begin() as conn:
        insert_default_experiment(conn, "/old")
        conn.execute(sa.update(experiments).values(creation_time=1, last_update_time=1))
        conn.execute(
            sa.insert(runs).values(
                run_uuid=OLD_RUN,
                name="old-run",
                experiment_id=0,
                user_id="u",
                status="FINISHED",
                start_time=5,
                lifecycle_stage="active",
                artifact_uri="/old/0/a/artifacts",
            )
        )
        conn.execute(
            sa.insert(latest).values(
                run_uuid=OLD_RUN, key="acc", value=0.75, kind=0, timestamp=5, step=0
            )
        )
    assert current_revision(engine) == "0001_initial"
    engine.dispose()


def _uri(backend: str, tmp_path, server_database_uri) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path}/old.db" if backend == "sqlite" else server_database_uri(backend)


def _check_upgrade(uri: str) -> None:
    _old_store(uri)
    store = SqlStore(uri)
    try:
        assert current_revision(store.engine) == schema.SCHEMA_REVISION
        run = store.get_run(OLD_RUN)
        assert run.info.run_name == "old-run"
        assert run.data.metrics == {"acc": 0.75}
        assert store.get_experiment("0").artifact_location == "/old/0"
        # The search read model (0005) was filled from the runs: a metric count sees the run.
        assert store.count_runs(["0"], "metrics.acc > 0.5") == 1
        # 0011: the DataFrame reads the run (packing it on SQLite).
        assert store.search_runs_frame(["0"])["metrics.acc"].tolist() == [0.75]
        # The new column works: deleting records the time, gc can select by age.
        store.delete_run(OLD_RUN)
        assert store.count_runs(["0"], "metrics.acc > 0.5") == 0
        assert store.list_deleted_run_ids(older_than_ms=2**62) == [OLD_RUN]
        index_names = {ix["name"] for ix in sa.inspect(store.engine).get_indexes("latest_metrics")}
        assert "ix_latest_metrics_search" in index_names
        # 0007: logged-model metrics, with the columns today's schema has.
        columns = {c["name"] for c in sa.inspect(store.engine).get_columns("logged_model_metrics")}
        assert columns == set(logged_model_metrics.c.keys())
    finally:
        store.close()


def test_old_sqlite_store_upgrades_in_place(tmp_path, server_database_uri):
    _check_upgrade(_uri("sqlite", tmp_path, server_database_uri))


def test_old_postgres_store_upgrades_in_place(tmp_path, server_database_uri):
    _check_upgrade(_uri("postgres", tmp_path, server_database_uri))


def test_old_mysql_store_upgrades_in_place(tmp_path, server_database_uri):
    _check_upgrade(_uri("mysql", tmp_path, server_database_uri))


def test_new_store_is_stamped_at_head_without_alembic(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; from jupyter_mltrack.store.sql.store import SqlStore; "
        f"SqlStore('sqlite:///{tmp_path}/new.db'); SqlStore('sqlite:///{tmp_path}/new.db'); "
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    engine = create_engine(f"sqlite:///{tmp_path}/new.db")
    assert current_revision(engine) == schema.SCHEMA_REVISION
    engine.dispose()


def _sqlite_objects(uri: str, prefix: str) -> set[tuple[str, str, str]]:
    engine = create_engine(uri)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE ?", (prefix + "%",)
        )
        found = {tuple(row) for row in rows}
    engine.dispose()
    return found  # type: ignore[return-value]


def _upgraded_and_new(tmp_path, prefix):  # type: ignore[no-untyped-def]
    """Return the ``prefix`` objects of a 0001 store after its upgrade and of a new store."""
    old_uri, new_uri = f"sqlite:///{tmp_path}/old.db", f"sqlite:///{tmp_path}/new.db"
    _old_store(old_uri)
    for uri in (old_uri, new_uri):
        SqlStore(uri).close()
    return _sqlite_objects(old_uri, prefix), _sqlite_objects(new_uri, prefix)


def test_an_upgraded_sqlite_store_has_the_packed_cells_of_a_new_one(tmp_path):
    """0011 creates run_cells and its triggers exactly as a new store has them."""
    upgraded, new = _upgraded_and_new(tmp_path, "run_cells")
    assert upgraded == new
    assert {kind for kind, _, _ in upgraded} == {"table", "trigger"} and len(upgraded) == 14


def test_an_upgraded_sqlite_store_has_the_metric_tail_of_a_new_one(tmp_path):
    """0012 creates metric_tail exactly as a new store has it."""
    upgraded, new = _upgraded_and_new(tmp_path, "metric_tail")
    assert upgraded == new
    assert [kind for kind, _, _ in upgraded] == ["table"]


def test_an_upgraded_sqlite_store_has_the_tag_key_index_of_a_new_one(tmp_path):
    """0013 makes ix_tags_key the partial index a new store has, without the default tags."""
    upgraded, new = _upgraded_and_new(tmp_path, "ix_tags_key")
    assert upgraded == new
    [(kind, _, sql)] = upgraded
    assert kind == "index" and "\"key\" != 'mltrack.user'" in sql
