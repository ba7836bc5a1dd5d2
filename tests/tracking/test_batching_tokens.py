"""add_many queues a token for its store: items the garbage collector stops tracking, and a
registry that keeps each store only while its points wait."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mltrack.store.sql.store import SqlStore
from jupyter_mltrack.tracking.batching import MetricBatcher

T0 = 1_700_000_000_000


@pytest.fixture
def batcher() -> Iterator[MetricBatcher]:
    # A long interval and high threshold: nothing is written until the test flushes.
    made = MetricBatcher(interval=60.0, threshold=10**6, max_pending=10**6, chunk=700)
    yield made
    made.close()


def _stores(tmp_path: Path) -> Iterator[SqlStore]:
    for name in ("a", "b"):
        yield SqlStore(f"sqlite:///{tmp_path}/{name}.db")


def _run(store: SqlStore) -> str:
    run = store.create_run(experiment_id="0", user_id="u", start_time=T0, tags={}, run_name="r")
    return run.info.run_id


def _points(step: int, keys: int = 5) -> list[tuple[str, float, int, int]]:
    return [(f"k{k}", step + k / 10, T0 + step, step) for k in range(keys)]


def test_queued_items_are_untracked_and_stores_released_once_written(
    batcher: MetricBatcher, tmp_path: Path
) -> None:
    store = SqlStore(f"sqlite:///{tmp_path}/a.db")
    run_id = _run(store)
    for step in range(3):
        batcher.add_many(store, run_id, _points(step))
    gc.collect()  # a full pass may visit an item before its point tuple: a second one settles
    gc.collect()
    assert batcher.pending() == 15
    assert not any(gc.is_tracked(item) for item in batcher._queue)
    assert [held[0] for held in batcher._stores.values()] == [store]
    batcher.flush()
    assert batcher.error is None
    assert batcher._stores == {}  # no store is kept alive once its points are written
    history = store.get_metric_history(run_id, "k4")
    assert [(m.step, m.value) for m in history] == [(s, s + 0.4) for s in range(3)]
    store.close()


def test_tokens_and_stores_of_several_runs_mix_in_one_flush(
    batcher: MetricBatcher, tmp_path: Path
) -> None:
    a, b = _stores(tmp_path)
    run_a, run_b = _run(a), _run(b)
    run_a2 = _run(a)
    for step in range(4):  # chunk=700 is not reached: one flush writes all of them
        batcher.add_many(a, run_a, _points(step))
        batcher.add(b, run_b, "single", float(step), T0 + step, step)
        batcher.add_many(b, run_b, _points(step, keys=2))
        batcher.add_many(a, run_a2, _points(step, keys=1))
    batcher.flush()
    assert batcher.error is None
    assert batcher._stores == {}
    assert [m.value for m in a.get_metric_history(run_a, "k4")] == [s + 0.4 for s in range(4)]
    assert [m.value for m in a.get_metric_history(run_a2, "k0")] == [0.0, 1.0, 2.0, 3.0]
    assert [m.value for m in b.get_metric_history(run_b, "single")] == [0.0, 1.0, 2.0, 3.0]
    assert [m.value for m in b.get_metric_history(run_b, "k1")] == [s + 0.1 for s in range(4)]
    a.close()
    b.close()


def test_a_failed_write_still_releases_its_store(batcher: MetricBatcher, tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path}/a.db")
    batcher.add_many(store, "no-such-run", _points(0))
    batcher.flush()
    assert batcher.error is not None and "no-such-run" in str(batcher.error)
    assert batcher._stores == {}
    store.close()
