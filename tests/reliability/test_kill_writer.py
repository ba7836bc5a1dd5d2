"""Suite case 1: kill -9 of a process logging 100,000 points through the fluent API.

The child logs with the background writer and writes a progress marker (last step logged, wall
time) every 100 points, so the test knows which points were logged more than a second before the
kill: every one of those must be in the store. Afterwards the SQLite file must be intact, and the
run (left RUNNING by the dead process) must end KILLED at the next ``mltrack gc`` and, for another
killed run, at the next process that opens the store for writing.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_figures import report

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.tracking.heartbeat import KILLED_REASON

pytestmark = pytest.mark.slow

POINTS = 100_000
KILL_AFTER = 50_000  # steps logged when the kill comes: mid-stream
SAFE_AGE_S = 1.0  # points logged longer ago than this before the kill must be stored

CHILD = f"""
import sys, time
import jupyter_mltrack as mlt
progress = open(sys.argv[1], "w", buffering=1)
run = mlt.start_run()
progress.write(f"run {{run.run_id}}\\n")
for step in range({POINTS}):
    mlt.log_metric("loss", step * 0.5, step=step)
    if step % 100 == 99:
        progress.write(f"{{step}} {{time.time():.4f}}\\n")
time.sleep(600)  # killed before, or here at the latest
"""


def _env(uri: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    return {**env, "MLTRACK_TRACKING_URI": uri}


def _markers(path: Path) -> tuple[str, list[tuple[int, float]]]:
    lines = path.read_text().splitlines() if path.exists() else []
    run_id = lines[0].split()[1] if lines else ""
    marks = []
    for line in lines[1:]:
        step, _, stamp = line.partition(" ")
        if step.isdigit() and stamp.strip():  # a line cut short by the kill is ignored
            marks.append((int(step), float(stamp)))
    return run_id, marks


def _kill_mid_stream(uri: str, progress: Path) -> tuple[str, list[tuple[int, float]], float]:
    """Start the child, SIGKILL it once it has logged KILL_AFTER points; return what it said."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(progress)], env=_env(uri))
    try:
        deadline = time.monotonic() + 120
        while not any(step >= KILL_AFTER for step, _ in _markers(progress)[1][-3:]):
            assert child.poll() is None, f"the child exited with {child.returncode}"
            assert time.monotonic() < deadline, "the child did not log in time"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        killed_at = time.time()
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    run_id, marks = _markers(progress)
    return run_id, marks, killed_at


def _check_points(
    uri: str, run_id: str, marks: list[tuple[int, float]], killed_at: float
) -> dict[str, float]:
    """Assert every point older than SAFE_AGE_S is stored exactly once; return the figures."""
    path = uri.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    history = TrackingClient(uri).get_metric_history(run_id, "loss")
    steps = [m.step for m in history]
    assert len(steps) == len(set(steps)), "a point was stored twice"
    assert all(m.value == m.step * 0.5 for m in history)
    safe = max((step for step, stamp in marks if stamp <= killed_at - SAFE_AGE_S), default=-1)
    stored = set(steps)
    missing = [step for step in range(safe + 1) if step not in stored]
    assert not missing, f"{len(missing)} points logged > {SAFE_AGE_S}s before the kill are lost"
    logged = marks[-1][0] + 1
    newest = max(stored, default=-1)
    # How long before the kill the newest stored point was logged (the data actually at risk).
    logged_newest = min((stamp for step, stamp in marks if step >= newest), default=killed_at)
    return {
        "points_logged": logged,
        "found": len(stored),
        "lost": logged - len(stored),
        "lost_older_than_1s": len(missing),
        "data_at_risk_s": round(killed_at - logged_newest, 3),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.parametrize("recovery", ["gc", "open"])
def test_kill_9_loses_at_most_the_last_second_and_the_run_ends_killed(
    tmp_path: Path, recovery: str
) -> None:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    run_id, marks, killed_at = _kill_mid_stream(uri, tmp_path / "progress.txt")
    started, cpu = time.monotonic(), time.process_time()
    assert TrackingClient(uri).get_run(run_id).info.status is RunStatus.RUNNING
    opened_s = time.monotonic() - started  # the store opens cleanly: no recovery step needed
    figures = _check_points(uri, run_id, marks, killed_at)
    cpu_before, started = _children_cpu(), time.monotonic()
    if recovery == "gc":
        command = [sys.executable, "-m", "jupyter_mltrack.cli.main", "gc"]
        done = subprocess.run(command, env=_env(uri), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"Marked run {run_id} KILLED" in done.stdout
    else:  # the next process to start a run in the store
        code = "import jupyter_mltrack as mlt\nwith mlt.start_run(): pass"
        done = subprocess.run(
            [sys.executable, "-c", code], env=_env(uri), capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    ended_s = time.monotonic() - started
    run = TrackingClient(uri).get_run(run_id)
    assert run.info.status is RunStatus.KILLED
    assert run.info.end_time is not None
    assert run.data.tags[KILLED_REASON].startswith("owner process gone")
    after = TrackingClient(uri).get_metric_history(run_id, "loss")
    assert len(after) == figures["found"], "ending the run changed its points"
    report(
        f"kill -9 writer ({recovery})",
        **figures,
        open_after_kill_s=round(opened_s, 3),
        killed_by_next_process_s=round(ended_s, 2),
        child_cpu_s=round(_children_cpu() - cpu_before, 2),
        test_cpu_s=round(time.process_time() - cpu, 2),
    )
