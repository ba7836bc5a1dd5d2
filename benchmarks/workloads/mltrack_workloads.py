"""jupyter_mltrack's side of each workload; run by the project venv in a fresh temp dir.

The runner sets ``MLTRACK_TRACKING_URI=sqlite:///<tmp>/mltrack.db`` and starts this script with
the temp dir as working directory. Each function mirrors the same-named one in
``mlflow_workloads.py``; only the library calls differ.
"""

from __future__ import annotations

import contextlib
import time

from _common import (
    AUTOLOG_WORKLOADS,
    BASE_TIMESTAMP_MS,
    ENV_WORKLOADS,
    LAB_WORKLOADS,
    MODEL_WORKLOADS,
    NOTEBOOK_WORKLOADS,
    SCALE_WORKLOADS,
    SEARCH_CALLS,
    SEARCH_FILTER,
    SEARCH_MAX_RESULTS,
    SEARCH_ORDER_BY,
    SERVER_WORKLOADS,
    WIDE_WORKLOADS,
    WIDGET_WORKLOADS,
    batches,
    elapsed_ms,
    emit,
    fluent_run_values,
    lazy_workloads,
    main,
    median,
    progress,
    reset_peak_rss,
    rss_mb,
    search_run_values,
)

#: Heavy modules worth knowing about when ``import jupyter_mltrack`` loads them eagerly.
HEAVY_MODULES = ("pandas", "numpy", "sqlalchemy", "alembic", "IPython", "yaml", "click", "fsspec")


def import_time(size: int) -> None:
    """Time ``import jupyter_mltrack`` in this fresh interpreter."""
    import sys

    before = len(sys.modules)
    start = time.perf_counter()
    import jupyter_mltrack  # noqa: F401

    ms = elapsed_ms(start)
    heavy = [name for name in HEAVY_MODULES if name in sys.modules]
    emit(ms, modules_loaded=len(sys.modules) - before, heavy_modules_loaded=heavy)


def end_to_end(size: int) -> None:
    """Import, log one run with a param and a metric, exit (the runner times the process)."""
    import jupyter_mltrack as mlt

    with mlt.start_run():
        mlt.log_param("p", "1")
        mlt.log_metric("m", 0.5)
    emit(None)


def first_store_use(size: int) -> None:
    """Time the first call that opens the new SQLite store (creates the tables)."""
    start = time.perf_counter()
    import jupyter_mltrack as mlt

    import_ms = elapsed_ms(start)
    start = time.perf_counter()
    mlt.set_experiment("x")
    emit(elapsed_ms(start), import_ms=import_ms)


def log_metric_loop(size: int) -> None:
    """Time ``size`` fluent ``log_metric`` calls plus the ``flush()`` that puts them on disk."""
    import jupyter_mltrack as mlt

    mlt.set_experiment("bench")
    run = mlt.start_run()
    start = time.perf_counter()
    for i in range(size):
        mlt.log_metric("m", i * 0.001, step=i)
    mlt.flush()
    seconds = time.perf_counter() - start
    mlt.end_run()
    stored = len(mlt.TrackingClient().get_metric_history(run.info.run_id, "m"))
    emit(size / seconds, seconds=seconds, stored=stored)


