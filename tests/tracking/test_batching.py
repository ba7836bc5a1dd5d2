"""The background metric writer: grouping, timing, back-pressure, errors, fork and exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from jupyter_mltrack import RunStatus, TrackingClient
from jupyter_mltrack.errors import InvalidStateError, StoreError
from jupyter_mltrack.tracking.batching import BATCHER, MetricBatcher


class RecordingStore:
    """Stands in for a TrackingStore: records log_metric_points calls, optionally slow/failing."""

    def __init__(self, *, delay: float = 0.0, fail_for: str | None = None) -> None:
        self.uri = "memory://recording"
        self.calls: list[tuple[str, list[tuple[str, float, int, int]]]] = []
        self.delay = delay
        self.fail_for = fail_for
        self.lock = threading.Lock()

    def log_metric_points(self, run_id: str, points: Sequence[tuple[str, float, int, int]]) -> None:
        if self.delay:
            time.sleep(self.delay)
        if run_id == self.fail_for:
            raise InvalidStateError(f"Run {run_id!r} is deleted")
        with self.lock:
            self.calls.append((run_id, list(points)))

    def points(self, run_id: str | None = None) -> list[tuple[str, float, int, int]]:
        with self.lock:
            return [p for r, pts in self.calls for p in pts if run_id in (None, r)]


def wait_for(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def batcher() -> Any:
    made = MetricBatcher(interval=0.05, threshold=1000, max_pending=5000, chunk=700)
    yield made
    made.close()


def test_flush_groups_points_per_store_and_run_in_order(batcher: MetricBatcher) -> None:
    a, b = RecordingStore(), RecordingStore()
    for i in range(3):
        batcher.add(a, "r1", "m", float(i), 100 + i, i)  # type: ignore[arg-type]
        batcher.add(a, "r2", "m", float(-i), 100 + i, i)  # type: ignore[arg-type]
        batcher.add(b, "r1", "x", 1.0, 5, 0)  # type: ignore[arg-type]
    batcher.flush()
    assert batcher.pending() == 0
    assert a.points("r1") == [("m", float(i), 100 + i, i) for i in range(3)]
    assert a.points("r2") == [("m", float(-i), 100 + i, i) for i in range(3)]
    assert b.points() == [("x", 1.0, 5, 0)] * 3


def test_flush_writes_in_chunks(batcher: MetricBatcher) -> None:
    store = RecordingStore()
    for i in range(1500):
        batcher.add(store, "r", "m", float(i), i, i)  # type: ignore[arg-type]
    batcher.flush()
    assert [len(points) for _, points in store.calls] == [700, 700, 100]
    assert [p[1] for p in store.points()] == [float(i) for i in range(1500)]


def test_points_are_written_in_background_within_the_interval(batcher: MetricBatcher) -> None:
    store = RecordingStore()
    batcher.add(store, "r", "m", 1.0, 1, 0)  # type: ignore[arg-type]
    assert wait_for(lambda: len(store.points()) == 1, timeout=2.0)
    # idle again, then a second burst is also written without any flush
    batcher.add(store, "r", "m", 2.0, 2, 1)  # type: ignore[arg-type]
    assert wait_for(lambda: len(store.points()) == 2, timeout=2.0)


def test_threshold_wakes_the_writer_before_the_interval() -> None:
    batcher = MetricBatcher(interval=60.0, threshold=100, max_pending=10_000)
    store = RecordingStore()
    try:
        for i in range(99):
            batcher.add(store, "r", "m", float(i), i, i)  # type: ignore[arg-type]
        time.sleep(0.2)
        assert store.points() == []  # below threshold, interval not reached
        batcher.add(store, "r", "m", 99.0, 99, 99)  # type: ignore[arg-type]
        assert wait_for(lambda: len(store.points()) == 100, timeout=5.0)
    finally:
        batcher.close()


def test_back_pressure_bounds_the_buffer() -> None:
    batcher = MetricBatcher(interval=0.01, threshold=200, max_pending=1000, chunk=500)
    store = RecordingStore(delay=0.02)
    peak = 0
    try:
        for i in range(20_000):
            batcher.add(store, "r", "m", float(i), i, i)  # type: ignore[arg-type]
            peak = max(peak, batcher.pending())
        batcher.flush()
    finally:
        batcher.close()
    assert peak <= 1000
    assert len(store.points()) == 20_000


def test_flush_waits_for_a_write_in_progress() -> None:
    batcher = MetricBatcher(interval=0.0, threshold=1, max_pending=10_000)
    store = RecordingStore(delay=0.3)
    try:
        batcher.add(store, "r", "m", 1.0, 1, 0)  # type: ignore[arg-type]
        assert wait_for(lambda: batcher.pending() == 0)  # popped by the writer, not yet stored
        batcher.flush()
        assert len(store.points()) == 1
    finally:
        batcher.close()


def test_failed_write_is_kept_chained_and_reported_once(
    batcher: MetricBatcher, caplog: pytest.LogCaptureFixture
) -> None:
    store = RecordingStore(fail_for="bad")
    batcher.add(store, "bad", "m", 1.0, 1, 0)  # type: ignore[arg-type]
    batcher.add(store, "good", "m", 2.0, 1, 0)  # type: ignore[arg-type]
    batcher.flush()
    assert store.points("good") == [("m", 2.0, 1, 0)]  # other runs are unaffected
    batcher.add(store, "bad", "m", 3.0, 1, 0)  # type: ignore[arg-type]
    batcher.flush()  # a second failure while the first is unreported: logged, not lost
    assert any("'bad'" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    with pytest.raises(StoreError, match=r"1 metric point.*'bad'.*memory://recording") as info:
        batcher.raise_error()
    assert isinstance(info.value.__cause__, InvalidStateError)
    batcher.raise_error()  # cleared


def test_closed_batcher_writes_inline() -> None:
    batcher = MetricBatcher(interval=60.0, threshold=10_000)
    store = RecordingStore()
    batcher.close()
    batcher.add(store, "r", "m", 1.0, 1, 0)  # type: ignore[arg-type]
    assert store.points() == [("m", 1.0, 1, 0)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_starts_with_empty_buffer_and_working_writer() -> None:
    store = RecordingStore()
    BATCHER.flush()
    BATCHER.take_error()
    BATCHER._write_lock.acquire()  # a parent thread holding the lock at fork time
    try:
        BATCHER._queue.append((store, "r", ("m", 1.0, 1, 0)))  # type: ignore[arg-type]
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                code |= 1 if BATCHER.pending() != 0 else 0
                BATCHER.add(store, "c", "m", 2.0, 2, 0)  # type: ignore[arg-type]
                BATCHER.flush()  # would deadlock on the parent's lock without the fork hook
                code |= 2 if store.points() != [("m", 2.0, 2, 0)] else 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    finally:
        BATCHER._write_lock.release()
    BATCHER.flush()
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.points() == [("m", 1.0, 1, 0)]  # the parent's point, written once, by the parent


def run_script(code: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_atexit_flushes_and_finishes_runs_in_a_subprocess(tmp_path: Path) -> None:
    db = tmp_path / "exit.db"
    done = run_script(
        f"""
        import jupyter_mltrack as mlt
        mlt.set_tracking_uri({str(db)!r})
        run = mlt.start_run()
        for i in range(1000):
            mlt.log_metric("loss", i / 1000, step=i)
        print(run.run_id)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    client = TrackingClient(db)
    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == list(range(1000))
    assert client.get_run(run_id).info.status is RunStatus.FINISHED


def test_atexit_reports_a_writer_failure(tmp_path: Path) -> None:
    db = tmp_path / "fail.db"
    done = run_script(
        f"""
        import jupyter_mltrack as mlt
        mlt.set_tracking_uri({str(db)!r})
        run = mlt.start_run()
        mlt.TrackingClient().delete_run(run.run_id)
        mlt.log_metric("loss", 1.0)
        """,
        tmp_path,
    )
    assert "StoreError" in done.stderr and "dropped" in done.stderr


@pytest.mark.slow
def test_memory_stays_bounded_while_logging_a_million_points(tmp_path: Path) -> None:
    done = run_script(
        f"""
        import resource, jupyter_mltrack as mlt
        mlt.set_tracking_uri({str(tmp_path / "mem.db")!r})
        with mlt.start_run():
            mlt.log_metric("warm", 1.0)
            mlt.flush()
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            for i in range(1_000_000):
                mlt.log_metric("loss", i * 1e-6, step=i)
            mlt.flush()
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) // 1024)
        """,
        tmp_path,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr
    grown_mb = int(done.stdout.strip())
    assert grown_mb < 100, f"peak RSS grew by {grown_mb} MB"
