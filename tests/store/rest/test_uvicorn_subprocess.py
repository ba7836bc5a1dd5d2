"""The REST store against the server as deployed: plain ``uvicorn --factory --workers 2`` in its
own process group (no ``mltrack`` CLI involved), started while the client already retries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from rest_server import free_port

from jupyter_mltrack.entities import Metric
from jupyter_mltrack.errors import StoreError
from jupyter_mltrack.store.rest import RestStore
from jupyter_mltrack.store.rest.http import HttpClient
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_client_bridges_server_startup_and_reports_it_gone(tmp_path: Path, caplog, monkeypatch):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MLTRACK_SERVER_BACKEND_STORE_URI": f"sqlite:///{tmp_path / 'server.db'}",
        "MLTRACK_SERVER_ARTIFACTS_DESTINATION": str(tmp_path / "artifacts"),
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory",
        "jupyter_mltrack.server.asgi:create_app_from_env",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--log-level", "warning",
    ]  # fmt: skip
    # Retries from the first request on: the server is still starting when the client asks.
    store = RestStore(url, http=HttpClient(url, max_retries=10, backoff_factor=0.1))
    process = subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True)
    try:
        assert store.get_experiment("0").name == "Default"
        # The first tries found nothing listening yet; the retries waited for the server.
        assert any("Connection refused" in r.getMessage() for r in caplog.records)

        client = TrackingClient(store=store)
        run_ids = [client.create_run("0", run_name=f"w{i}").info.run_id for i in range(4)]

        def work(run_id: str) -> None:
            for chunk in range(5):
                store.log_metric_points(
                    run_id, [("m", float(i), i, i) for i in range(chunk * 500, chunk * 500 + 500)]
                )
            client.log_text(run_id, f"from {run_id}", "out/who.txt")

        threads = [threading.Thread(target=work, args=(r,)) for r in run_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for run_id in run_ids:  # four clients' data, spread over two worker processes
            assert len(store.get_metric_history(run_id, "m")) == 2500
            assert store.get_run(run_id).data.metrics == {"m": 2499.0}
            text = tmp_path / "artifacts" / "0" / run_id / "artifacts" / "out" / "who.txt"
            assert text.read_text() == f"from {run_id}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    monkeypatch.setenv("MLTRACK_OFFLINE_LOGGING", "false")  # writes fail, not journaled
    gone = RestStore(url, http=HttpClient(url, max_retries=1, backoff_factor=0.01))
    with pytest.raises(StoreError, match=rf"{url}/api/2.0/mlflow/runs/get.*2 attempt\(s\)"):
        gone.get_run(run_ids[0])
    with pytest.raises(StoreError):
        gone.log_metric(run_ids[0], Metric(key="m", value=1.0, timestamp=1))
