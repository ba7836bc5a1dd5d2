"""MLflow's side of the scale workloads, where MLflow can run them in the time allowed.

MLflow has no bulk path: its store of 10,000 runs (the same runs as ``_scale_store.py``) is built
once through ``MlflowClient.create_run`` + ``log_batch`` (~30 ms a run) and cached as
``.bench/scale/mlflow-10000.db``; stores of 10^5-10^6 runs would take hours, so the rows at those
sizes have no MLflow figure. Per-run sizes are measured on the 10,000-run store.
"""

from __future__ import annotations

import os
import time
from typing import Any

from _common import (
    BASE_TIMESTAMP_MS,
    batches,
    elapsed_ms,
    emit,
    median,
    progress,
    search_run_values,
)
from _scale_store import CACHE_DIR, EXPERIMENT

RUNS = 10_000
CALLS = 7
PAGE = 100
FILTER = "metrics.m0 > 0.5"
ORDER = ["metrics.m1 DESC"]


def _store(runs: int = RUNS) -> tuple[Any, str, str]:
    """Return (client, experiment id, database path) of the cached MLflow store."""
    import mlflow
    from mlflow.entities import Metric, Param, RunTag

    path = CACHE_DIR / f"mlflow-{runs}.db"
    done = path.with_suffix(".done")
    uri = f"sqlite:///{path}"
    if not done.exists():
        path.unlink(missing_ok=True)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if not done.exists():
        experiment_id = client.create_experiment(
            EXPERIMENT, artifact_location=str(CACHE_DIR / "mlflow-artifacts")
        )
        for i in range(runs):
            metrics, params, tags = search_run_values(i)
            start = BASE_TIMESTAMP_MS + i * 1000
            run_id = client.create_run(experiment_id, start_time=start).info.run_id
            client.log_batch(
                run_id,
                metrics=[Metric(k, v, start, 0) for k, v in metrics.items()],
                params=[Param(k, v) for k, v in params.items()],
                tags=[RunTag(k, v) for k, v in tags.items()],
            )
            if (i + 1) % 500 == 0:
                progress(f"MLflow store: {i + 1:,}/{runs:,} runs")
        done.write_text("built\n")
    else:
        assert experiment is not None
        experiment_id = experiment.experiment_id
    return client, experiment_id, str(path)


def _timed(action: Any) -> float:
    action()
    timings = []
    for _ in range(CALLS):
        start = time.perf_counter()
        action()
        timings.append(elapsed_ms(start))
    return median(timings)


def scale_page(size: int) -> None:
    """First page of 100 runs with the metric filter and order, on 10,000 runs."""
    client, experiment_id, _ = _store()
    ms = _timed(
        lambda: client.search_runs([experiment_id], FILTER, order_by=ORDER, max_results=PAGE)
    )
    emit(ms, runs=RUNS)


scale_page_1e4 = scale_page


def scale_frame(size: int) -> None:
    """``mlflow.search_runs`` of every run to a DataFrame, on 10,000 runs."""
    import mlflow

    _, experiment_id, _ = _store()
    rows = len(mlflow.search_runs([experiment_id], max_results=100_000))
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        mlflow.search_runs([experiment_id], max_results=100_000)
        timings.append(elapsed_ms(start))
    emit(median(timings), rows=rows, runs=RUNS)


def scale_disk_run(size: int) -> None:
    """Bytes on disk per run of the 10,000-run store."""
    _, _, path = _store()
    size_bytes = sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    emit(size_bytes / RUNS, bytes=size_bytes, runs=RUNS)


def scale_disk_point(size: int) -> None:
    """Bytes on disk per metric point: ``size`` points of one metric in a new store."""
    import mlflow
    from mlflow.entities import Metric

    client = mlflow.MlflowClient()
    experiment_id = client.create_experiment("points")
    run_id = client.create_run(experiment_id).info.run_id
    empty = _db_bytes()
    for chunk in batches(size, 1000):
        points = [Metric("loss", 1.0 / (j + 1), BASE_TIMESTAMP_MS + j, j) for j in chunk]
        client.log_batch(run_id, metrics=points)
        if chunk.stop % 100_000 == 0:
            progress(f"MLflow: {chunk.stop:,}/{size:,} points")
    total = _db_bytes()
    emit((total - empty) / size, bytes=total, points=size)


def _db_bytes() -> int:
    path = os.environ["MLFLOW_TRACKING_URI"].removeprefix("sqlite:///")
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
