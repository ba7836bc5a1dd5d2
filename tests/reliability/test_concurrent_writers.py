"""Suite case 2: 8 writer processes at once lose nothing and never see a lock error.

Eight real processes (``writer_process.py``) each log 20,000 metric points with
``TrackingClient.log_batch``: half into a run of their own, half into one run they all share
(distinct steps). They write straight into SQLite and into PostgreSQL, and through
``mltrack server --workers 4`` (on PostgreSQL and on SQLite). Afterwards every point is looked
up: none lost, none stored twice, and no call raised (a "database is locked" would be one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from reliability_figures import percentiles, report
from serverproc import mltrack_server

WRITERS = 8
POINTS = int(os.environ.get("MLTRACK_RELIABILITY_POINTS", "20000"))
BATCH = 500
SCRIPT = Path(__file__).with_name("writer_process.py")

pytestmark = pytest.mark.slow


def _database(backend: str, tmp_path: Path, server_database_uri: Any) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/writers.db"
    return str(server_database_uri(backend))


def _run_writers(uri: str, tmp_path: Path) -> tuple[str, list[dict[str, Any]], float]:
    """Start the writers, release them at once, and return the shared run and their reports."""
    from jupyter_mltrack import TrackingClient

    shared = TrackingClient(uri).create_run("0", run_name="shared").info.run_id
    start = tmp_path / "start"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRACK_", "MLFLOW_"))}
    args = [str(SCRIPT), uri, shared, "{i}", str(POINTS), str(BATCH), str(start)]
    procs = [
        subprocess.Popen(
            [sys.executable, *(a.format(i=i) for a in args)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WRITERS)
    ]
    time.sleep(1.0)  # let them import and open the store before the start signal
    began = time.monotonic()
    start.touch()
    outputs = [proc.communicate(timeout=900) for proc in procs]
    wall = time.monotonic() - began
    for proc, (_, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stderr[-4000:]
    return shared, [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs], wall


def _check_and_report(
    case: str, uri: str, shared: str, results: list[dict[str, Any]], wall: float
) -> None:
    from jupyter_mltrack import TrackingClient

    client = TrackingClient(uri)
    half = POINTS // 2
    shared_steps = Counter(m.step for m in client.get_metric_history(shared, "shared"))
    found = lost = duplicated = 0
    for index, result in enumerate(results):
        own = Counter(m.step for m in client.get_metric_history(result["own_run"], "loss"))
        mine = {WRITERS * s + index for s in range(POINTS - half)}
        found += len(own.keys() & set(range(half))) + len(mine & shared_steps.keys())
        lost += len(set(range(half)) - own.keys()) + len(mine - shared_steps.keys())
        duplicated += sum(n - 1 for n in own.values()) + sum(shared_steps[s] - 1 for s in mine)
    errors = [e for result in results for e in result["errors"]]
    lock_errors = [e for e in errors if "locked" in e.lower()]
    latencies = [t for result in results for t in result["latencies"]]
    report(
        case,
        writers=WRITERS,
        points_per_writer=POINTS,
        found=found,
        lost=lost,
        duplicated=duplicated,
        errors=len(errors),
        lock_errors=len(lock_errors),
        wall_s=wall,
        writer_cpu_s=sum(result["cpu_s"] for result in results),
        calls=len(latencies),
        **percentiles(latencies),
    )
    assert errors == []
    assert (found, lost, duplicated) == (WRITERS * POINTS, 0, 0)
    latest = client.get_run(shared).data.metrics["shared"]
    assert latest == float(WRITERS * (POINTS - half - 1) + WRITERS - 1)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_eight_writer_processes_lose_nothing(
    backend: str, tmp_path: Path, server_database_uri: Any
) -> None:
    uri = _database(backend, tmp_path, server_database_uri)
    shared, results, wall = _run_writers(uri, tmp_path)
    _check_and_report(f"concurrent-writers-{backend}", uri, shared, results, wall)


@pytest.mark.server
@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_eight_clients_through_four_server_workers_lose_nothing(
    backend: str, tmp_path: Path, server_database_uri: Any
) -> None:
    uri = _database(backend, tmp_path, server_database_uri)
    args = ("--backend-store-uri", uri, "--artifacts-destination", str(tmp_path / "artifacts"),
            "--workers", "4")  # fmt: skip
    with mltrack_server(*args, cwd=tmp_path) as server:
        shared, results, wall = _run_writers(server.url, tmp_path)
        _check_and_report(f"concurrent-writers-server-{backend}", server.url, shared, results, wall)
        log = server.output()
    assert "Traceback" not in log, log[-4000:]
