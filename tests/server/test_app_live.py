"""The app under a real uvicorn server on 127.0.0.1: keep-alive, concurrency, streaming."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = pytest.mark.server

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def test_round_trip_over_http(live_server, server_store):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        assert http.get("/health").text == "OK"
        experiment_id = http.post(f"{API}/experiments/create", json={"name": "live"}).json()[
            "experiment_id"
        ]
        run = http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()["run"]
        run_id = run["info"]["run_id"]
        batch = {
            "run_id": run_id,
            "metrics": [
                {"key": "loss", "value": 1 / (i + 1), "timestamp": i, "step": i}
                for i in range(1000)
            ],
        }
        assert http.post(f"{API}/runs/log-batch", json=batch).json() == {}
        missing = http.get(f"{API}/experiments/get-by-name", params={"experiment_name": "nope"})
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert len(server_store.get_metric_history(run_id, "loss")) == 1000


def test_concurrent_clients(live_server, server_store):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        http.post(f"{API}/experiments/create", json={"name": "busy"})
        run_ids = [
            http.post(f"{API}/runs/create", json={"experiment_id": "1"}).json()["run"]["info"][
                "run_id"
            ]
            for _ in range(4)
        ]

    def work(run_id: str) -> int:
        with httpx.Client(base_url=live_server.url, timeout=30) as own:
            for step in range(25):
                body = {
                    "run_id": run_id,
                    "key": "m",
                    "value": step,
                    "timestamp": step,
                    "step": step,
                }
                assert own.post(f"{API}/runs/log-metric", json=body).status_code == 200
            data = os.urandom(200_000)
            put = own.put(f"{ARTIFACTS}/1/{run_id}/artifacts/blob.bin", content=data)
            assert put.status_code == 200
            assert own.get(f"{ARTIFACTS}/1/{run_id}/artifacts/blob.bin").content == data
        return run_id.__len__()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(work, run_ids)) == [32] * 4
    for run_id in run_ids:
        assert [m.step for m in server_store.get_metric_history(run_id, "m")] == list(range(25))
