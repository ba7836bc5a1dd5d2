"""jupyter_mltrack's side of the server workloads: how ``mltrack server`` is started.

The client side, identical for both tools, is ``_server_bench.py``.
"""

from __future__ import annotations

import os
import sys

from _server_bench import bind


def command(port: int, workers: int, backend_uri: str) -> list[str]:
    """``mltrack server`` on the given database, artifacts proxied to a folder in the temp dir."""
    return [
        sys.executable, "-m", "jupyter_mltrack", "server",
        "--backend-store-uri", backend_uri,
        "--artifacts-destination", os.path.abspath("server-artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip


bind(globals(), command, postgres_driver="psycopg")
