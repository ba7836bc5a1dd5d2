"""Offline logging: the fluent API keeps logging while the server is down; nothing is lost or
duplicated when it comes back, or when ``mltrack sync`` sends what a finished process left.

A real ``mltrack server`` on SQLite is stopped and started again on the same port; the client
is a real Python process using the fluent API, stepped through files in its working folder.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from reliability_figures import report
from serverproc import free_port, mltrack_server

pytestmark = [pytest.mark.server]

POINTS = 3000

CLIENT = r"""
import sys, time, pathlib
import jupyter_mltrack as mlt

folder, exit_offline = pathlib.Path(sys.argv[1]), sys.argv[2] == "exit"

def wait(name):
    while not (folder / name).exists():
        time.sleep(0.05)

run = mlt.start_run(run_name="offline")
(folder / "started").write_text(run.info.run_id)
wait("down")
for step in range(int(sys.argv[3])):
    mlt.log_metric("loss", step / 7, step=step)
mlt.log_param("lr", 0.5)
for value in ("1", "2", "3"):  # the order survives: the server ends with the last value
    mlt.set_tag("stage", value)
mlt.log_text("written offline\n", "notes/offline.txt")
mlt.flush()
(folder / "logged").write_text("yes")
if not exit_offline:
    wait("up")
mlt.end_run()
"""


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRACK_", "MLFLOW_"))}
    env.update(
        MLTRACK_TRACKING_URI=f"http://127.0.0.1:{port}",
        MLTRACK_OFFLINE_DIR=str(tmp_path / "offline"),
        MLTRACK_HTTP_REQUEST_MAX_RETRIES="1",
        MLTRACK_HTTP_REQUEST_BACKOFF_FACTOR="0.05",
        MLTRACK_OFFLINE_RETRY_SECONDS="0.2",
    )
    return env


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the client exited early:\n{proc.communicate()[1][-4000:]}")
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def _check_stored(db: str, artifacts: Path, run_id: str) -> dict[str, Any]:
    from jupyter_mltrack.store.sql.store import SqlStore

    store = SqlStore(db)
    try:
        run = store.get_run(run_id)
        steps = [m.step for m in store.get_metric_history(run_id, "loss")]
    finally:
        store.close()
    note = next(artifacts.rglob("notes/offline.txt"), None)
    assert run.info.status.value == "FINISHED"
    assert run.data.params == {"lr": "0.5"}
    assert run.data.tags["stage"] == "3"
    assert note is not None and note.read_text() == "written offline\n"
    found = len(set(steps))
    assert found == POINTS and len(steps) == POINTS, (found, len(steps))  # 0 lost, 0 duplicated
    return {"points_logged": POINTS, "found": found, "lost": POINTS - found,
            "duplicated": len(steps) - found}  # fmt: skip


def _offline_session(tmp_path: Path, exit_offline: bool) -> tuple[str, str, Any, float]:
    """Start a server, a client run, stop the server, let the client log; return its state."""
    port = free_port()
    db = f"sqlite:///{tmp_path / 'server.db'}"
    args = ("--backend-store-uri", db, "--artifacts-destination", str(tmp_path / "artifacts"))
    with mltrack_server(*args, cwd=tmp_path, port=port):
        proc = subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(tmp_path), "exit" if exit_offline else "stay",
             str(POINTS)],
            cwd=tmp_path, env=_env(tmp_path, port), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _wait_for(tmp_path / "started", proc)
    down = time.monotonic()
    (tmp_path / "down").write_text("yes")
    _wait_for(tmp_path / "logged", proc)
    return db, (tmp_path / "started").read_text(), (port, args, proc), down


def test_logging_while_the_server_is_down_arrives_once_when_it_is_back(tmp_path: Path) -> None:
    db, run_id, (port, args, proc), down = _offline_session(tmp_path, exit_offline=False)
    journal = next((tmp_path / "offline").glob("*/*.jsonl"))
    journaled = sum(1 for _ in journal.open())
    with mltrack_server(*args, cwd=tmp_path, port=port):
        up = time.monotonic()
        (tmp_path / "up").write_text("yes")
        _, stderr = proc.communicate(timeout=300)
        sent = time.monotonic()
    assert proc.returncode == 0, stderr[-4000:]
    assert stderr.count("OfflineLoggingWarning") == 1, stderr[-4000:]  # one clear warning
    assert "is logging offline to" in stderr and "mltrack sync" in stderr
    figures = _check_stored(db, tmp_path / "artifacts", run_id)
    assert not journal.exists() and not list(journal.parent.glob("*.artifacts"))
    report("offline journal: server back", **figures, journal_lines=journaled,
           offline_s=up - down, drain_s=sent - up)  # fmt: skip


def test_a_process_ending_offline_is_completed_by_mltrack_sync(tmp_path: Path) -> None:
    db, run_id, (port, args, proc), _ = _offline_session(tmp_path, exit_offline=True)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-4000:]
    assert "still in the offline journal" in stderr  # said at exit, with the way out
    journal = next((tmp_path / "offline").glob("*/*.jsonl"))
    files = journal.with_suffix(".artifacts")
    kept = tmp_path / "journal-copy.jsonl"
    shutil.copyfile(journal, kept)
    shutil.copytree(files, tmp_path / "artifacts-copy")
    env = _env(tmp_path, port)
    sync = [sys.executable, "-m", "jupyter_mltrack", "sync"]
    down = subprocess.run(sync, env=env, capture_output=True, text=True, check=False)
    assert down.returncode == 1 and "not sent" in down.stderr  # still down: nothing lost
    with mltrack_server(*args, cwd=tmp_path, port=port):
        started = time.monotonic()
        done = subprocess.run(sync, env=env, capture_output=True, text=True, check=False)
        took = time.monotonic() - started
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"run {run_id}: sent" in done.stdout
        # A crash between sending and counting: the whole journal is sent again, applied once.
        shutil.copyfile(kept, journal)
        shutil.copytree(tmp_path / "artifacts-copy", files)
        again = subprocess.run(sync, env=env, capture_output=True, text=True, check=False)
        assert again.returncode == 0, again.stdout + again.stderr
    figures = _check_stored(db, tmp_path / "artifacts", run_id)
    assert not journal.exists() and not files.exists()
    lines = sum(1 for _ in kept.open())
    report("offline journal: mltrack sync", **figures, journal_lines=lines, sync_s=took,
           resent_lines=lines)  # fmt: skip


def test_the_journal_stays_within_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_mltrack.entities import Param
    from jupyter_mltrack.errors import StoreError
    from jupyter_mltrack.store.rest import RestStore
    from jupyter_mltrack.store.rest.http import HttpClient
    from jupyter_mltrack.store.rest.offline_log import OfflineLoggingWarning

    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "offline"))
    monkeypatch.setenv("MLTRACK_OFFLINE_MAX_MB", "0.05")  # 52,428 bytes
    monkeypatch.setenv("MLTRACK_OFFLINE_RETRY_SECONDS", "3600")
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = RestStore(url, http=HttpClient(url, max_retries=0))
    assert store.offline is not None
    atexit.unregister(store.offline.close)  # the journal is left on purpose: no exit report
    kept = 0
    with (
        pytest.warns(OfflineLoggingWarning, match="logging offline"),
        pytest.raises(StoreError, match=r"offline journal .* is full") as refused,
    ):
        for index in range(1000):
            store.log_batch("a" * 32, params=[Param(key=f"p{index}", value="v" * 500)])
            kept += 1
    assert "mltrack sync" in str(refused.value) and "MLTRACK_OFFLINE_MAX_MB" in str(refused.value)
    folder = tmp_path / "offline"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    lines = [json.loads(line) for line in next(folder.glob("*/*.jsonl")).read_text().splitlines()]
    assert size <= 0.05 * 1024 * 1024
    assert len(lines) == kept > 0  # every accepted write is in the journal; the refused one not
    assert len({line["id"] for line in lines}) == kept
    report("offline journal: bound", bound_bytes=int(0.05 * 1024 * 1024), used_bytes=size,
           writes_kept=kept)  # fmt: skip


def test_offline_logging_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_mltrack.entities import Param
    from jupyter_mltrack.store.rest import RestStore
    from jupyter_mltrack.store.rest.http import HttpClient, ServerUnreachable

    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "offline"))
    monkeypatch.setenv("MLTRACK_OFFLINE_LOGGING", "false")
    url = f"http://127.0.0.1:{free_port()}"
    store = RestStore(url, http=HttpClient(url, max_retries=0))
    with pytest.raises(ServerUnreachable, match="Could not reach the tracking server"):
        store.log_batch("a" * 32, params=[Param(key="p", value="v")])
    assert not (tmp_path / "offline").exists()
