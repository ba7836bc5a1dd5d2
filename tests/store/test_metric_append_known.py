"""The one-pass write of a batch with one point per known key (``_append_known``).

``client.log_batch`` of a training step sends one point per key, each past its series' latest
point; once the series are cached, such a batch skips the general path. These tests check, on
every database, that it stores and moves the latest values exactly as the general path does,
non-finite values included, and that it falls back whenever its conditions do not hold: a point
at or before a series' latest, a key logged twice, or a series another store appended to.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from jupyter_mltrack.entities import Metric
from jupyter_mltrack.store.sql import metric_writes
from jupyter_mltrack.store.sql.store import SqlStore

T0 = 1_700_000_000_000
KEYS = ["a", "b", "c", "d"]


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def uri(request, tmp_path, server_database_uri) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/known.db"
    return str(server_database_uri(request.param))


@pytest.fixture
def store(uri: str) -> Iterator[SqlStore]:
    opened = SqlStore(uri)
    yield opened
    opened.close()


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool | str]:
    """Record, per call, whether the one-pass write took the batch (True), declined it
    (False) or raised (the exception's name)."""
    calls: list[bool | str] = []
    real = metric_writes._append_known

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            result = real(*args, **kwargs)
        except Exception as exc:
            calls.append(type(exc).__name__)
            raise
        calls.append(result is not None)
        return result

    monkeypatch.setattr(metric_writes, "_append_known", spy)
    return calls


def _run(store: SqlStore) -> str:
    run = store.create_run(experiment_id="0", user_id="u", start_time=T0, tags={}, run_name="r")
    return run.info.run_id


def _same(left: float, right: float) -> bool:
    return (math.isnan(left) and math.isnan(right)) or left == right


def _step(step: int, values: list[float]) -> list[Metric]:
    stamp = T0 + step
    return [
        Metric(key=k, value=v, timestamp=stamp, step=step)
        for k, v in zip(KEYS, values, strict=True)
    ]


def test_steps_of_one_point_per_key_take_one_pass_and_round_trip(
    store: SqlStore, fast_calls: list[bool | str]
) -> None:
    run_id = _run(store)
    steps = [
        [0.5, 1.0, 2.0, 3.0],
        [math.nan, math.inf, -math.inf, 1e-300],
        [0.25, -0.0, 1.7976931348623157e308, math.nan],
    ]
    for step, values in enumerate(steps):
        store.log_batch(run_id, metrics=_step(step, values))
    assert fast_calls == [False, True, True]  # the first batch creates the series
    for index, key in enumerate(KEYS):
        history = store.get_metric_history(run_id, key)
        assert [(m.step, m.timestamp) for m in history] == [(s, T0 + s) for s in range(3)]
        assert all(_same(m.value, steps[m.step][index]) for m in history)
    latest = store.get_run(run_id).data.metrics
    assert all(_same(latest[k], steps[2][i]) for i, k in enumerate(KEYS))


def test_a_point_at_or_before_the_latest_takes_the_careful_path(
    store: SqlStore, fast_calls: list[bool | str]
) -> None:
    run_id = _run(store)
    store.log_batch(run_id, metrics=_step(5, [1.0, 1.0, 1.0, 1.0]))
    store.log_batch(run_id, metrics=_step(5, [2.0, 2.0, 2.0, 2.0]))  # same step and time
    store.log_batch(run_id, metrics=_step(3, [3.0, 3.0, 3.0, 3.0]))  # an earlier step
    assert fast_calls == [False, False, False]
    history = store.get_metric_history(run_id, "a")
    assert sorted((m.step, m.value) for m in history) == [(3, 3.0), (5, 1.0), (5, 2.0)]
    # The latest is the highest (step, timestamp); on a tie the point logged last wins.
    assert store.get_run(run_id).data.metrics == dict.fromkeys(KEYS, 2.0)


def test_a_key_twice_in_one_batch_is_declined(
    store: SqlStore, fast_calls: list[bool | str]
) -> None:
    run_id = _run(store)
    store.log_batch(run_id, metrics=_step(0, [1.0, 1.0, 1.0, 1.0]))
    twice = [*_step(1, [2.0, 2.0, 2.0, 2.0]), Metric(key="a", value=9.0, timestamp=T0, step=2)]
    store.log_batch(run_id, metrics=twice)
    assert fast_calls == [False, False]
    assert [m.value for m in store.get_metric_history(run_id, "a")] == [1.0, 2.0, 9.0]
    assert store.get_run(run_id).data.metrics == {"a": 9.0, "b": 2.0, "c": 2.0, "d": 2.0}


def test_a_series_another_store_appended_to_is_retried_without_the_cache(
    uri: str, store: SqlStore, fast_calls: list[bool | str]
) -> None:
    run_id = _run(store)
    other = SqlStore(uri)  # as another process: its own engine and series cache
    try:
        store.log_batch(run_id, metrics=_step(0, [0.0, 0.0, 0.0, 0.0]))
        other.log_batch(run_id, metrics=_step(1, [1.0, 1.0, 1.0, 1.0]))
        # Our cache still says step 0: the same (step, timestamp) collides and is retried.
        store.log_batch(run_id, metrics=_step(1, [2.0, 2.0, 2.0, 2.0]))
    finally:
        other.close()
    # Both stores' first batches create series; ours then collides and is retried uncached.
    assert fast_calls == [False, False, "StaleSeriesCache"]
    for key in KEYS:
        points = [(m.step, m.value) for m in store.get_metric_history(run_id, key)]
        assert sorted(points) == [(0, 0.0), (1, 1.0), (1, 2.0)]
    assert store.get_run(run_id).data.metrics == dict.fromkeys(KEYS, 2.0)
