"""The JupyterLab server extension's handler latency (issue 13); MLflow has no counterpart.

``lab_runs_page`` seeds ``size`` runs (5 metrics, 5 params, 2 tags each, as the search workload)
in the default store of a root folder, starts a real ``jupyter server`` on it with the extension
enabled, and times every ``/mltrack/api/`` GET route over one keep-alive HTTP connection (what
the Lab front end does). The value is the p50 of a page of 50 runs of one experiment, the
sidebar's request; the extras give p50/p99 per route and the server's CPU ms per request.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from _common import BASE_TIMESTAMP_MS, batches, elapsed_ms, emit, progress, search_run_values

TOKEN = "bench-token"
CALLS = 200  # timed requests per route; p50 and p99 are reported
WARMUP = 10


def _seed(root: str, size: int) -> dict[str, str]:
    """The runs, one long metric history, a registered model; return ids for the routes."""
    from jupyter_mltrack import TrackingClient
    from jupyter_mltrack.entities import Metric, Param, RunStatus, RunTag
    from jupyter_mltrack.registry import RegistryClient
    from jupyter_mltrack.tracking.heartbeat import KERNEL_ID

    client = TrackingClient(os.path.join(root, "mltrack"))
    experiment_id = client.create_experiment("bench")
    client.create_experiment("other")
    run_ids = []
    for chunk in batches(size, 1000):
        for i in chunk:
            metrics, params, tags = search_run_values(i)
            tags = {**tags, KERNEL_ID: f"kernel-{i % 50}"}
            run_id = client.create_run(experiment_id, run_name=f"run-{i}").info.run_id
            client.log_batch(
                run_id,
                metrics=[Metric(key=k, value=v, timestamp=BASE_TIMESTAMP_MS + i)
                         for k, v in metrics.items()],
                params=[Param(key=k, value=v) for k, v in params.items()],
                tags=[RunTag(key=k, value=v) for k, v in tags.items()],
            )  # fmt: skip
            client.set_terminated(run_id, RunStatus.FINISHED)
            run_ids.append(run_id)
        progress(f"seeded {len(run_ids):,}/{size:,} runs")
    history = [Metric(key="loss", value=1.0 / (s + 1), timestamp=BASE_TIMESTAMP_MS + s, step=s)
               for s in range(10_000)]  # fmt: skip
    for chunk in batches(len(history), 1000):
        client.log_batch(run_ids[0], metrics=history[chunk.start : chunk.stop])
    client.log_text(run_ids[0], "x = 1\n", "cell.py")
    registry = RegistryClient(os.path.join(root, "mltrack"))
    for version, run_id in enumerate(run_ids[:5], start=1):
        registry.create_model_version("bench-model", f"runs:/{run_id}/model", run_id)
        registry.set_registered_model_alias("bench-model", f"a{version}", version)
    return {"experiment_id": experiment_id, "run_id": run_ids[0]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), robust to a busy machine's waits."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _jupyter_server(root: str) -> Iterator[tuple[int, int]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    env["JUPYTER_RUNTIME_DIR"] = os.path.abspath("jupyter-runtime")
    command = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
        '--ServerApp.jpserver_extensions={"jupyter_mltrack.labserver": True}',
        "--ServerApp.log_level=WARN",
    ]  # fmt: skip
    with open("jupyter-server.log", "wb") as log:
        proc = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_ready(port, proc)
        yield port, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def _get(conn: http.client.HTTPConnection, path: str) -> bytes:
    conn.request("GET", f"/mltrack/api/{path}", headers={"Authorization": f"token {TOKEN}"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {body[:300]!r}")
    return body


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("jupyter server exited; see jupyter-server.log")
        with contextlib.suppress(OSError, RuntimeError, http.client.HTTPException):
            _get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "health")
            return
        time.sleep(0.2)
    raise RuntimeError("jupyter server did not answer within 120 s")


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(pick(0.50), 2), "p99_ms": round(pick(0.99), 2)}


def _routes(ids: dict[str, str]) -> dict[str, str]:
    exp, run = ids["experiment_id"], ids["run_id"]
    return {
        "health": "health",
        "experiments": "experiments",
        "runs_page_50": f"runs?experiment_ids={exp}&page_size=50",
        "runs_page_50_filtered": f"runs?experiment_ids={exp}&page_size=50"
        "&filter=metrics.m0%20%3E%200.5%20and%20params.p0%20!%3D%20'x'&order_by=metrics.m1%20DESC",
        "runs_page_50_all_experiments": "runs?page_size=50",
        "run_detail": f"runs/{run}",
        "artifacts": f"runs/{run}/artifacts",
        "metric_history_1000": f"metrics/history?run_id={run}&key=loss&max_points=1000",
        "models": "models",
        "model_detail": "models/bench-model",
        "kernel_run": "kernels/kernel-7/run",
    }


def lab_runs_page(size: int) -> None:
    """p50 of ``GET runs`` (50 of ``size`` runs) over HTTP; p50/p99 of every GET route."""
    root = os.path.abspath("lab-root")
    os.makedirs(root)
    ids = _seed(root, size)
    with _jupyter_server(root) as (port, pid):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        figures: dict[str, dict[str, float]] = {}
        for name, path in _routes(ids).items():
            for _ in range(WARMUP):
                _get(conn, path)
            samples = []
            cpu = _cpu_seconds(pid)
            for _ in range(CALLS):
                start = time.perf_counter()
                _get(conn, path)
                samples.append(elapsed_ms(start))
            figures[name] = _percentiles(samples)
            # Wall time on a shared machine includes waiting for a core; the server's own CPU
            # per request does not.
            figures[name]["server_cpu_ms"] = round((_cpu_seconds(pid) - cpu) * 1000 / CALLS, 2)
            progress(f"{name}: {figures[name]}")
        page = json.loads(_get(conn, _routes(ids)["runs_page_50"]))
        assert len(page["runs"]) == 50 and page["total"] == size, page["total"]
    emit(figures["runs_page_50"]["p50_ms"], routes=figures, calls_per_route=CALLS)
