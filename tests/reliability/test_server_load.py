"""Suite case 8: ``mltrack server --workers 4`` on PostgreSQL under 32 concurrent clients.

32 client threads (one ``httpx.Client`` each, in this process: the machine stays usable) each
own a run and loop over a fixed mix of operations for ``MLTRACK_LOAD_SECONDS`` (default 60):
``log-batch`` of 100 points, a metric search over the experiment, and a 32 KiB artifact upload.
Every request must succeed; afterwards every logged point and uploaded file must be there. The
resident memory of each server worker is sampled after a warm-up, in the middle and at the end,
and must not grow by more than a generous bound (a leak of even a few KiB per request would).
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_figures import percentiles, report
from serverproc import ServerProcess, mltrack_server

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.postgres]

CLIENTS = 32
WORKERS = 4
SECONDS = float(os.environ.get("MLTRACK_LOAD_SECONDS", "60"))
POINTS_PER_BATCH = 100
BLOB = os.urandom(32 * 1024)
#: The mix each client loops over (shifted per client so the operations interleave).
MIX = ("log", "log", "search", "log", "upload", "log", "search", "log")
#: A worker's RSS may grow by this much between the warm-up and the end of the load.
RSS_GROWTH_LIMIT_MB = 150.0
API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@dataclass
class Tally:
    """What the clients did: latencies per operation, errors, what they wrote."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    points: dict[str, int] = field(default_factory=dict)  # run id -> points logged
    uploads: dict[str, list[str]] = field(default_factory=dict)  # run id -> artifact paths
    lock: threading.Lock = field(default_factory=threading.Lock)


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise AssertionError(f"{response.request.method} {response.url.path}: "
                             f"{response.status_code} {response.text[:300]}")  # fmt: skip
    return response.json() if response.content else {}


def _operation(
    http: httpx.Client, op: str, run: dict[str, Any], experiment_id: str, n: int
) -> None:
    if op == "log":
        step = run["points"]
        metrics = [
            {"key": "loss", "value": 1.0 / (1 + s), "timestamp": 1_700_000_000_000 + s, "step": s}
            for s in range(step, step + POINTS_PER_BATCH)
        ]
        _checked(http.post(f"{API}/runs/log-batch", json={"run_id": run["id"], "metrics": metrics}))
        run["points"] += POINTS_PER_BATCH
    elif op == "search":
        body = {"experiment_ids": [experiment_id], "filter": "metrics.loss < 0.5",
                "order_by": ["metrics.loss ASC"], "max_results": 50}  # fmt: skip
        _checked(http.post(f"{API}/runs/search", json=body))
    else:
        path = f"{run['artifacts']}/blobs/b{n}.bin"
        _checked(http.put(f"{ARTIFACTS}/{path}", content=BLOB))
        run["uploads"].append(path)


def _client(index: int, url: str, experiment_id: str, stop_at: float, tally: Tally) -> None:
    with httpx.Client(base_url=url, timeout=120) as http:
        body = {"experiment_id": experiment_id, "run_name": f"load-{index}",
                "start_time": int(time.time() * 1000)}  # fmt: skip
        info = _checked(http.post(f"{API}/runs/create", json=body))["run"]["info"]
        root = info["artifact_uri"].removeprefix("mlflow-artifacts:").strip("/")
        run = {"id": info["run_id"], "artifacts": root, "points": 0, "uploads": []}
        n = index
        while time.monotonic() < stop_at:
            op = MIX[n % len(MIX)]
            began = time.perf_counter()
            try:
                _operation(http, op, run, experiment_id, n)
            except Exception as exc:  # counted: the test expects none
                with tally.lock:
                    tally.errors.append(f"client {index} {op}: {type(exc).__name__}: {exc}"[:400])
            elapsed = time.perf_counter() - began
            with tally.lock:
                tally.latencies[op].append(elapsed)
            n += 1
    with tally.lock:
        tally.points[run["id"]] = run["points"]
        tally.uploads[run["id"]] = run["uploads"]


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _sample(server: ServerProcess) -> dict[int, float]:
    samples = {pid: _rss_mb(pid) for pid in server.descendants()}
    return {pid: rss for pid, rss in samples.items() if rss is not None}


def _load(server: ServerProcess, experiment_id: str) -> tuple[Tally, list[dict[int, float]]]:
    """Run the clients; sample worker memory after the warm-up, midway and at the end."""
    tally = Tally()
    start = time.monotonic()
    stop_at = start + SECONDS
    threads = [
        threading.Thread(target=_client, args=(i, server.url, experiment_id, stop_at, tally))
        for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    samples = []
    for fraction in (0.2, 0.6):  # the first fifth is the warm-up (pools, caches, imports)
        time.sleep(max(0.0, start + fraction * SECONDS - time.monotonic()))
        samples.append(_sample(server))
    for thread in threads:
        thread.join(timeout=SECONDS + 300)
    samples.append(_sample(server))
    return tally, samples


def _verify_stored(url: str, tally: Tally, artifacts: Path) -> None:
    from jupyter_mltrack import TrackingClient

    client = TrackingClient(url)
    for run_id, points in tally.points.items():
        history = client.get_metric_history(run_id, "loss") if points else []
        assert sorted(m.step for m in history) == list(range(points)), run_id
    for paths in tally.uploads.values():
        for path in paths:
            assert (artifacts / path).read_bytes() == BLOB, path


def test_four_workers_serve_32_mixed_clients_without_errors(
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
        from jupyter_mltrack import TrackingClient

        experiment_id = TrackingClient(server.url).create_experiment("load")
        cpu = time.process_time()
        tally, (first, middle, last) = _load(server, experiment_id)
        client_cpu = time.process_time() - cpu
        _verify_stored(server.url, tally, artifacts)
        log = server.output()
    workers = sorted(first.keys() & last.keys())
    growth = {pid: last[pid] - first[pid] for pid in workers}
    figures: dict[str, object] = {
        "clients": CLIENTS,
        "seconds": SECONDS,
        "errors": len(tally.errors),
        "client_cpu_s": client_cpu,
    }
    for op, samples in sorted(tally.latencies.items()):
        figures[f"{op}_n"] = len(samples)
        figures.update({f"{op}_{k}": v for k, v in percentiles(samples).items()})
    figures["rss_mb"] = "/".join(
        f"{first[p]:.0f}>{middle.get(p, 0):.0f}>{last[p]:.0f}" for p in workers
    )
    report("server-load-postgres", **figures)
    assert tally.errors == [], tally.errors[:20]
    assert len(workers) >= WORKERS, (first, last)  # no worker died and was replaced
    assert max(growth.values()) < RSS_GROWTH_LIMIT_MB, growth
    assert "Traceback" not in log, log[-4000:]
