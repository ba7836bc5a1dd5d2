"""SQLite's metric tail: wide batches appended to a log table, folded before anything reads.

A batch of many keys, each past its series' latest point, goes to ``metric_tail``; the batch that
fills the tail folds it, and so does every read, the general write path and purging runs. What
the store answers must not depend on where a point waits: each case compares it with what was
logged, and checks where the points are.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import pandas as pd
import pytest

from jupyter_mltrack.entities import Metric, RunStatus, ViewType
from jupyter_mltrack.store.frames import runs_to_frame
from jupyter_mltrack.store.sql import engine, metric_tail
from jupyter_mltrack.store.sql.store import SqlStore

KEYS = [f"layer{k}/norm" for k in range(metric_tail.MIN_KEYS)]
BASE = 1_700_000_000_000


@pytest.fixture
def uri(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 's.db'}"


@pytest.fixture
def store(uri: str, tmp_path) -> Iterator[SqlStore]:  # type: ignore[no-untyped-def]
    made = SqlStore(uri, default_artifact_root=str(tmp_path / "a"))
    yield made
    made.close()


def _count(store: SqlStore, table: str) -> int:
    with store.engine.connect() as conn:  # straight on the engine: SqlStore reads fold first
        return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())


def _value(step: int, k: int) -> float:
    return step + k / 1000


def _step(step: int, values: dict[int, float] | None = None) -> list[Metric]:
    """One training step: a point of every key (``values`` overrides some)."""
    values = values or {}
    return [
        Metric(key=key, value=values.get(k, _value(step, k)), timestamp=BASE + step, step=step)
        for k, key in enumerate(KEYS)
    ]


def _run(store: SqlStore, steps: int = 3, experiment: str = "e") -> tuple[str, str]:
    """Return the ids of a new run, logged ``steps`` steps, and of its experiment."""
    experiment_id = store.create_experiment(experiment)
    run = store.create_run(
        experiment_id=experiment_id, user_id="u", start_time=0, tags={}, run_name="r"
    )
    run_id = run.info.run_id
    for step in range(steps):
        store.log_batch(run_id, metrics=_step(step))
    return run_id, experiment_id


def test_a_wide_step_waits_in_the_tail_and_every_read_sees_it(store: SqlStore) -> None:
    run_id, _ = _run(store, steps=3)
    # Every step waits in the tail, the first one too (its call created the series).
    assert _count(store, "metric_tail") == 3 * len(KEYS)
    assert store.get_run(run_id).data.metrics[KEYS[7]] == _value(2, 7)
    assert _count(store, "metric_tail") == 0  # the read folded it
    history = store.get_metric_history(run_id, KEYS[7])
    assert [(m.step, m.timestamp, m.value) for m in history] == [
        (step, BASE + step, _value(step, 7)) for step in range(3)
    ]


@pytest.mark.parametrize("read", ["history", "arrays", "search", "frame"])
def test_each_kind_of_read_folds_first(store: SqlStore, read: str) -> None:
    run_id, experiment_id = _run(store, steps=4)
    assert _count(store, "metric_tail") > 0
    if read == "history":
        assert len(store.get_metric_history(run_id, KEYS[0])) == 4
    elif read == "arrays":
        arrays = store.get_metric_history_arrays(run_id, KEYS[3], max_points=2)
        assert arrays.values.max() == _value(3, 3)
    elif read == "search":
        found = store.search_runs([experiment_id], f"metrics.`{KEYS[1]}` > 2.5", ViewType.ALL)
        assert [run.info.run_id for run in found] == [run_id]
    else:
        frame = store.search_runs_frame([experiment_id])
        assert frame[f"metrics.{KEYS[5]}"].tolist() == [_value(3, 5)]
    assert _count(store, "metric_tail") == 0


def test_a_packed_frame_row_is_dropped_when_the_fold_moves_the_latest_values(
    store: SqlStore,
) -> None:
    run_id, experiment_id = _run(store, steps=2)
    store.search_runs_frame([experiment_id])  # packs the run (run_cells)
    store.log_batch(run_id, metrics=_step(2))
    frame = store.search_runs_frame([experiment_id])
    runs = list(store.search_runs([experiment_id]))
    pd.testing.assert_frame_equal(frame, runs_to_frame(runs))
    assert frame[f"metrics.{KEYS[0]}"].tolist() == [_value(2, 0)]


def test_nan_and_infinities_come_back_from_the_tail(store: SqlStore) -> None:
    run_id, _ = _run(store, steps=1)
    odd = {0: math.nan, 1: math.inf, 2: -math.inf, 3: 1.7976931348623157e308, 4: -0.0}
    store.log_batch(run_id, metrics=_step(1, odd))
    assert _count(store, "metric_tail") == 2 * len(KEYS)
    latest = store.get_run(run_id).data.metrics
    for k, value in odd.items():
        history = [m.value for m in store.get_metric_history(run_id, KEYS[k])]
        for got in (latest[KEYS[k]], history[-1]):
            assert got == value or (math.isnan(got) and math.isnan(value))


def test_the_batch_that_fills_the_tail_folds_it(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metric_tail, "FOLD_POINTS", 4 * len(KEYS))
    run_id, _ = _run(store, steps=3)
    assert _count(store, "metric_tail") == 3 * len(KEYS)
    store.log_batch(run_id, metrics=_step(3))
    assert _count(store, "metric_tail") == 0
    assert _count(store, "metrics") == 4 * len(KEYS)
    with store.engine.connect() as conn:
        steps = conn.exec_driver_sql("SELECT DISTINCT step FROM latest_metrics").scalars()
        assert list(steps) == [3]


def test_narrow_batches_and_single_points_are_written_straight(store: SqlStore) -> None:
    run_id, _ = _run(store, steps=1)
    store.log_batch(run_id, metrics=_step(1)[: metric_tail.MIN_KEYS - 1])
    store.log_metric(run_id, Metric(key=KEYS[0], value=9.0, timestamp=BASE + 5, step=5))
    assert _count(store, "metric_tail") == len(KEYS)  # step 0 only
    assert store.get_run(run_id).data.metrics[KEYS[0]] == 9.0


def test_a_point_logged_at_an_earlier_step_after_the_tail_keeps_everything(
    store: SqlStore,
) -> None:
    run_id, _ = _run(store, steps=3)
    # Not past the latest point: the general path, which folds the tail before it numbers the
    # point against the stored ones.
    store.log_batch(run_id, metrics=[Metric(key=KEYS[2], value=-1.0, timestamp=BASE + 2, step=2)])
    assert _count(store, "metric_tail") == 0
    history = store.get_metric_history(run_id, KEYS[2])
    assert [(m.step, m.value) for m in history] == [
        (0, _value(0, 2)),
        (1, _value(1, 2)),
        (2, _value(2, 2)),
        (2, -1.0),
    ]
    assert store.get_run(run_id).data.metrics[KEYS[2]] == -1.0  # the point logged last wins


def test_colliding_points_of_two_writers_are_both_kept(uri: str, store: SqlStore) -> None:
    run_id, _ = _run(store, steps=1)
    other = SqlStore(uri)  # another process: its own series cache
    try:
        other.log_batch(run_id, metrics=_step(1))  # learns the series
        assert _count(store, "metric_tail") == 2 * len(KEYS)
        # Both believe step 1 is the latest and log the same step 2 with other values.
        store.log_batch(run_id, metrics=_step(2))
        other.log_batch(run_id, metrics=_step(2, {k: -float(k) for k in range(len(KEYS))}))
        assert _count(store, "metric_tail") == 4 * len(KEYS)
        history = store.get_metric_history(run_id, KEYS[9])  # the fold meets the collision
    finally:
        other.close()
    assert [(m.step, m.value) for m in history] == [
        (0, _value(0, 9)),
        (1, _value(1, 9)),
        (2, _value(2, 9)),
        (2, -9.0),
    ]
    assert store.get_run(run_id).data.metrics[KEYS[9]] == -9.0


def test_purging_a_run_takes_its_waiting_points_too(store: SqlStore) -> None:
    run_id, _ = _run(store, steps=3)
    kept, _ = _run(store, steps=2, experiment="kept")
    store.delete_run(run_id)
    store.purge_runs([run_id])
    assert _count(store, "metric_tail") == 0
    assert _count(store, "metrics") == 2 * len(KEYS)
    assert store.get_run(kept).data.metrics[KEYS[0]] == _value(1, 0)


def test_points_in_the_tail_of_an_ended_run_are_read_by_a_new_store(store: SqlStore) -> None:
    """Durable at the batch's commit: a new store on the file (a new process) reads them."""
    run_id, _ = _run(store, steps=2)
    store.update_run_info(run_id, status=RunStatus.FINISHED, end_time=1)
    store.close()
    reopened = SqlStore(store.engine.url.render_as_string(hide_password=False))
    try:
        assert len(reopened.get_metric_history(run_id, KEYS[4])) == 2
    finally:
        reopened.close()