def log_batch_points(size: int) -> None:
    """Time ``size`` metric points through ``TrackingClient.log_batch``, 1,000 per call."""
    from jupyter_mltrack import TrackingClient
    from jupyter_mltrack.entities import Metric

    client = TrackingClient()
    run_id = client.create_run(client.create_experiment("bench")).info.run_id
    prepared = [
        [
            Metric(key=f"m{j % 10}", value=j * 1e-6, timestamp=BASE_TIMESTAMP_MS + j, step=j // 10)
            for j in chunk
        ]
        for chunk in batches(size, 1000)
    ]
    start, cpu = time.perf_counter(), time.process_time()
    for n, batch in enumerate(prepared, 1):
        client.log_batch(run_id, metrics=batch)
        if n % 100 == 0:
            progress(f"{n * 1000:,} points")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    stored = len(client.get_metric_history(run_id, "m0"))
    emit(size / seconds, seconds=seconds, stored_m0=stored, points_per_cpu_s=size / cpu)


def create_runs(size: int) -> None:
    """Time ``size`` fluent runs with 5 params, 5 metrics and 2 tags each; report ms per run."""
    import jupyter_mltrack as mlt

    mlt.set_experiment("bench")
    params, metrics, tags = fluent_run_values()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(size):
        mlt.start_run()
        mlt.log_params(params)
        mlt.log_metrics(metrics)
        mlt.set_tags(tags)
        mlt.end_run()
    cpu_ms = (time.process_time() - cpu) * 1000 / size
    emit(elapsed_ms(start) / size, seconds=(time.perf_counter() - start), cpu_ms_per_run=cpu_ms)


def search_runs(size: int) -> None:
    """Populate ``size`` runs through the client, then time a filtered, ordered search."""
    import jupyter_mltrack as mlt
    from jupyter_mltrack.entities import Metric, Param, RunTag

    client = mlt.TrackingClient()
    experiment_id = client.create_experiment("bench")
    start = time.perf_counter()
    for i in range(size):
        run_id = client.create_run(experiment_id).info.run_id
        metrics, params, tags = search_run_values(i)
        client.log_batch(
            run_id,
            metrics=[
                Metric(key=k, value=v, timestamp=BASE_TIMESTAMP_MS + i, step=0)
                for k, v in metrics.items()
            ],
            params=[Param(key=k, value=v) for k, v in params.items()],
            tags=[RunTag(key=k, value=v) for k, v in tags.items()],
        )
        if (i + 1) % 500 == 0:
            progress(f"populated {i + 1:,}/{size:,} runs")
    populate_s = time.perf_counter() - start
    # The first call pays one-time costs (jupyter_mltrack imports pandas lazily on it, MLflow at
    # import); it is reported separately and the figure is the median of the calls after it.
    timings, rows, first_ms = [], 0, 0.0
    for call in range(1 + SEARCH_CALLS):
        start = time.perf_counter()
        frame = mlt.search_runs(
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
    from jupyter_mltrack import TrackingClient
    from jupyter_mltrack.entities import Metric

    client = TrackingClient()
    run_id = client.create_run(client.create_experiment("bench")).info.run_id
    for chunk in batches(size, 1000):
        metrics = [
            Metric(key="m", value=j * 1e-6, timestamp=BASE_TIMESTAMP_MS + j, step=j) for j in chunk
        ]
        client.log_batch(run_id, metrics=metrics)
    timings, points = [], 0
    for _ in range(3):
        start = time.perf_counter()
        points = len(client.get_metric_history(run_id, "m"))
        timings.append(elapsed_ms(start))
    emit(median(timings), calls_ms=timings, points=points)


def peak_memory(size: int) -> None:
    """Report peak RSS growth (MiB) while ``size`` fluent ``log_metric`` calls are flushed."""
    import gc

    import jupyter_mltrack as mlt

    mlt.set_experiment("bench")
    mlt.start_run()
    gc.collect()
    reset = reset_peak_rss()
    baseline = rss_mb("VmRSS")
    start = time.perf_counter()
    for i in range(size):
        mlt.log_metric("m", i * 1e-6, step=i)
    mlt.flush()
    seconds = time.perf_counter() - start
    peak = rss_mb("VmHWM")
    mlt.end_run()
    emit(
        peak - baseline,
        baseline_mb=baseline,
        peak_mb=peak,
        peak_reset=reset,
        calls_per_s=size / seconds,
    )


def live_plot_overhead(size: int) -> None:
    """Time ``size`` fluent log_metric calls + flush with a notebook LivePlot on and off.

    Runs in an in-process IPython shell: the live plot's listener buffers every point, a timer
    thread redraws (a small SVG, twice a second at most) and the block's exit leaves a plotly
    figure JSON (no plotly import, no widget). One LivePlot runs before timing (warm-up).
    """
    from IPython.core.interactiveshell import InteractiveShell

    import jupyter_mltrack as mlt
    from jupyter_mltrack.notebook.live import LivePlot

    InteractiveShell.instance()
    mlt.set_experiment("bench")

    def timed(live: bool) -> float:
        with mlt.start_run() as run:
            plot = LivePlot(run.info.run_id) if live else contextlib.nullcontext()
            start = time.perf_counter()
            with plot:
                for i in range(size):
                    mlt.log_metric("loss", 1.0 / (i + 1), step=i)
                mlt.flush()
            return elapsed_ms(start)

    timed(True)  # warm-up: imports, the first figure
    off = [timed(False) for _ in range(3)]
    on = [timed(True) for _ in range(3)]
    emit(median(on) / median(off), off_ms=off, on_ms=on)


SWEEP_PARAMETERS = "alpha = 0.5\nnap = 0.0"
SWEEP_BODY = (
    "import time\nimport jupyter_mltrack as mlt\ntime.sleep(nap)\nmlt.log_metric('score', alpha)"
)


def sweep_parallel(size: int) -> None:
    """Time a grid sweep of ``size`` notebook trials at --parallel 2 relative to --parallel 1.

    Each trial is a real papermill kernel that sleeps 1 s (a stand-in for training), so the
    figure shows how much of the kernel start-up and the trial work the pool overlaps.
    """
    from pathlib import Path

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from jupyter_mltrack.projects.sweep import sweep

    project = Path("sweep_project")
    project.mkdir()
    cell = new_code_cell(SWEEP_PARAMETERS)
    cell.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[cell, new_code_cell(SWEEP_BODY)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, project / "main.ipynb")
    grid = {"alpha": [i / size for i in range(size)], "nap": [1.0]}

    def timed(parallel: int) -> float:
        start = time.perf_counter()
        sweep(project, grid=grid, max_parallel=parallel, metric="score", progress=False)
        return elapsed_ms(start)

    sequential = timed(1)
    parallel = timed(2)
    emit(parallel / sequential, sequential_ms=sequential, parallel_ms=parallel)


WORKLOADS = {
    "import_time": import_time,
    "end_to_end": end_to_end,
    "first_store_use": first_store_use,
    "log_metric_loop": log_metric_loop,
    "log_batch_points": log_batch_points,
    "create_runs": create_runs,
    "search_runs": search_runs,
    "metric_history": metric_history,
    "peak_memory": peak_memory,
    "live_plot_overhead": live_plot_overhead,
    "sweep_parallel": sweep_parallel,
    **lazy_workloads("mltrack_model_workloads", MODEL_WORKLOADS),
    **lazy_workloads("mltrack_server_workloads", SERVER_WORKLOADS),
    **lazy_workloads("mltrack_wide_workloads", WIDE_WORKLOADS),
    **lazy_workloads("mltrack_widget_workloads", WIDGET_WORKLOADS),
    **lazy_workloads("mltrack_notebook_workloads", NOTEBOOK_WORKLOADS),
    **lazy_workloads("mltrack_lab_workloads", LAB_WORKLOADS),
    **lazy_workloads("mltrack_scale_workloads", SCALE_WORKLOADS),
    **lazy_workloads("mltrack_env_workloads", ENV_WORKLOADS),
    **lazy_workloads("mltrack_system_metrics_workloads", ("system_metrics_overhead",)),
    **lazy_workloads("mltrack_autolog_workloads", AUTOLOG_WORKLOADS),
}

if __name__ == "__main__":
    main(WORKLOADS)
