"""Client request ids on every SQL backend: recorded with the write, once, and pruned.

These run against the SQL stores only: the REST store's side of the same behaviour (the server
answering a retried request once) is covered in tests/server/test_request_ids.py and, under
real faults, in tests/reliability/test_http_idempotent.py.
"""

from __future__ import annotations

import contextlib
import threading

import pytest
import sqlalchemy as sa
from contract_helpers import make_run

from jupyter_mltrack._time import now_ms
from jupyter_mltrack.entities import Param
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.sql import client_requests
from jupyter_mltrack.store.sql.client_requests import RequestAlreadyApplied, handling
from jupyter_mltrack.store.sql.schema import client_requests as table
from jupyter_mltrack.store.sql.store import SqlStore

pytestmark = pytest.mark.parametrize("store", ["sqlite", "postgres", "mysql"], indirect=True)


def _points(store: SqlStore, run_id: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in store.get_metric_history(run_id, "m")]


def _ids(store: SqlStore) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(str(i) for i in conn.execute(sa.select(table.c.request_id)).scalars())


def test_a_request_id_is_applied_once(store: SqlStore) -> None:
    run_id = make_run(store).info.run_id
    with handling("req-1") as first:
        store.log_metric_points(run_id, [("m", 1.0, 10, 0)])
    assert first.claimed and not first.duplicate
    with handling("req-1") as again, pytest.raises(RequestAlreadyApplied, match="req-1"):
        store.log_metric_points(run_id, [("m", 1.0, 10, 0)])
    assert again.duplicate
    assert _points(store, run_id) == [(0, 1.0)]
    assert _ids(store) == ["req-1"]


def test_writes_without_a_request_id_are_not_remembered(store: SqlStore) -> None:
    run_id = make_run(store).info.run_id
    store.log_metric_points(run_id, [("m", 1.0, 10, 0)])
    store.log_metric_points(run_id, [("m", 1.0, 10, 0)])
    assert len(_points(store, run_id)) == 2  # as before: no id, no deduplication
    assert _ids(store) == []


def test_a_refused_write_does_not_keep_its_id(store: SqlStore) -> None:
    run_id = make_run(store, params={"lr": "0.1"}).info.run_id
    with handling("req-bad"), pytest.raises(InvalidParameterError, match="immutable"):
        store.log_batch(run_id, params=[Param(key="lr", value="0.2")])
    assert _ids(store) == []  # rolled back with the write: a corrected retry is not refused
    with handling("req-bad"):
        store.log_batch(run_id, params=[Param(key="other", value="1")])
    assert store.get_run(run_id).data.params == {"lr": "0.1", "other": "1"}


def test_later_transactions_of_one_request_do_not_claim_again(store: SqlStore) -> None:
    run_id = make_run(store).info.run_id
    with handling("req-2"):
        store.log_metric_points(run_id, [("m", 1.0, 10, 0)])
        store.log_batch(run_id, params=[Param(key="p", value="1")])
    assert store.get_run(run_id).data.params == {"p": "1"}
    assert _ids(store) == ["req-2"]


def test_concurrent_twins_store_their_points_once(store: SqlStore) -> None:
    run_id = make_run(store).info.run_id
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def twin() -> None:
        barrier.wait()
        with handling("req-twin"):
            try:
                store.log_metric_points(run_id, [("m", float(s), 10 + s, s) for s in range(500)])
                outcomes.append("applied")
            except RequestAlreadyApplied:
                outcomes.append("duplicate")

    threads = [threading.Thread(target=twin) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["applied", "duplicate", "duplicate", "duplicate"]
    assert _points(store, run_id) == [(s, float(s)) for s in range(500)]


def test_answers_are_recorded_and_read_back(store: SqlStore) -> None:
    run_id = make_run(store).info.run_id
    assert client_requests.answer_of(store.engine, "req-3") is None
    with handling("req-3"):
        store.log_metric_points(run_id, [("m", 1.0, 10, 0)])
    assert client_requests.answer_of(store.engine, "req-3") == (None, None)
    client_requests.record_answer(store.engine, "req-3", 200, '{"run":"é"}'.encode())
    assert client_requests.answer_of(store.engine, "req-3") == (200, '{"run":"é"}'.encode())


def test_ids_are_case_sensitive(store: SqlStore) -> None:
    run_id = make_run(store).info.run_id
    for request_id in ("Abc", "abc"):
        with handling(request_id):
            store.log_metric_points(run_id, [("m", 1.0, 10, 0)])
    assert _ids(store) == ["Abc", "abc"]


def test_prune_bounds_ids_by_age_and_by_count(store: SqlStore) -> None:
    now = now_ms()
    rows = [{"request_id": f"old-{i}", "created_time": now - 10_000_000 - i} for i in range(5)]
    rows += [{"request_id": f"new-{i}", "created_time": now - i} for i in range(5)]
    with store.engine.begin() as conn:
        conn.execute(sa.insert(table), rows)
    assert client_requests.prune(store.engine, max_age_ms=1_000_000, max_rows=100) == 5
    assert _ids(store) == [f"new-{i}" for i in range(5)]
    assert client_requests.prune(store.engine, max_age_ms=1_000_000, max_rows=2) == 3
    assert _ids(store) == ["new-0", "new-1"]  # the newest ones stay


def test_migration_0009_builds_the_table_the_schema_declares(store: SqlStore) -> None:
    import importlib

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    migration = importlib.import_module(
        "jupyter_mltrack.store.sql.migrations.versions.0009_client_requests"
    )
    with store.engine.begin() as conn:  # a store as 0008 left it, then upgraded
        table.drop(conn)
        with Operations.context(MigrationContext.configure(conn)):
            migration.upgrade()
    inspector = sa.inspect(store.engine)
    columns = {c["name"]: c["nullable"] for c in inspector.get_columns("client_requests")}
    assert columns == {c.name: c.nullable for c in table.columns}
    assert inspector.get_pk_constraint("client_requests")["constrained_columns"] == ["request_id"]
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("client_requests")}
    assert indexes == {"ix_client_requests_created": ["created_time"]}
    run_id = make_run(store).info.run_id
    for request_id in ("Abc", "abc", "abc"):  # exact comparison, and one row per id
        with handling(request_id), contextlib.suppress(RequestAlreadyApplied):
            store.log_metric_points(run_id, [("m", 1.0, 10, 0)])
    assert _ids(store) == ["Abc", "abc"] and len(_points(store, run_id)) == 2
