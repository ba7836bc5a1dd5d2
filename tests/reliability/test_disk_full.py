"""Suite case 4: the store and its artifact folder on a small tmpfs that fills up.

A full disk gives a clear ``StoreError`` at the next call (SQLite's "database or disk is full"
and an artifact write's ENOSPC, both explained), the store stays readable, no partial artifact
is visible, and once space is back the run is ended normally. Real tmpfs (the tests run as
root; see ``mounts.py`` for where mounting is impossible).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from mounts import small_tmpfs
from reliability_figures import report

import jupyter_mltrack as mlt
from jupyter_mltrack.artifacts.base import TEMP_PREFIX
from jupyter_mltrack.entities import Metric
from jupyter_mltrack.errors import StoreError
from jupyter_mltrack.store.sql.store import SqlStore
from jupyter_mltrack.tracking.client import TrackingClient

POINTS_BEFORE = 2_000
POINTS_WHILE_FULL = 5_000


def _fill(disk: Path) -> Path:
    """Write a filler file until the disk is full; return it (remove it to get space back)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    try:  # the last few blocks
        while True:
            os.write(fd, b"\0" * 512)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def _temp_files(disk: Path) -> list[Path]:
    return list(disk.rglob(f"{TEMP_PREFIX}*"))


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "disk", size="2m") as mounted:
        yield mounted


def test_a_full_disk_fails_clearly_and_the_run_ends_once_space_is_back(disk: Path) -> None:
    cpu = time.process_time()
    uri = f"sqlite:///{disk / 'mltrack.db'}"
    mlt.set_tracking_uri(uri)
    run = mlt.start_run()
    run_id = run.info.run_id
    for step in range(POINTS_BEFORE):
        mlt.log_metric("before", float(step), step=step)
    mlt.log_text("kept", "notes/kept.txt")
    mlt.flush()
    filler = _fill(disk)

    # An artifact write hits ENOSPC: our error, and nothing half-written is visible.
    big = disk.parent / "big.bin"
    big.write_bytes(os.urandom(300_000))
    with pytest.raises(StoreError, match="No space left on the disk holding") as artifact_error:
        mlt.log_artifact(str(big), "outputs")
    assert "Free some space" in str(artifact_error.value)
    client = TrackingClient(uri)
    assert [f.path for f in client.list_artifacts(run_id, "outputs")] == []
    assert _temp_files(disk) == []

    # Metrics: the background writer's failure surfaces at the next call, explained.
    attempted = 0
    with pytest.raises(StoreError, match="is full") as metric_error:
        for step in range(POINTS_WHILE_FULL):
            mlt.log_metric("while_full", float(step), step=step)
            attempted += 1
        mlt.flush()
    assert str(disk / "mltrack.db") in str(metric_error.value)
    # Written through (no batching): the error is raised by the call itself.
    with pytest.raises(StoreError, match="Free some space"):
        points = [Metric(key=f"sync{i % 50}", value=1.0, timestamp=0, step=i) for i in range(3000)]
        client.log_batch(run_id, metrics=points)
    # A new store on the full disk cannot even be created: the same clear error.
    with pytest.raises(StoreError, match="is full"):
        SqlStore(f"sqlite:///{disk / 'other' / 'mltrack.db'}")

    # The store stays readable while the disk is full.
    reader = TrackingClient(uri)
    found_before = len(reader.get_metric_history(run_id, "before"))
    assert found_before == POINTS_BEFORE
    assert reader.get_run(run_id).info.status == "RUNNING"
    assert reader.download_artifacts(run_id, "notes/kept.txt").endswith("kept.txt")

    # Space is back: the run ends normally, and logging works again.
    filler.unlink()
    freed = time.perf_counter()
    late_reports = 0
    try:
        mlt.end_run()
    except StoreError as exc:
        # Batches queued before space came back failed too: end_run ends the run first, then
        # reports those dropped points rather than forget them.
        assert "could not store" in str(exc) and "is full" in str(exc)
        late_reports = 1
    recover_s = time.perf_counter() - freed
    client.log_artifact(run_id, str(big), "outputs")
    assert reader.get_run(run_id).info.status == "FINISHED"
    assert [f.path for f in reader.list_artifacts(run_id, "outputs")] == ["outputs/big.bin"]
    stored = reader.download_artifacts(run_id, "outputs/big.bin")
    assert Path(stored).read_bytes() == big.read_bytes()
    engine = sa.create_engine(uri)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
    stored_while_full = len(reader.get_metric_history(run_id, "while_full"))
    report(
        "disk-full",
        points_before=POINTS_BEFORE,
        found_before=found_before,
        lost_before=POINTS_BEFORE - found_before,
        logged_while_full=attempted,
        stored_while_full=stored_while_full,
        late_error_reports=late_reports,
        partial_artifacts=len(_temp_files(disk)),
        recover_s=recover_s,
        cpu_s=time.process_time() - cpu,
    )
