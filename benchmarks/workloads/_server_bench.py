"""The tracking-server workloads, shared by both tools; stdlib only.

Each tool's ``<tool>_server_workloads.py`` only says how to start its server (``mltrack server``
or ``mlflow server``, same SQLite backend, same number of workers, artifacts proxied through the
server). Everything on the client side is this module and ``_server_proc.py``: raw HTTP/1.1 over
``http.client`` keep-alive connections from a few forked client processes, the same JSON bodies
and the same timing, so only the server differs. Bodies are built before the clock starts;
client processes start together on a barrier.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Callable
from typing import Any

from _common import (
    BASE_TIMESTAMP_MS,
    SEARCH_CALLS,
    SEARCH_FILTER,
    SEARCH_ORDER_BY,
    elapsed_ms,
    emit,
    median,
    progress,
    search_run_values,
)
from _server_proc import (
    API,
    ARTIFACTS,
    CLIENTS,
    KEYS_PER_BATCH,
    POINTS_PER_BATCH,
    SERVER_WORKERS,
    Client,
    Server,
    ServerCommand,
    create_runs,
    in_clients,
    running_server,
)

# --- log-batch: points/s --------------------------------------------------------------------


def _batch_bodies(run_id: str, batches: int) -> list[bytes]:
    """``batches`` log-batch bodies of 1,000 points: 10 keys x 100 consecutive steps each."""
    steps = POINTS_PER_BATCH // KEYS_PER_BATCH
    bodies = []
    for b in range(batches):
        metrics = [
            {"key": f"m{k}", "value": (b * steps + s) * 1e-3, "step": b * steps + s,
             "timestamp": BASE_TIMESTAMP_MS + b * steps + s}
            for k in range(KEYS_PER_BATCH)
            for s in range(steps)
        ]  # fmt: skip
        bodies.append(json.dumps({"run_id": run_id, "metrics": metrics}).encode())
    return bodies


def _send_batches(barrier: Any, port: int, run_id: str, batches: int) -> tuple[float, float]:
    bodies = _batch_bodies(run_id, batches)
    client = Client(port)
    client.call("GET", "/health")
    barrier.wait()
    start = time.perf_counter()
    for body in bodies:
        client.call("POST", f"{API}/runs/log-batch", body)
    return start, time.perf_counter()


def log_batch(server: Server, size: int) -> None:
    """``size`` points through log-batch requests of 1,000 from CLIENTS processes at once."""
    batches = max(1, size // POINTS_PER_BATCH // CLIENTS)
    with running_server(server) as port:
        _, run_ids = create_runs(port, CLIENTS)
        spans = in_clients(_send_batches, [(port, run_id, batches) for run_id in run_ids])
        wall = max(end for _, end in spans) - min(start for start, _ in spans)
        stored = _count_points(port, run_ids[0], "m0")
    points = batches * CLIENTS * POINTS_PER_BATCH
    emit(points / wall, points=points, stored_m0=stored, seconds=wall, clients=CLIENTS,
         workers=SERVER_WORKERS)  # fmt: skip


def _count_points(port: int, run_id: str, key: str) -> int:
    query = f"run_id={run_id}&metric_key={key}&max_results=1000000"
    answer = Client(port).json("GET", f"{API}/metrics/get-history?{query}")
    return len(answer.get("metrics", []))


# --- single log-metric requests: req/s, p50/p99 ----------------------------------------------


def _send_metrics(barrier: Any, port: int, run_id: str, seconds: float) -> list[float]:
    client = Client(port)
    client.call("GET", "/health")
    barrier.wait()
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    step = 0
    while (start := time.perf_counter()) < end:
        body = (
            f'{{"run_id":"{run_id}","key":"m","value":{step * 0.5},'
            f'"timestamp":{BASE_TIMESTAMP_MS + step},"step":{step}}}'
        ).encode()
        client.call("POST", f"{API}/runs/log-metric", body)
        latencies.append(elapsed_ms(start))
        step += 1
    return latencies


def log_metric(server: Server, size: int) -> None:
    """Single log-metric requests from CLIENTS processes for ``size`` seconds."""
    with running_server(server) as port:
        _, run_ids = create_runs(port, CLIENTS)
        per_client = in_clients(_send_metrics, [(port, run_id, size) for run_id in run_ids])
        stored = sum(_count_points(port, run_id, "m") for run_id in run_ids)
    latencies = sorted(ms for client in per_client for ms in client)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    emit(len(latencies) / size, p50_ms=median(latencies), p99_ms=p99, requests=len(latencies),
         all_stored=stored == len(latencies), clients=CLIENTS, workers=SERVER_WORKERS)  # fmt: skip


# --- runs/search over many runs: p50 ----------------------------------------------------------


def _populate(barrier: Any, port: int, experiment_id: str, indices: range) -> int:
    client = Client(port)
    barrier.wait()
    for i in indices:
        run = client.json("POST", f"{API}/runs/create",
                          {"experiment_id": experiment_id, "start_time": BASE_TIMESTAMP_MS + i,
                           "run_name": f"run-{i}"})  # fmt: skip
        metrics, params, tags = search_run_values(i)
        message = {
            "run_id": run["run"]["info"]["run_id"],
            "metrics": [{"key": k, "value": v, "step": 0, "timestamp": BASE_TIMESTAMP_MS}
                        for k, v in metrics.items()],
            "params": [{"key": k, "value": v} for k, v in params.items()],
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        }  # fmt: skip
        client.json("POST", f"{API}/runs/log-batch", message)
        if i % 1000 == 0:
            progress(f"created run {i:,}")
    return len(indices)


def _search(client: Client, experiment_id: str) -> int:
    """One full ``runs/search`` as the mlflow client's search_runs sends it; return the rows."""
    message: dict[str, Any] = {
        "experiment_ids": [experiment_id],
        "filter": SEARCH_FILTER,
        "run_view_type": "ACTIVE_ONLY",
        "max_results": 10_000,
        "order_by": SEARCH_ORDER_BY,
    }
    rows = 0
    while True:
        answer = client.json("POST", f"{API}/runs/search", message)
        rows += len(answer.get("runs", []))
        if not answer.get("next_page_token"):
            return rows
        message["page_token"] = answer["next_page_token"]


