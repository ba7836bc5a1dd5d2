"""MLflow's side of each workload; run by the MLflow venv's interpreter in a fresh temp dir.

The runner sets ``MLFLOW_TRACKING_URI=sqlite:///<tmp>/x.db`` and starts this script with the temp
dir as working directory, so artifacts (``./mlruns``) land there too. Each function mirrors the
same-named one in ``mltrack_workloads.py``; only the library calls differ.
"""

from __future__ import annotations

import time

from _common import (
    BASE_TIMESTAMP_MS,
    MLFLOW_SCALE_WORKLOADS,
    MODEL_WORKLOADS,
    SEARCH_CALLS,
    SEARCH_FILTER,
    SEARCH_MAX_RESULTS,
    SEARCH_ORDER_BY,
    SERVER_WORKLOADS,
    batches,
    elapsed_ms,
    emit,
    fluent_run_values,
    lazy_workloads,
    main,
    median,
    progress,
    search_run_values,
)


def import_time(size: int) -> None:
    """Time ``import mlflow`` in this fresh interpreter."""
    import sys

    before = len(sys.modules)
    start = time.perf_counter()
    import mlflow  # noqa: F401

    emit(elapsed_ms(start), modules_loaded=len(sys.modules) - before)


def end_to_end(size: int) -> None:
    """Import, log one run with a param and a metric, exit (the runner times the process)."""
    import mlflow

    with mlflow.start_run():
        mlflow.log_param("p", "1")
        mlflow.log_metric("m", 0.5)
    emit(None)


def first_store_use(size: int) -> None:
    """Time the first call that opens the new SQLite store (creates the tables)."""
    start = time.perf_counter()
    import mlflow

    import_ms = elapsed_ms(start)
    start = time.perf_counter()
    mlflow.set_experiment("x")
    emit(elapsed_ms(start), import_ms=import_ms)


def log_metric_loop(size: int) -> None:
    """Time ``size`` fluent ``log_metric`` calls plus the flush that puts them on disk.

    Sync or async is chosen by the runner through ``MLFLOW_ENABLE_ASYNC_LOGGING``.
    """
    import mlflow

    mlflow.set_experiment("bench")
    run = mlflow.start_run()
    start = time.perf_counter()
    for i in range(size):
        mlflow.log_metric("m", i * 0.001, step=i)
    mlflow.flush_async_logging()
    seconds = time.perf_counter() - start
    mlflow.end_run()
    stored = len(mlflow.MlflowClient().get_metric_history(run.info.run_id, "m"))
    emit(size / seconds, seconds=seconds, stored=stored)


def log_batch_points(size: int) -> None:
    """Time ``size`` metric points through ``MlflowClient.log_batch``, 1,000 per call."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient()
    run_id = client.create_run(client.create_experiment("bench")).info.run_id
    prepared = [
        [Metric(f"m{j % 10}", j * 1e-6, BASE_TIMESTAMP_MS + j, j // 10) for j in chunk]
        for chunk in batches(size, 1000)
    ]
    start = time.perf_counter()
    for n, batch in enumerate(prepared, 1):
        client.log_batch(run_id, metrics=batch)
        if n % 100 == 0:
            progress(f"{n * 1000:,} points")
    seconds = time.perf_counter() - start
    stored = len(client.get_metric_history(run_id, "m0"))
    emit(size / seconds, seconds=seconds, stored_m0=stored)


def create_runs(size: int) -> None:
    """Time ``size`` fluent runs with 5 params, 5 metrics and 2 tags each; report ms per run."""
    import mlflow

    mlflow.set_experiment("bench")
    params, metrics, tags = fluent_run_values()
    start = time.perf_counter()
    for _ in range(size):
        mlflow.start_run()
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        mlflow.set_tags(tags)
        mlflow.end_run()
    emit(elapsed_ms(start) / size, seconds=(time.perf_counter() - start))


def search_runs(size: int) -> None:
    """Populate ``size`` runs through the client, then time a filtered, ordered search."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    client = MlflowClient()
    experiment_id = client.create_experiment("bench")
    start = time.perf_counter()
    for i in range(size):
        run_id = client.create_run(experiment_id).info.run_id
        metrics, params, tags = search_run_values(i)
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, BASE_TIMESTAMP_MS + i, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )
        if (i + 1) % 500 == 0:
            progress(f"populated {i + 1:,}/{size:,} runs")
    populate_s = time.perf_counter() - start
    # The first call pays one-time costs (jupyter_mltrack imports pandas lazily on it, MLflow at
    # import); it is reported separately and the figure is the median of the calls after it.
    timings, rows, first_ms = [], 0, 0.0
    for call in range(1 + SEARCH_CALLS):
        start = time.perf_counter()
        frame = mlflow.search_runs(
            experiment_ids=[experiment_id],
            filter_string=SEARCH_FILTER,
            order_by=SEARCH_ORDER_BY,
            max_results=SEARCH_MAX_RESULTS,
        )
        if call == 0:
            first_ms = elapsed_ms(start)
        else:
            timings.append(elapsed_ms(start))
        rows = len(frame)
    emit(
        median(timings), calls_ms=timings, first_call_ms=first_ms, rows=rows, populate_s=populate_s
    )


def metric_history(size: int) -> None:
    """Log ``size`` steps of one metric via ``log_batch``, then time ``get_metric_history``."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient()
    run_id = client.create_run(client.create_experiment("bench")).info.run_id
    for chunk in batches(size, 1000):
        client.log_batch(
            run_id, metrics=[Metric("m", j * 1e-6, BASE_TIMESTAMP_MS + j, j) for j in chunk]
        )
    timings, points = [], 0
    for _ in range(3):
        start = time.perf_counter()
        points = len(client.get_metric_history(run_id, "m"))
        timings.append(elapsed_ms(start))
    emit(median(timings), calls_ms=timings, points=points)


WORKLOADS = {
    "import_time": import_time,
    "end_to_end": end_to_end,
    "first_store_use": first_store_use,
    "log_metric_loop": log_metric_loop,
    "log_batch_points": log_batch_points,
    "create_runs": create_runs,
    "search_runs": search_runs,
    "metric_history": metric_history,
    **lazy_workloads("mlflow_model_workloads", MODEL_WORKLOADS),
    **lazy_workloads("mlflow_server_workloads", SERVER_WORKLOADS),
    # Only the rows where MLflow runs (specs.py): its stores cannot reach 10^5-10^6 runs.
    **lazy_workloads("mlflow_scale_workloads", MLFLOW_SCALE_WORKLOADS),
}

if __name__ == "__main__":
    main(WORKLOADS)
