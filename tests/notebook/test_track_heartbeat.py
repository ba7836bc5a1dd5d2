"""Heartbeat and the sweep of runs whose kernel died, in-process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.tracking.client import TrackingClient
from jupyter_mltrack.tracking.heartbeat import (
    HEARTBEAT,
    KERNEL_HOST,
    KERNEL_PID,
    KILLED_REASON,
    Heartbeat,
    sweep_dead_runs,
)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _run(client: TrackingClient, pid: int, *, host: str | None = None, age: float = 3600) -> str:
    tags = {
        KERNEL_PID: str(pid),
        KERNEL_HOST: host or socket.gethostname(),
        HEARTBEAT: str(int(time.time() - age)),
    }
    return client.create_run("0", tags=tags).info.run_id


def test_sweep_kills_only_stale_runs_of_dead_kernels_on_this_host(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = TrackingClient(f"sqlite:///{tmp_path / 'db.sqlite'}")
    dead = _dead_pid()
    stale_dead = _run(client, dead)
    fresh_dead = _run(client, dead, age=0)
    alive = _run(client, os.getpid())
    elsewhere = _run(client, dead, host="another-host")
    finished = _run(client, dead)
    client.set_terminated(finished, RunStatus.FINISHED)
    assert sweep_dead_runs(client, stale_after=60) == [stale_dead]
    run = client.get_run(stale_dead)
    assert run.info.status is RunStatus.KILLED
    assert run.data.tags[KILLED_REASON] == "kernel process gone, heartbeat stale"
    for run_id in (fresh_dead, alive, elsewhere):
        assert client.get_run(run_id).info.status is RunStatus.RUNNING
    assert client.get_run(finished).info.status is RunStatus.FINISHED


def test_heartbeat_refreshes_tag_until_exit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = TrackingClient(f"sqlite:///{tmp_path / 'db.sqlite'}")
    run_id = _run(client, os.getpid(), age=100)
    before = client.get_run(run_id).data.tags[HEARTBEAT]
    with Heartbeat(client, run_id, interval=0.05):
        time.sleep(0.3)
    after = client.get_run(run_id).data.tags[HEARTBEAT]
    assert int(after) > int(before)
