"""Run liveness: owner tags on every fluent run, one heartbeat timer, and the sweep's rules."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack import RunStatus, TrackingClient
from jupyter_mltrack.tracking import _process, heartbeat, liveness
from jupyter_mltrack.tracking.heartbeat import HEARTBEAT, KILLED_REASON
from jupyter_mltrack.tracking.liveness import (
    OWNER_HOST,
    OWNER_PID,
    OWNER_PID_NAMESPACE,
    OWNER_START_TIME,
    sweep_runs,
)

HOST = socket.gethostname()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TrackingClient]:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    mlt.set_tracking_uri(uri)
    yield TrackingClient(uri)
    liveness.join_sweeps(30)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process on this host that is not the test process."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    yield proc
    proc.kill()
    proc.wait()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def owned_run(
    client: TrackingClient,
    pid: int,
    *,
    host: str = HOST,
    beat_age: float = 0,
    start_time: float | None = None,
    namespace: str | None = None,
) -> str:
    """A RUNNING run as a process would have left it (owner tags and a heartbeat)."""
    tags = {OWNER_HOST: host, OWNER_PID: str(pid), HEARTBEAT: str(int(time.time() - beat_age))}
    start = start_time if start_time is not None else _process.start_time(pid)
    if start is not None:
        tags[OWNER_START_TIME] = f"{start:.2f}"
    if namespace is not None:
        tags[OWNER_PID_NAMESPACE] = namespace
    return client.create_run("0", tags=tags).info.run_id


def status(client: TrackingClient, run_id: str) -> RunStatus:
    return client.get_run(run_id).info.status


def test_every_fluent_run_records_its_owner_and_is_beaten_while_active(
    client: TrackingClient,
) -> None:
    with mlt.start_run() as run:
        tags = client.get_run(run.run_id).data.tags
        assert tags[OWNER_HOST] == HOST and tags[OWNER_PID] == str(os.getpid())
        assert float(tags[OWNER_START_TIME]) == _process.start_time(os.getpid())
        assert abs(int(tags[HEARTBEAT]) - time.time()) < 60
        with mlt.start_run(nested=True) as child:
            assert {run.run_id, child.run_id} <= set(heartbeat.tracked_runs())
        assert child.run_id not in heartbeat.tracked_runs()
    assert run.run_id not in heartbeat.tracked_runs()
    # An ended run needs no heartbeat, and sweeps walk only the runs that have one.
    assert HEARTBEAT not in client.get_run(run.run_id).data.tags
    assert client.get_run(run.run_id).data.tags[OWNER_PID] == str(os.getpid())


def count_write_transactions(store: object, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the SQL store's write transactions from now on (each commits once, or rolls back).

    Counted where the store opens them: on SQLite they begin and commit on the driver connection,
    past SQLAlchemy's transaction events.
    """
    opened: list[int] = []
    write = store._write  # type: ignore[attr-defined]

    def counted() -> object:
        opened.append(1)
        return write()

    monkeypatch.setattr(store, "_write", counted)
    return opened


