"""MLflow's side of the server workloads: how ``mlflow server`` is started.

The client side, identical for both tools, is ``_server_bench.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from _server_bench import bind


def command(port: int, workers: int, backend_uri: str) -> list[str]:
    """``mlflow server`` on the given database, artifacts proxied to a folder in the temp dir."""
    return [
        str(Path(sys.executable).parent / "mlflow"), "server",
        "--backend-store-uri", backend_uri,
        "--artifacts-destination", os.path.abspath("server-artifacts"), "--serve-artifacts",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        # uvicorn kills a worker that misses its 5 s health check; under this load MLflow's
        # workers miss it and the benchmark's connections drop. A longer grace period only keeps
        # MLflow alive, it does not make it faster.
        "--uvicorn-opts", "--timeout-worker-healthcheck 120",
    ]  # fmt: skip


bind(globals(), command, postgres_driver="psycopg2")
