"""One heartbeat thread serves every tracked cell of the kernel; a cell adds no thread."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from jupyter_mltrack.notebook.kernel_heartbeat import beating
from jupyter_mltrack.tracking.client import TrackingClient
from jupyter_mltrack.tracking.heartbeat import HEARTBEAT, KERNEL_PID


def _heartbeat(client: TrackingClient, run_id: str) -> int:
    return int(client.get_run(run_id).data.tags[HEARTBEAT])


def test_running_cells_beat_and_finished_ones_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLTRACK_HEARTBEAT_INTERVAL", "0.05")
    client = TrackingClient(f"sqlite:///{tmp_path / 'db.sqlite'}")
    old = str(int(time.time()) - 100)
    tags = {KERNEL_PID: str(os.getpid()), HEARTBEAT: old}
    run_id = client.create_run("0", tags=tags).info.run_id
    with beating(client, run_id):
        deadline = time.monotonic() + 10
        while _heartbeat(client, run_id) == int(old) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _heartbeat(client, run_id) > int(old)
    threads = threading.active_count()
    client.set_tag(run_id, HEARTBEAT, old)
    time.sleep(0.3)
    assert _heartbeat(client, run_id) == int(old), "a finished cell's run is no longer beaten"
    with beating(client, run_id):
        assert threading.active_count() == threads, "the kernel's one thread is reused"
