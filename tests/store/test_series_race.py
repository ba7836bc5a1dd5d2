"""Writers that create the same (run, metric key) series at the same instant all succeed.

Each writer is a thread with its own ``SqlStore`` (its own engine and connections, as a separate
process would have). In every round the writers wait on a barrier and then log a batch of the
same fresh keys into one run, so every series of the round is created by all of them at once;
they also log the same param (params are immutable, so logging an equal value is not a
conflict). Nothing may fail, and every point must be stored exactly once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest

from jupyter_mltrack.entities import Metric, Param
from jupyter_mltrack.store.sql.store import SqlStore

WRITERS = 6
ROUNDS = 12
KEYS = 8
T0 = 1_700_000_000_000


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def uri(request, tmp_path, server_database_uri) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/race.db"
    return str(server_database_uri(request.param))


def _writer(
    uri: str, run_id: str, index: int, barrier: threading.Barrier, errors: list[str]
) -> None:
    store = SqlStore(uri)
    try:
        for round_ in range(ROUNDS):
            # Keys in a different order per writer: lock order must not matter.
            keys = [f"r{round_}/k{k}" for k in range(KEYS)]
            keys = keys[index % KEYS :] + keys[: index % KEYS]
            metrics = [
                Metric(key=key, value=float(index), timestamp=T0 + index, step=index)
                for key in keys
            ]
            barrier.wait(timeout=60)
            try:
                store.log_batch(
                    run_id, metrics=metrics, params=[Param(key=f"p{round_}", value="x")]
                )
            except Exception as exc:  # reported to the test, which fails with it
                errors.append(f"writer {index} round {round_}: {type(exc).__name__}: {exc}")
    finally:
        store.close()


def test_writers_creating_the_same_series_at_once_all_succeed(uri: str) -> None:
    store = SqlStore(uri)
    try:
        run_id = store.create_run(
            experiment_id="0", user_id="u", start_time=T0, tags={}, run_name="race"
        ).info.run_id
        barrier = threading.Barrier(WRITERS)
        errors: list[str] = []
        threads = [
            threading.Thread(target=_writer, args=(uri, run_id, i, barrier, errors))
            for i in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert errors == []
        run = store.get_run(run_id)
        assert run.data.params == {f"p{r}": "x" for r in range(ROUNDS)}
        for round_ in range(ROUNDS):
            for k in range(KEYS):
                history = store.get_metric_history(run_id, f"r{round_}/k{k}")
                steps = Counter(m.step for m in history)
                assert steps == Counter(range(WRITERS)), (round_, k, steps)
                # The latest value is the point with the highest step, whoever wrote it last.
                assert run.data.metrics[f"r{round_}/k{k}"] == float(WRITERS - 1)
    finally:
        store.close()


def test_a_deadlock_victim_batch_is_written_again(server_database_uri) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL aborts one transaction of a deadlock; a log_batch chosen as the victim rolled
    # back entirely and is run again instead of failing. The deadlock is made on purpose: a
    # second connection holds series "b" and then wants "a", which the batch holds while it
    # waits for "b" (the batch, waiting first, is the one PostgreSQL aborts).
    import sqlalchemy as sa

    uri = str(server_database_uri("postgres"))
    store = SqlStore(uri)
    try:
        run_id = store.create_run(
            experiment_id="0", user_id="u", start_time=T0, tags={}, run_name="victim"
        ).info.run_id
        store.log_metric_points(run_id, [("a", 0.0, T0, 0), ("b", 0.0, T0, 0)])
        errors: list[str] = []

        def log() -> None:
            try:
                store.log_metric_points(run_id, [("a", 1.0, T0 + 1, 1), ("b", 1.0, T0 + 1, 1)])
            except Exception as exc:  # reported to the test, which fails with it
                errors.append(f"{type(exc).__name__}: {exc}")

        lock = "UPDATE latest_metrics SET step = step WHERE run_uuid = :run AND key = :key"
        other = sa.create_engine(uri)
        with other.connect() as conn:
            conn.execute(sa.text(lock), {"run": run_id, "key": "b"})
            writer = threading.Thread(target=log)
            writer.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not _waiting_on_lock(conn):
                time.sleep(0.05)
            conn.execute(sa.text(lock), {"run": run_id, "key": "a"})  # closes the cycle
            conn.commit()
            writer.join(timeout=60)
        other.dispose()
        assert errors == []
        history = store.get_metric_history(run_id, "a") + store.get_metric_history(run_id, "b")
        assert sorted((m.key, m.step) for m in history) == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
        assert store.get_run(run_id).data.metrics == {"a": 1.0, "b": 1.0}
    finally:
        store.close()


def _waiting_on_lock(conn: Any) -> bool:
    """Whether another session of this database waits for a row lock (the batch, for "b")."""
    import sqlalchemy as sa

    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    return bool(conn.execute(sa.text(query)).scalar())