def search_runs(server: Server, size: int) -> None:
    """Create ``size`` runs (untimed, through the server), then time runs/search."""
    with running_server(server) as port:
        experiment_id, _ = create_runs(port, 0, "search")
        shares = [range(c, size, CLIENTS) for c in range(CLIENTS)]
        in_clients(_populate, [(port, experiment_id, share) for share in shares])
        client = Client(port)
        start = time.perf_counter()
        rows = _search(client, experiment_id)
        first_ms = elapsed_ms(start)
        timings = []
        for _ in range(SEARCH_CALLS):
            start = time.perf_counter()
            _search(client, experiment_id)
            timings.append(elapsed_ms(start))
    emit(median(timings), first_call_ms=first_ms, calls_ms=timings, rows=rows)


# --- artifacts: MB/s --------------------------------------------------------------------------

ARTIFACT_REPEATS = 3


def _payload(megabytes: int) -> str:
    path = os.path.abspath("payload.bin")
    with open(path, "wb") as handle:
        for _ in range(megabytes):
            handle.write(os.urandom(1024 * 1024))
    return path


def _upload(port: int, local: str, remote: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    size = os.path.getsize(local)
    start = time.perf_counter()
    with open(local, "rb") as body:
        conn.request("PUT", f"{ARTIFACTS}/{remote}", body=body,
                     headers={"Content-Type": "application/octet-stream",
                              "Content-Length": str(size)})  # fmt: skip
        response = conn.getresponse()
        response.read()
    seconds = time.perf_counter() - start
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"upload failed: HTTP {response.status}")
    return seconds


def _download(port: int, remote: str) -> tuple[float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.request("GET", f"{ARTIFACTS}/{remote}")
    response = conn.getresponse()
    received = 0
    while chunk := response.read(1024 * 1024):
        received += len(chunk)
    seconds = time.perf_counter() - start
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"download failed: HTTP {response.status}")
    return seconds, received


def artifact_upload(server: Server, size: int) -> None:
    """PUT a ``size`` MB file through the artifact proxy; median MB/s of 3 uploads."""
    local = _payload(size)
    with running_server(server) as port:
        experiment_id, (run_id,) = create_runs(port, 1)
        seconds = [_upload(port, local, f"{experiment_id}/{run_id}/artifacts/up{i}.bin")
                   for i in range(ARTIFACT_REPEATS)]  # fmt: skip
    emit(size / median(seconds), seconds=seconds, stored=os.path.getsize(local))


def artifact_download(server: Server, size: int) -> None:
    """GET a ``size`` MB file through the artifact proxy; median MB/s of 3 downloads."""
    local = _payload(size)
    with running_server(server) as port:
        experiment_id, (run_id,) = create_runs(port, 1)
        remote = f"{experiment_id}/{run_id}/artifacts/payload.bin"
        _upload(port, local, remote)
        results = [_download(port, remote) for _ in range(ARTIFACT_REPEATS)]
    seconds = [s for s, _ in results]
    emit(size / median(seconds), seconds=seconds, stored=results[-1][1])


#: Workload name -> (function, backend). The ``_pg`` ones run the same on PostgreSQL.
WORKLOADS: dict[str, tuple[Callable[[Server, int], None], str]] = {
    "server_log_batch": (log_batch, "sqlite"),
    "server_log_metric": (log_metric, "sqlite"),
    "server_search_runs": (search_runs, "sqlite"),
    "server_artifact_upload": (artifact_upload, "sqlite"),
    "server_artifact_download": (artifact_download, "sqlite"),
    "server_log_batch_pg": (log_batch, "postgres"),
    "server_log_metric_pg": (log_metric, "postgres"),
    "server_search_runs_pg": (search_runs, "postgres"),
}


def bind(namespace: dict[str, Any], command: ServerCommand, postgres_driver: str) -> None:
    """Define every workload as ``name(size)`` in a tool's module, on that tool's server."""

    def make(function: Callable[[Server, int], None], backend: str) -> Callable[[int], None]:
        server = Server(command=command, postgres_driver=postgres_driver, backend=backend)
        return lambda size: function(server, size)

    for name, (function, backend) in WORKLOADS.items():
        namespace[name] = make(function, backend)
