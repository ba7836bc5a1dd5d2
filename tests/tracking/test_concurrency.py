"""Several processes logging into one SQLite store at the same time lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from jupyter_mltrack import RunStatus, TrackingClient

WORKERS = 4
POINTS = 5000

WORKER = """
import os, sys, time
from pathlib import Path
import jupyter_mltrack as mlt

db, index, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
mlt.set_tracking_uri(db)
Path(f"{go}.ready{index}").touch()
while not go.exists():
    time.sleep(0.005)
with mlt.start_run(run_name=f"worker-{index}") as run:
    mlt.log_param("worker", index)
    for step in range(POINTS):
        mlt.log_metric("loss", step / POINTS, step=step)
        if step % 100 == 99:
            mlt.flush()  # many small write transactions, interleaved with the other processes
print(run.run_id)
"""


def start_workers(db: str, tmp_path: Path) -> list[subprocess.Popen[str]]:
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER).replace("POINTS", str(POINTS)))
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), db, str(i), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for i in range(WORKERS)
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"go.ready{i}").exists() for i in range(WORKERS)):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.touch()
    return procs


def check_all_stored(db: str, procs: list[subprocess.Popen[str]]) -> None:
    run_ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        assert "database is locked" not in err
        run_ids.append(out.strip())
    client = TrackingClient(db)
    total = 0
    for index, run_id in enumerate(run_ids):
        run = client.get_run(run_id)
        assert run.info.status is RunStatus.FINISHED
        assert run.data.params == {"worker": str(index)}
        steps = [m.step for m in client.get_metric_history(run_id, "loss")]
        assert steps == list(range(POINTS))
        total += len(steps)
    assert total == WORKERS * POINTS


@pytest.mark.slow
def test_four_processes_write_into_one_existing_store(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/shared.db"
    TrackingClient(db).search_experiments()  # the schema exists before the workers start
    check_all_stored(db, start_workers(db, tmp_path))


@pytest.mark.slow
def test_four_processes_create_and_write_a_fresh_store(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/fresh.db"
    check_all_stored(db, start_workers(db, tmp_path))
