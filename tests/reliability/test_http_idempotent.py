"""Case 3: a stream of log-batch requests survives killed workers, a server restart and lost
answers; every point is stored exactly once.

A client streams batches through the REST store (its own retries, offline journal off) to
``mltrack server --workers 4`` behind a loopback proxy that loses some answers after the server
applied the write. Meanwhile two workers are killed with SIGKILL and the whole server is killed
and started again on the same port. Without client request ids each lost answer would store its
batch twice; without retries each kill would lose one.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lossy_proxy import LossyProxy
from reliability_figures import percentiles, report
from serverproc import alive, children_of, free_port, mltrack_server

pytestmark = [pytest.mark.server]

WORKERS = 4
BATCHES = 300
POINTS = 100  # per batch: 30,000 points in all
DROP_EVERY = 11  # every 11th log-batch answer is lost on the way back
KILL_AT = (40, 120)  # batches sent when a worker is killed
RESTART_AT = 200  # batches sent when the whole server is killed and started again


def _dropper() -> Callable[[bytes], bool]:
    counter = itertools.count(1)

    def drop(request: bytes) -> bool:
        return (
            b"/runs/log-batch " in request.split(b"\r\n", 1)[0] and next(counter) % DROP_EVERY == 0
        )

    return drop


class Stream:
    """Logs BATCHES batches of POINTS points from a thread, timing each batch."""

    def __init__(self, store: Any, run_id: str) -> None:
        self.store, self.run_id = store, run_id
        self.sent = 0
        self.latencies: list[float] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            for batch in range(BATCHES):
                points = [("m", float(s), 1_700_000_000_000 + s, s)
                          for s in range(batch * POINTS, (batch + 1) * POINTS)]  # fmt: skip
                started = time.perf_counter()
                self.store.log_metric_points(self.run_id, points)
                self.latencies.append(time.perf_counter() - started)
                self.sent = batch + 1
        except BaseException as exc:  # reported by the test
            self.error = exc

    def wait_for(self, batches: int) -> None:
        while self.sent < batches and self.thread.is_alive():
            time.sleep(0.01)


def _kill_a_worker(server_pid: int) -> int:
    """SIGKILL one uvicorn worker (a child of the supervisor) and return its pid."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = sorted(children_of(server_pid))
        if len(workers) >= WORKERS:
            victim = int(workers[0])
            os.kill(victim, signal.SIGKILL)
            return victim
        time.sleep(0.1)
    raise AssertionError("the server never had its workers running")


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path, server_database_uri: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    return str(server_database_uri("postgres"))


def test_log_batch_stream_survives_worker_kills_restart_and_lost_answers(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jupyter_mltrack.store.rest.http as http_module
    from jupyter_mltrack.store.rest import RestStore
    from jupyter_mltrack.store.rest.http import HttpClient
    from jupyter_mltrack.store.sql.store import SqlStore

    monkeypatch.setenv("MLTRACK_OFFLINE_LOGGING", "false")  # every failure must surface here
    # Retry at least every 2 s while the server restarts (recovery is measured, not backoff).
    monkeypatch.setattr(http_module, "MAX_BACKOFF_SECONDS", 2.0)
    port = free_port()
    args = ("--backend-store-uri", database, "--artifacts-destination", str(tmp_path / "art"),
            "--workers", str(WORKERS))  # fmt: skip
    proxy = LossyProxy(port, _dropper())
    cpu_started, started = time.process_time(), time.monotonic()
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(mltrack_server(*args, cwd=tmp_path, port=port))
        http = HttpClient(proxy.url, max_retries=60, backoff_factor=0.1, timeout=30)
        store = RestStore(proxy.url, http=http)
        run_id = store.create_run(experiment_id="0", user_id="t", start_time=1, tags={},
                                  run_name="stream").info.run_id  # fmt: skip
        stream = Stream(store, run_id)
        stream.thread.start()
        killed = []
        for at in KILL_AT:
            stream.wait_for(at)
            killed.append(_kill_a_worker(server.proc.pid))
        stream.wait_for(RESTART_AT)
        os.killpg(server.proc.pid, signal.SIGKILL)  # the whole server, mid-stream
        server.proc.wait()
        stack.close()
        with mltrack_server(*args, cwd=tmp_path, port=port):
            stream.thread.join(timeout=600)
        proxy.close()
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_started
    assert stream.error is None, f"the stream failed after {stream.sent} batches: {stream.error!r}"
    assert not any(alive(pid) for pid in killed)

    backing = SqlStore(database)
    try:
        steps = [m.step for m in backing.get_metric_history(run_id, "m")]
        with backing.engine.connect() as conn:
            remembered = conn.exec_driver_sql("SELECT COUNT(*) FROM client_requests").scalar()
    finally:
        backing.close()
    logged = BATCHES * POINTS
    found = len(set(steps))
    report(
        f"3 http idempotent ({database.split(':')[0]})",
        points_logged=logged,
        found=found,
        lost=logged - found,
        duplicated=len(steps) - found,
        answers_lost=proxy.dropped,
        workers_killed=len(killed),
        restarts=1,
        recover_s=max(stream.latencies),
        **percentiles(stream.latencies),
        wall_s=elapsed,
        cpu_s=cpu,
    )
    assert proxy.dropped >= BATCHES // DROP_EVERY - 1  # the retries really happened
    assert len(steps) == logged and found == logged  # 0 duplicated, 0 lost
    assert remembered and remembered >= BATCHES  # the ids were kept in the server's database
