"""Start and stop the servers under test, and talk to them; stdlib only (SQLAlchemy only for a
PostgreSQL database, from the tool's own venv). Used by ``_server_bench.py``."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from _common import BASE_TIMESTAMP_MS, progress

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
#: Server worker processes (the issue's target: >= 50,000 points/s through log-batch with 4);
#: ``BENCH_SERVER_WORKERS`` overrides it for exploring (the table's titles still say 4).
SERVER_WORKERS = int(os.environ.get("BENCH_SERVER_WORKERS", "4"))
#: Client processes sending requests at once.
CLIENTS = 4
POINTS_PER_BATCH = 1_000
KEYS_PER_BATCH = 10
READY_TIMEOUT_S = 180.0
JSON_HEADERS = {"Content-Type": "application/json"}

ServerCommand = Callable[[int, int, str], list[str]]  # (port, workers, backend URI) -> argv
#: The PostgreSQL server of the ``*_pg`` workloads; each run gets a new database, dropped after.
POSTGRES_ADMIN = "postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def backend_database(backend: str, driver: str) -> Iterator[str]:
    """Yield the URI of a new database: a SQLite file here, or a fresh PostgreSQL database
    (created through SQLAlchemy with ``driver``, dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{os.path.abspath('server.db')}"
        return
    import uuid

    import sqlalchemy as sa

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        f"postgresql+{driver}://{POSTGRES_ADMIN}", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+{driver}://{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


@dataclass(frozen=True)
class Server:
    """How to start one tool's server: its command and the SQLAlchemy PostgreSQL driver."""

    command: ServerCommand
    postgres_driver: str
    backend: str = "sqlite"


@contextmanager
def running_server(server: Server, workers: int = SERVER_WORKERS) -> Iterator[int]:
    """Start the server in its own process group, wait for ``/health``, yield its port."""
    port = free_port()
    with backend_database(server.backend, server.postgres_driver) as uri:
        log = open(f"server-{port}.log", "wb")  # noqa: SIM115 - closed in finally
        proc = subprocess.Popen(
            server.command(port, workers, uri), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_healthy(proc, port)
            progress(f"server up on port {port} with {workers} workers on {server.backend}")
            yield port
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            log.close()


def _wait_healthy(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(f"server-{port}.log", "rb") as handle:
                tail = handle.read()[-3000:].decode(errors="replace")
            raise RuntimeError(f"the server exited with code {proc.returncode}:\n{tail}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /health within {READY_TIMEOUT_S:.0f}s")


class Client:
    """One keep-alive connection; raises on any non-200 answer."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method: str, path: str, body: bytes | None = None) -> bytes:
        """Send one request and return the body of its 200 answer."""
        headers = JSON_HEADERS if body is not None else {}
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {data[:500]!r}")
        return data

    def json(self, method: str, path: str, message: dict[str, Any] | None = None) -> Any:
        """Send a JSON message (as the body, or ``None`` for a GET) and decode the answer."""
        body = None if message is None else json.dumps(message).encode()
        data = self.call(method, path, body)
        return json.loads(data) if data else {}


def create_runs(port: int, count: int, experiment: str = "bench") -> tuple[str, list[str]]:
    """Create an experiment and ``count`` runs in it; return their ids."""
    client = Client(port)
    experiment_id = client.json("POST", f"{API}/experiments/create", {"name": experiment})[
        "experiment_id"
    ]
    run_ids = [
        client.json(
            "POST",
            f"{API}/runs/create",
            {"experiment_id": experiment_id, "start_time": BASE_TIMESTAMP_MS, "run_name": f"r{i}"},
        )["run"]["info"]["run_id"]
        for i in range(count)
    ]
    return experiment_id, run_ids


def in_clients(target: Callable[..., Any], args_per_client: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Run ``target(barrier, *args)`` in one forked process per entry; return their results."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(args_per_client))
    queue = context.Queue()

    def child(index: int, args: tuple[Any, ...]) -> None:
        try:
            queue.put((index, target(barrier, *args), None))
        except BaseException as exc:  # reported to the parent, which fails the workload
            barrier.abort()
            queue.put((index, None, repr(exc)))

    procs = [context.Process(target=child, args=(i, a)) for i, a in enumerate(args_per_client)]
    for proc in procs:
        proc.start()
    results: list[Any] = [None] * len(procs)
    for _ in procs:
        index, result, error = queue.get(timeout=3600)
        if error is not None:
            raise RuntimeError(f"client {index} failed: {error}")
        results[index] = result
    for proc in procs:
        proc.join()
    return results