def test_ending_a_fluent_run_drops_its_heartbeat_in_the_same_transaction(
    client: TrackingClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small fluent run commits four times in all; ending it used to commit twice (the status,
    # then the heartbeat tag), a tenth of the run's time.
    run = mlt.start_run()
    mlt.log_param("p", "1")
    commits = count_write_transactions(run.store, monkeypatch)
    mlt.end_run()
    assert len(commits) == 1
    ended = client.get_run(run.run_id)
    assert ended.info.status is RunStatus.FINISHED and ended.info.end_time is not None
    assert HEARTBEAT not in ended.data.tags
    assert ended.data.tags[OWNER_PID] == str(os.getpid())  # only the heartbeat goes


def test_ending_a_deleted_fluent_run_raises_and_keeps_its_tags(client: TrackingClient) -> None:
    run = mlt.start_run()
    client.delete_run(run.run_id)
    with pytest.raises(mlt.errors.InvalidStateError, match="deleted"):
        mlt.end_run()
    assert run.run_id not in heartbeat.tracked_runs()
    kept = client.get_run(run.run_id)
    assert kept.info.status is RunStatus.RUNNING and HEARTBEAT in kept.data.tags


def test_one_timer_beats_all_runs_of_a_store_in_one_transaction(
    client: TrackingClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = [owned_run(client, os.getpid(), beat_age=100) for _ in range(3)]
    store = client.store
    commits = count_write_transactions(store, monkeypatch)
    for run_id in runs:
        heartbeat.track(store, run_id)
    try:
        heartbeat.beat_now()
    finally:
        for run_id in runs:
            heartbeat.untrack(run_id)
    assert len(commits) == 1
    beats = {int(client.get_run(r).data.tags[HEARTBEAT]) for r in runs}
    assert all(abs(beat - time.time()) < 60 for beat in beats)
    names = [t.name for t in threading.enumerate()]
    assert names.count("mltrack-heartbeat") == 1


def test_a_live_owner_on_this_host_is_never_overruled_by_a_stale_heartbeat(
    client: TrackingClient, sleeper: subprocess.Popen[bytes]
) -> None:
    run_id = owned_run(client, sleeper.pid, beat_age=10_000)
    assert sweep_runs(client.store, timeout=1) == []
    assert status(client, run_id) is RunStatus.RUNNING


def test_a_gone_owner_on_this_host_ends_its_run_killed_whatever_its_heartbeat(
    client: TrackingClient,
) -> None:
    pid = dead_pid()
    run_id = owned_run(client, pid, beat_age=0, start_time=time.time() - 5)
    ((killed, reason),) = sweep_runs(client.store)
    assert killed == run_id
    run = client.get_run(run_id)
    assert run.info.status is RunStatus.KILLED and run.info.end_time is not None
    assert reason == run.data.tags[KILLED_REASON]
    assert reason == f"owner process gone: pid {pid} on {HOST} is no longer running"


def test_an_owner_that_exited_but_was_not_reaped_is_gone(client: TrackingClient) -> None:
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 30
        while _process.exists(zombie.pid):  # exited, not yet waited for: a zombie
            assert time.monotonic() < deadline, "the child did not exit"
            time.sleep(0.05)
        run_id = owned_run(client, zombie.pid, start_time=time.time())
        assert [r for r, _ in sweep_runs(client.store)] == [run_id]
    finally:
        zombie.wait()


def test_a_reused_pid_is_not_mistaken_for_the_owner(
    client: TrackingClient, sleeper: subprocess.Popen[bytes]
) -> None:
    started = _process.start_time(sleeper.pid)
    assert started is not None
    run_id = owned_run(client, sleeper.pid, start_time=started - 3600)  # an earlier process
    assert [r for r, _ in sweep_runs(client.store)] == [run_id]


def test_elsewhere_only_a_stale_heartbeat_counts(client: TrackingClient) -> None:
    pid = dead_pid()
    stale = owned_run(client, pid, host="another-host", beat_age=600)
    fresh = owned_run(client, pid, host="another-host", beat_age=0)
    # Same host name, another pid namespace (a container sharing the host's name): elsewhere.
    container = owned_run(client, pid, beat_age=0, namespace="1")
    killed = dict(sweep_runs(client.store, timeout=300))
    assert list(killed) == [stale]
    assert killed[stale].startswith("heartbeat stale: last beat 6")
    assert killed[stale].endswith(f"(owner pid {pid} on another-host)")
    assert status(client, fresh) is RunStatus.RUNNING
    assert status(client, container) is RunStatus.RUNNING


def test_runs_without_a_heartbeat_are_never_touched(client: TrackingClient) -> None:
    plain = client.create_run("0").info.run_id  # e.g. created over REST by an MLflow client
    owner_only = client.create_run("0", tags={OWNER_HOST: "x", OWNER_PID: "1"}).info.run_id
    assert sweep_runs(client.store, timeout=0.1) == []
    assert status(client, plain) is status(client, owner_only) is RunStatus.RUNNING


def test_liveness_off_records_nothing_and_sweeps_nothing(
    client: TrackingClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = owned_run(client, dead_pid())
    monkeypatch.setenv("MLTRACK_RUN_LIVENESS", "off")
    with mlt.start_run() as run:
        assert OWNER_PID not in client.get_run(run.run_id).data.tags
        assert run.run_id not in heartbeat.tracked_runs()
    liveness.join_sweeps(30)
    assert sweep_runs(client.store) == []
    assert status(client, dead) is RunStatus.RUNNING


def test_the_first_run_started_in_a_store_sweeps_it_once_per_process(
    client: TrackingClient,
) -> None:
    first = owned_run(client, dead_pid())
    with mlt.start_run():
        liveness.join_sweeps(30)
        assert status(client, first) is RunStatus.KILLED
        second = owned_run(client, dead_pid())
        with mlt.start_run(nested=True):
            liveness.join_sweeps(30)
    assert status(client, second) is RunStatus.RUNNING  # gc or the server take it from here


RESUME = """
import os, sys
import jupyter_mltrack as mlt
from jupyter_mltrack.tracking.liveness import OWNER_PID
run = mlt.start_run()
print(mlt.get_run(run.run_id).data.tags[OWNER_PID])
os._exit(0)  # leave the run as it is
"""


@pytest.mark.parametrize("owner", ["parent", "gone"])
def test_resuming_takes_ownership_unless_a_live_ancestor_owns_the_run(
    client: TrackingClient, owner: str
) -> None:
    pid = os.getpid() if owner == "parent" else dead_pid()
    run_id = owned_run(client, pid)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    env.update(MLTRACK_TRACKING_URI=client.tracking_uri, MLTRACK_RUN_ID=run_id)
    done = subprocess.run(
        [sys.executable, "-c", RESUME], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    recorded = int(done.stdout.split()[-1])
    if owner == "parent":  # e.g. `mltrack run` and the papermill kernel it started
        assert recorded == os.getpid()
    else:
        assert recorded not in (pid, os.getpid())


def test_own_run_records_the_owner_beats_and_drops_the_heartbeat_after(
    client: TrackingClient,
) -> None:
    run_id = client.create_run("0").info.run_id  # as `mltrack run` creates a project run
    with liveness.own_run(client, run_id):
        with liveness.own_run(client, run_id):  # nested (launch and runner both own it)
            pass
        assert run_id in heartbeat.tracked_runs(), "the inner block must not end the outer"
        tags = client.get_run(run_id).data.tags
        assert tags[OWNER_PID] == str(os.getpid()) and HEARTBEAT in tags
    assert run_id not in heartbeat.tracked_runs()
    assert HEARTBEAT not in client.get_run(run_id).data.tags
