"""``mltrack server`` ends runs whose client process died: a stale heartbeat from another host,
or an owner on the server's own host that is gone; never a run without a heartbeat, never a run
whose owner on this host lives."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from serverproc import mltrack_server

from jupyter_mltrack import RunStatus, TrackingClient
from jupyter_mltrack.tracking.heartbeat import HEARTBEAT, KILLED_REASON
from jupyter_mltrack.tracking.liveness import OWNER_HOST, OWNER_PID

pytestmark = [pytest.mark.server, pytest.mark.slow]


def _tags(host: str, pid: int, beat_age: float) -> dict[str, str]:
    return {OWNER_HOST: host, OWNER_PID: str(pid), HEARTBEAT: str(int(time.time() - beat_age))}


def _wait_killed(client: TrackingClient, run_id: str, output: object) -> None:
    deadline = time.monotonic() + 60
    while client.get_run(run_id).info.status is not RunStatus.KILLED:
        assert time.monotonic() < deadline, f"run {run_id} was not swept:\n{output}"
        time.sleep(0.2)


def test_server_sweeps_at_start_and_periodically(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    before = TrackingClient(db).create_run("0", tags=_tags("gone-host", 1, 600)).info.run_id
    args = ("--backend-store-uri", db, "--artifacts-destination", str(tmp_path / "artifacts"))
    env = {"MLTRACK_HEARTBEAT_TIMEOUT": "1"}  # stale after 1 s; the server sweeps every 1 s
    with mltrack_server(*args, cwd=tmp_path, env=env) as server:
        remote = TrackingClient(server.url)
        _wait_killed(remote, before, server.output())
        assert remote.get_run(before).data.tags[KILLED_REASON].startswith("heartbeat stale")
        # Created through the server while it runs, as remote clients do.
        plain = remote.create_run("0").info.run_id  # no heartbeat: an MLflow client, say
        host = socket.gethostname()
        alive = remote.create_run("0", tags=_tags(host, os.getpid(), 600)).info.run_id
        stale = remote.create_run("0", tags=_tags("gone-host", 1, 600)).info.run_id
        _wait_killed(remote, stale, server.output())
        # The sweep that ended `stale` saw the other two as well.
        assert remote.get_run(plain).info.status is RunStatus.RUNNING
        assert remote.get_run(alive).info.status is RunStatus.RUNNING
