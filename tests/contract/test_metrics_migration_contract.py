"""A store at schema 0005 (rowid history table) upgrades to the compact history in place."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from jupyter_mltrack.store.sql import schema
from jupyter_mltrack.store.sql.bootstrap import current_revision, insert_default_experiment
from jupyter_mltrack.store.sql.engine import create_engine
from jupyter_mltrack.store.sql.migrate import upgrade_to
from jupyter_mltrack.store.sql.store import SqlStore

OLD_RUN = "d" * 32
T0 = 1_700_000_000_000
# (step, timestamp, value, kind) as 0005 stored them: a duplicate pair, a NaN and an infinity
# sharing a step and timestamp with a finite point, a far timestamp.
OLD_POINTS = [
    (0, T0, 0.5, 0),
    (1, T0 + 1, 0.25, 0),
    (1, T0 + 1, 0.25, 0),
    (1, T0 + 1, 0.0, 1),
    (2, T0 + 2, schema.DOUBLE_MAX, 2),
    (3, -(2**63), -1.0, 0),
]


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


def _store_at_0005(uri: str) -> None:
    engine = create_engine(uri)
    upgrade_to(engine, "0005_search_read_model")
    columns = ("run_uuid", "name", "experiment_id", "user_id", "status", "start_time")
    runs = _table("runs", *columns, "lifecycle_stage", "artifact_uri")
    latest = _table(
        "latest_metrics",
        "run_uuid",
        "key",
        "value",
        "kind",
        "timestamp",
        "step",
        "experiment_id",
        "lifecycle_stage",
    )
    history = _table("metrics", "series_id", "step", "timestamp", "value", "kind")
    with engine.begin() as conn:
        insert_default_experiment(conn, "/old")
        conn.execute(
            sa.insert(runs).values(
                run_uuid=OLD_RUN,
                name="before-compact-history",
                experiment_id=0,
                user_id="u",
                status="RUNNING",
                start_time=T0,
                lifecycle_stage="active",
                artifact_uri="/old/0/d/artifacts",
            )
        )
        conn.execute(
            sa.insert(latest).values(
                run_uuid=OLD_RUN,
                key="loss",
                value=-1.0,
                kind=0,
                timestamp=-(2**63),
                step=3,
                experiment_id=0,
                lifecycle_stage="active",
            )
        )
        series_id = conn.execute(sa.text("SELECT series_id FROM latest_metrics")).scalar_one()
        conn.execute(
            sa.insert(history),
            [
                {"series_id": series_id, "step": s, "timestamp": t, "value": v, "kind": k}
                for s, t, v, k in OLD_POINTS
            ],
        )
    assert current_revision(engine) == "0005_search_read_model"
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_history_survives_the_upgrade_and_keeps_growing(backend, tmp_path, server_database_uri):
    uri = f"sqlite:///{tmp_path}/old.db" if backend == "sqlite" else server_database_uri(backend)
    _store_at_0005(uri)
    store = SqlStore(uri)
    try:
        assert current_revision(store.engine) == schema.SCHEMA_REVISION
        inspector = sa.inspect(store.engine)
        columns = {c["name"] for c in inspector.get_columns("metrics")}
        assert columns == {"series_id", "step", "ts_offset", "seq", "value"}
        key = inspector.get_pk_constraint("metrics")["constrained_columns"]
        assert key == ["series_id", "step", "ts_offset", "seq"]
        assert not inspector.get_indexes("metrics")  # the key is the only index
        if backend == "sqlite":
            with store.engine.connect() as conn:
                ddl = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'metrics'"
                ).scalar_one()
            assert "WITHOUT ROWID" in ddl
        history = [
            (m.step, m.timestamp, m.value) for m in store.get_metric_history(OLD_RUN, "loss")
        ]
        assert [(s, t) for s, t, _ in history] == [(s, t) for s, t, _, _ in OLD_POINTS]
        at_one = sorted(repr(v) for s, _, v in history if s == 1)
        assert at_one == ["0.25", "0.25", "nan"] and history[4][2] == math.inf
        # The migrated series takes new points, duplicates of old ones included.
        store.log_metric_points(OLD_RUN, [("loss", 0.125, T0 + 1, 1), ("loss", 0.1, T0 + 9, 9)])
        assert len(store.get_metric_history(OLD_RUN, "loss")) == len(OLD_POINTS) + 2
        assert store.get_run(OLD_RUN).data.metrics == {"loss": 0.1}
    finally:
        store.close()
