"""The model workloads' shared pieces; stdlib at import time, sklearn/pandas inside functions.

Both tools train the same forest on the same data, send the same payloads and time them with the
same client, so only the library under test differs.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from typing import TYPE_CHECKING

from _common import elapsed_ms, median, progress

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

#: Trees in the benchmark's random forest (the issue's MLflow figures use 50).
N_TREES = 50
#: Rows predicted by the load + predict workload.
PREDICT_ROWS = 1_000
#: Calls of the in-process 1-row predict whose median is subtracted from the HTTP latency.
PREDICT_CALLS = 200
#: Requests sent before the timed window (connection set-up, first-request costs).
WARMUP_REQUESTS = 50
READY_TIMEOUT_S = 120.0


def iris_forest() -> tuple[Any, Any]:
    """Return ``(model, X)``: a 50-tree random forest fitted on iris, and iris as a DataFrame."""
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    features, target = load_iris(return_X_y=True, as_frame=True)
    model = RandomForestClassifier(n_estimators=N_TREES, random_state=0).fit(features, target)
    return model, features


def predict_rows(features: Any, rows: int = PREDICT_ROWS) -> Any:
    """Return ``rows`` iris rows (the 150 repeated in order), with a fresh 0..rows-1 index."""
    import pandas as pd

    repeats = -(-rows // len(features))
    return pd.concat([features] * repeats, ignore_index=True).head(rows)


def one_row_payload(features: Any) -> bytes:
    """Return the 1-row ``dataframe_split`` body both servers receive."""
    row = features.iloc[[0]]
    body = {"dataframe_split": {"columns": list(row.columns), "data": row.values.tolist()}}
    return json.dumps(body).encode()


def time_calls(function: Any, calls: int) -> list[float]:
    """Return the wall time (ms) of each of ``calls`` calls of ``function()``."""
    timings = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        timings.append(elapsed_ms(start))
    return timings


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(command: Sequence[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a scoring server in its own process group and wait until ``/ping`` answers 200."""
    proc = subprocess.Popen(
        list(command), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"the server exited with code {proc.returncode}:\n{stderr[-3000:]}")
        if _pings(port):
            return proc
        time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"the server did not answer /ping within {READY_TIMEOUT_S:.0f}s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group (MLflow's CLI starts uvicorn as a child)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _pings(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/ping")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def drive(port: int, body: bytes, seconds: float) -> tuple[list[float], bytes]:
    """Send ``body`` sequentially over one keep-alive connection for ``seconds``.

    Returns the latency (ms) of each timed request and the last response body.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    last = b""

    def call() -> bytes:
        conn.request("POST", "/invocations", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {data[:500]!r}")
        return data

    for _ in range(WARMUP_REQUESTS):
        call()
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    while (start := time.perf_counter()) < end:
        last = call()
        latencies.append(elapsed_ms(start))
    conn.close()
    return latencies, last


def serving_figures(latencies: list[float], predict_ms: float, seconds: float) -> dict[str, Any]:
    """Summarise a serving run: throughput, p50/p99 latency and overhead over predict."""
    ordered = sorted(latencies)
    p50 = median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "requests_per_s": len(latencies) / seconds,
        "p50_ms": p50,
        "p99_ms": p99,
        "predict_ms": predict_ms,
        "overhead_ms": p50 - predict_ms,
        "requests": len(latencies),
    }


def run_serving(
    command: Sequence[str], env: dict[str, str], port: int, body: bytes, predict_ms: float,
    seconds: float,
) -> dict[str, Any]:  # fmt: skip
    """Start the server, drive it for ``seconds`` and return its figures."""
    progress(f"starting the server on port {port}")
    start = time.perf_counter()
    proc = start_server(command, port, env)
    startup_ms = elapsed_ms(start)
    progress(f"server up after {startup_ms:,.0f} ms; sending requests for {seconds:g}s")
    try:
        latencies, last = drive(port, body, seconds)
    finally:
        stop_server(proc)
    figures = serving_figures(latencies, predict_ms, seconds)
    return {**figures, "server_startup_ms": startup_ms, "response": last.decode()}
