"""Asynchronous project runs: ``run(..., synchronous=False)`` returns a SubmittedRun."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from test_project_spec import write_notebook

from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.projects import SubmittedRun, run
from jupyter_mltrack.tracking.client import TrackingClient

#: Each step writes its marker, then waits (up to 60 s) for the other's: only steps that run
#: at the same time both finish in time; run one after the other, the first one fails.
BARRIER = """\
import os, sys, time
me, other = sys.argv[2], sys.argv[4]  # --me <path> --other <path>
open(me, "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(other):
    if time.monotonic() > deadline:
        sys.exit("the other step never started")
    time.sleep(0.05)
"""


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackingClient:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    return TrackingClient(uri)


@pytest.mark.slow
def test_independent_steps_run_in_parallel(tmp_path: Path, client: TrackingClient) -> None:
    (tmp_path / "barrier.py").write_text(BARRIER)
    a, b = str(tmp_path / "a.marker"), str(tmp_path / "b.marker")
    first = run(tmp_path, "barrier.py", {"me": a, "other": b}, synchronous=False)
    second = run(tmp_path, "barrier.py", {"me": b, "other": a}, synchronous=False)
    assert isinstance(first, SubmittedRun) and first.info.status == "RUNNING"
    assert first.wait() and second.wait()
    assert first.get_status() == second.get_status() == RunStatus.FINISHED
    assert first.error is None


@pytest.mark.slow
def test_failed_step_waits_false_with_its_error(tmp_path: Path, client: TrackingClient) -> None:
    (tmp_path / "fail.sh").write_text("exit 4\n")
    submitted = run(tmp_path, "fail.sh", synchronous=False)
    assert submitted.wait() is False
    assert submitted.get_status() == RunStatus.FAILED
    assert submitted.error is not None and "status 4" in submitted.error.message


@pytest.mark.slow
def test_cancel_kills_the_process_tree_and_ends_killed(
    tmp_path: Path, client: TrackingClient
) -> None:
    pid_file = tmp_path / "child.pid"
    (tmp_path / "hang.sh").write_text(f"sleep 300 &\necho $! > {pid_file}\nwait\n")
    submitted = run(tmp_path, "hang.sh", synchronous=False)
    _wait_for(pid_file.exists)
    assert submitted.get_status() == RunStatus.RUNNING
    assert submitted.wait(timeout=0.2) is False  # still running
    submitted.cancel()
    assert submitted.get_status() == RunStatus.KILLED
    tags = client.get_run(submitted.run_id).data.tags
    assert tags["mltrack.project.failureReason"] == "cancelled"
    _wait_for(lambda: not _alive(int(pid_file.read_text())))
    assert submitted.wait() is False
    submitted.cancel()  # a no-op once it ended
    assert submitted.get_status() == RunStatus.KILLED


@pytest.mark.slow
@pytest.mark.kernel
def test_cancel_stops_a_notebook_run(tmp_path: Path, client: TrackingClient) -> None:
    started = tmp_path / "started"
    write_notebook(
        tmp_path / "main.ipynb", "x = 1", f"open({str(started)!r}, 'w').close()",
        "import time\ntime.sleep(300)",
    )  # fmt: skip
    submitted = run(tmp_path, synchronous=False)
    _wait_for(started.exists)
    submitted.cancel()
    assert submitted.get_status() == RunStatus.KILLED
    assert submitted.wait() is False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(condition: object, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)
