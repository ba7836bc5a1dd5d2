"""``mltrack server --workers 4`` on PostgreSQL: 8 client processes log at once, nothing is lost.

Each client process logs 10,000 metric points through the fluent API (batched into log-batch
requests by the REST store) and 5 artifacts, in its own run of one shared experiment. Afterwards
every point and every artifact byte is checked in the database and in the artifact folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from serverproc import mltrack_server

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.slow]

CLIENTS = 8
POINTS = 10_000
ARTIFACTS = 5
WORKERS = 4

CLIENT_SCRIPT = r"""
import json, sys
import jupyter_mltrack as mlt

index, points, artifacts = map(int, sys.argv[1:])
with mlt.start_run(run_name=f"client-{index}") as run:
    for step in range(points):
        mlt.log_metric("loss", index + step / 1000.0, step=step)
    mlt.log_param("client", index)
    for k in range(artifacts):
        mlt.log_text(f"client {index} artifact {k}\n" * (1 + 5000 * k), f"files/a{k}.txt")
print(json.dumps({"run_id": run.info.run_id}))
"""


def expected_artifact(index: int, k: int) -> str:
    return f"client {index} artifact {k}\n" * (1 + 5000 * k)


def start_client(index: int, url: str, experiment_id: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRACK_", "MLFLOW_"))}
    env.update(MLTRACK_TRACKING_URI=url, MLTRACK_EXPERIMENT_ID=experiment_id)
    return subprocess.Popen(
        [sys.executable, "-c", CLIENT_SCRIPT, str(index), str(POINTS), str(ARTIFACTS)],
        cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_four_workers_on_postgres_take_eight_concurrent_clients(
    server_database_uri: Any, tmp_path: Path
) -> None:
    uri = server_database_uri("postgres")
    artifacts = tmp_path / "artifacts"
    args = ("--backend-store-uri", uri, "--artifacts-destination", str(artifacts),
            "--workers", str(WORKERS))  # fmt: skip
    with mltrack_server(*args, cwd=tmp_path) as server:
        deadline = time.monotonic() + 60
        while len(server.descendants()) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(server.descendants()) >= WORKERS, server.output()

        from jupyter_mltrack import TrackingClient

        experiment_id = TrackingClient(server.url).create_experiment("multiworker")
        started = time.monotonic()
        clients = [start_client(i, server.url, experiment_id, tmp_path) for i in range(CLIENTS)]
        outputs = [proc.communicate(timeout=600) for proc in clients]
        elapsed = time.monotonic() - started
        for proc, (_, stderr) in zip(clients, outputs, strict=True):
            assert proc.returncode == 0, stderr[-4000:]
        run_ids = [json.loads(out.strip().splitlines()[-1])["run_id"] for out, _ in outputs]
        server_log = server.output()
    print(f"{CLIENTS} clients x {POINTS} points + {ARTIFACTS} artifacts in {elapsed:.1f}s")
    assert "Traceback" not in server_log and "ERROR" not in server_log, server_log[-4000:]

    from jupyter_mltrack.entities import RunStatus
    from jupyter_mltrack.store.sql.store import SqlStore

    store = SqlStore(uri)
    try:
        runs = {store.get_run(run_id).data.params["client"]: run_id for run_id in run_ids}
        assert sorted(runs) == [str(i) for i in range(CLIENTS)]
        for index in range(CLIENTS):
            run = store.get_run(runs[str(index)])
            assert run.info.status is RunStatus.FINISHED
            assert run.info.experiment_id == experiment_id
            history = store.get_metric_history(run.info.run_id, "loss")
            assert [m.step for m in sorted(history, key=lambda m: m.step)] == list(range(POINTS))
            assert {m.step: m.value for m in history} == {
                step: index + step / 1000.0 for step in range(POINTS)
            }
            folder = artifacts / experiment_id / run.info.run_id / "artifacts" / "files"
            assert sorted(p.name for p in folder.iterdir()) == [f"a{k}.txt" for k in range(5)]
            for k in range(ARTIFACTS):
                assert (folder / f"a{k}.txt").read_text() == expected_artifact(index, k)
    finally:
        store.close()
    leftovers = [p for p in artifacts.rglob("*") if p.name.startswith(".") or "tmp" in p.name]
    assert leftovers == []