def test_a_read_inside_this_threads_own_write_does_not_wait_for_itself(
    uri: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Folding there would queue behind the thread's own write lock until the busy timeout
    (shortened here), then give up with a warning."""
    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    store = SqlStore(uri)
    try:
        run_id, _ = _run(store, steps=2)
        with caplog.at_level(logging.WARNING), store._write():
            assert store.get_run(run_id).info.run_id == run_id
            assert _count(store, "metric_tail") == 2 * len(KEYS)  # left for a later read
        assert not caplog.records
        assert len(store.get_metric_history(run_id, KEYS[0])) == 2
    finally:
        store.close()


def test_a_wide_batch_of_several_steps_per_key_waits_in_the_tail(store: SqlStore) -> None:
    """The fluent writer's shape: the steps queued since its last write, in one batch."""
    run_id, _ = _run(store, steps=1)
    store.log_batch(run_id, metrics=_step(1) + _step(2))
    assert _count(store, "metric_tail") == 3 * len(KEYS)
    history = store.get_metric_history(run_id, KEYS[11])
    assert [(m.step, m.value) for m in history] == [(step, _value(step, 11)) for step in range(3)]


def test_a_wide_batch_that_logs_a_step_again_folds_first_and_keeps_both(
    store: SqlStore,
) -> None:
    run_id, _ = _run(store, steps=2)
    again = _step(1, {k: -float(k) for k in range(len(KEYS))})  # same step and timestamp
    store.log_batch(run_id, metrics=again)
    assert _count(store, "metric_tail") == 0  # folded, then numbered against the history
    history = store.get_metric_history(run_id, KEYS[6])
    assert [(m.step, m.value) for m in history] == [
        (0, _value(0, 6)),
        (1, _value(1, 6)),
        (1, -6.0),
    ]
    assert store.get_run(run_id).data.metrics[KEYS[6]] == -6.0  # the point logged last wins


def test_many_points_of_few_keys_are_written_straight(store: SqlStore) -> None:
    """One series' steps share its last pages: the tail would only add a second write."""
    run_id, _ = _run(store, steps=0)
    points = [Metric(key="loss", value=1 / (s + 1), timestamp=BASE + s, step=s) for s in range(500)]
    store.log_batch(run_id, metrics=points)
    assert _count(store, "metric_tail") == 0
    assert _count(store, "metrics") == 500
