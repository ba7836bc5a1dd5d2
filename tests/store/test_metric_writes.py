"""The SQL store's metric write path with more than one writer and with recreated runs.

Each ``SqlStore`` remembers the series ids it wrote; these tests open two stores on one database
(as two processes would) and check that neither trusts a memory the other made stale.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jupyter_mltrack.store.sql.store import SqlStore

T0 = 1_700_000_000_000


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def uri(request, tmp_path, server_database_uri) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/writers.db"
    return str(server_database_uri(request.param))


@pytest.fixture
def stores(uri: str) -> Iterator[tuple[SqlStore, SqlStore]]:
    first, second = SqlStore(uri), SqlStore(uri)
    yield first, second
    first.close()
    second.close()


def _new_run(store: SqlStore, run_id: str | None = None) -> str:
    run = store.create_run(
        experiment_id="0", user_id="u", start_time=T0, tags={}, run_name="r", run_id=run_id
    )
    return run.info.run_id


def test_a_point_another_writer_stored_meanwhile_is_not_lost(stores):
    first, second = stores
    run_id = _new_run(first)
    first.log_metric_points(run_id, [("m", float(s), T0 + s, s) for s in range(3)])
    second.log_metric_points(run_id, [("m", 30.0, T0 + 3, 3)])
    # first still believes step 2 is the latest; its step 3 ties with second's point.
    first.log_metric_points(run_id, [("m", 31.0, T0 + 3, 3), ("m", 40.0, T0 + 4, 4)])
    history = first.get_metric_history(run_id, "m")
    assert [(m.step, m.timestamp) for m in history] == [(s, T0 + s) for s in (0, 1, 2, 3, 3, 4)]
    assert sorted(m.value for m in history if m.step == 3) == [30.0, 31.0]
    assert second.get_run(run_id).data.metrics == {"m": 40.0}


def test_a_later_point_from_another_writer_stays_the_latest(stores):
    first, second = stores
    run_id = _new_run(first)
    first.log_metric_points(run_id, [("m", 1.0, T0, 1)])
    second.log_metric_points(run_id, [("m", 9.0, T0 + 9, 9)])
    first.log_metric_points(run_id, [("m", 2.0, T0 + 2, 2)])  # older than second's point
    assert first.get_run(run_id).data.metrics == {"m": 9.0}
    assert [m.step for m in first.get_metric_history(run_id, "m")] == [1, 2, 9]


def test_a_series_created_by_another_writer_is_found(stores):
    first, second = stores
    run_id = _new_run(first)
    first.log_metric_points(run_id, [("a", 1.0, T0, 0)])
    second.log_metric_points(run_id, [("b", 2.0, T0, 0)])
    first.log_metric_points(run_id, [("a", 3.0, T0 + 1, 1), ("b", 4.0, T0 + 1, 1)])
    assert [m.value for m in first.get_metric_history(run_id, "b")] == [2.0, 4.0]


def test_a_run_purged_and_recreated_under_its_id_starts_a_new_history(stores):
    first, _ = stores
    run_id = _new_run(first)
    first.log_metric_points(run_id, [("m", 1.0, T0, 0), ("m", 2.0, T0 + 1, 1)])
    first.delete_run(run_id)
    first.purge_runs([run_id])
    _new_run(first, run_id)
    first.log_metric_points(run_id, [("m", 5.0, T0 + 5, 5)])
    assert [(m.step, m.value) for m in first.get_metric_history(run_id, "m")] == [(5, 5.0)]
    assert first.get_run(run_id).data.metrics == {"m": 5.0}
