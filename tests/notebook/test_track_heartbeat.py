"""Runs of kernels that died: the sweep still honours the tags kernels wrote before every run
recorded its owner (``mltrack.kernel.pid`` / ``.host``), and the process timer beats."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.tracking import heartbeat
from jupyter_mltrack.tracking.client import TrackingClient
from jupyter_mltrack.tracking.heartbeat import (
    HEARTBEAT,
    KERNEL_HOST,
    KERNEL_PID,
    KILLED_REASON,
    beating,
)
from jupyter_mltrack.tracking.liveness import sweep_dead_runs


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _legacy_run(
    client: TrackingClient, pid: int, *, host: str | None = None, age: float = 3600
) -> str:
    tags = {
        KERNEL_PID: str(pid),
        KERNEL_HOST: host or socket.gethostname(),
        HEARTBEAT: str(int(time.time() - age)),
    }
    return client.create_run("0", tags=tags).info.run_id


def test_sweep_ends_legacy_kernel_runs_whose_kernel_is_gone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = TrackingClient(f"sqlite:///{tmp_path / 'db.sqlite'}")
    dead = _dead_pid()
    stale_dead = _legacy_run(client, dead)
    fresh_dead = _legacy_run(client, dead, age=0)  # same host: a gone pid is enough
    alive = _legacy_run(client, os.getpid())  # stale, but its kernel lives
    elsewhere_fresh = _legacy_run(client, dead, host="another-host", age=0)
    finished = _legacy_run(client, dead)
    client.set_terminated(finished, RunStatus.FINISHED)
    assert sorted(sweep_dead_runs(client, stale_after=60)) == sorted([stale_dead, fresh_dead])
    run = client.get_run(stale_dead)
    assert run.info.status is RunStatus.KILLED
    assert run.data.tags[KILLED_REASON] == (
        f"kernel process gone: pid {dead} on {socket.gethostname()} is no longer running"
    )
    for run_id in (alive, elsewhere_fresh):
        assert client.get_run(run_id).info.status is RunStatus.RUNNING
    assert client.get_run(finished).info.status is RunStatus.FINISHED


def test_beating_refreshes_the_tag_until_exit(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MLTRACK_HEARTBEAT_INTERVAL", "0.05")
    client = TrackingClient(f"sqlite:///{tmp_path / 'db.sqlite'}")
    run_id = _legacy_run(client, os.getpid(), age=100)
    before = client.get_run(run_id).data.tags[HEARTBEAT]
    with beating(client, run_id):
        assert run_id in heartbeat.tracked_runs()
        deadline = time.monotonic() + 10
        while client.get_run(run_id).data.tags[HEARTBEAT] == before:
            assert time.monotonic() < deadline, "no heartbeat within 10 s"
            time.sleep(0.05)
    assert run_id not in heartbeat.tracked_runs()
