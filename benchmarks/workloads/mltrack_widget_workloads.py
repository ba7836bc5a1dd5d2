"""jupyter_mltrack's notebook-widget workloads (issue 6); MLflow has no counterpart.

Imported by ``mltrack_workloads.py`` only when one of these runs (see ``lazy_workloads``), so
``import_time`` never pays for ipywidgets or plotly. The widgets are built without a kernel:
ipywidgets then talks to no frontend, which is exactly the Python side the targets are about.
Each workload warms up first (imports, a tiny widget) so one-time import costs are excluded.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from _common import (
    BASE_TIMESTAMP_MS,
    batches,
    elapsed_ms,
    emit,
    median,
    progress,
    search_run_values,
)

PLOT_RUNS = 20
PLOT_KEY = "loss"
TABLE_CALLS = 5  # timed calls per table operation; the median is reported
TABLE_FILTER = "metrics.m0 > 0.5 and params.p0 != 'x'"


def widget_metric_plot(size: int) -> None:
    """Time ``MetricPlot`` of 20 runs x ``size`` points: first display, fetch + render.

    The value is the whole first display (``MetricPlot(run_ids, keys=["loss"])``: 20 history
    fetches, smoothing, LTTB downsampling and the figure JSON); the extras split it into the
    store fetch and the render, and give the bytes of figure JSON sent to the browser.
    """
    from jupyter_mltrack import TrackingClient
    from jupyter_mltrack.entities import Metric
    from jupyter_mltrack.widgets import MetricPlot

    client = TrackingClient()
    experiment_id = client.create_experiment("bench")
    run_ids = []
    for r in range(PLOT_RUNS):
        run_id = client.create_run(experiment_id, run_name=f"run-{r}").info.run_id
        for chunk in batches(size, 10_000):
            points = [
                Metric(
                    key=PLOT_KEY,
                    value=1.0 / (j + 1) + r * 1e-3,
                    timestamp=BASE_TIMESTAMP_MS + j,
                    step=j,
                )
                for j in chunk
            ]
            client.log_batch(run_id, metrics=points)
        client.set_terminated(run_id)
        run_ids.append(run_id)
        progress(f"logged {r + 1}/{PLOT_RUNS} runs of {size:,} points")
    MetricPlot(run_ids[:1], keys=[PLOT_KEY], client=client).close()  # warm-up: plotly import

    totals, fetches, renders, sent = [], [], [], 0
    for _ in range(3):
        start = time.perf_counter()
        plot = MetricPlot(run_ids, keys=[PLOT_KEY], client=client)
        totals.append(elapsed_ms(start))
        fetches.append(plot.timings["fetch"] * 1000.0)
        renders.append(plot.timings["render"] * 1000.0)
        sent = plot.sent_bytes
        traces = len(plot.output.figure.data)
        plot.close()
    rerender = _median_ms(lambda: setattr(plot, "smoothing", 0.5 if plot.smoothing == 0 else 0.0))
    emit(
        median(totals),
        calls_ms=totals,
        fetch_ms=median(fetches),
        render_ms=median(renders),
        rerender_ms=rerender,
        sent_mb=sent / 1e6,
        traces=traces,
        points=size * PLOT_RUNS,
    )


def widget_runs_table(size: int) -> None:
    """Time ``RunsTable`` over ``size`` runs: first render, page change, sort, filter.

    Uses the table's public methods (what its buttons call): ``next_page``/``prev_page``,
    ``sort_by`` (alternating direction, so every call is a new query) and ``set_filter``
    (alternating between a filter and none). The value is the slowest of the four operations,
    each the median of several calls; they share one target, so the slowest decides.
    """
    from jupyter_mltrack import TrackingClient
    from jupyter_mltrack.entities import Metric, Param, RunTag
    from jupyter_mltrack.widgets import RunsTable

    client = TrackingClient()
    experiment_id = client.create_experiment("bench")
    for i in range(size):
        run_id = client.create_run(experiment_id).info.run_id
        metrics, params, tags = search_run_values(i)
        client.log_batch(
            run_id,
            metrics=[
                Metric(key=k, value=v, timestamp=BASE_TIMESTAMP_MS + i) for k, v in metrics.items()
            ],
            params=[Param(key=k, value=v) for k, v in params.items()],
            tags=[RunTag(key=k, value=v) for k, v in tags.items()],
        )
        if (i + 1) % 1000 == 0:
            progress(f"populated {i + 1:,}/{size:,} runs")
    RunsTable(experiment="bench", client=client).close()  # warm-up: imports, first query plans

    tables: list[RunsTable] = []
    first_ms = _median_ms(lambda: tables.append(RunsTable(experiment="bench", client=client)))
    table = tables[-1]
    pages = iter(range(10**6))
    figures = {
        "first_render_ms": first_ms,
        "page_ms": _median_ms(
            lambda: table.next_page() if next(pages) % 2 == 0 else table.prev_page()
        ),
        "sort_ms": _median_ms(lambda: table.sort_by("metrics.m1")),
        "filter_ms": _median_ms(
            lambda: table.set_filter("" if table.filter_string else TABLE_FILTER)
        ),
    }
    errors = [table.notice.message] if table.notice.kind == "error" else []
    emit(
        max(figures.values()),
        **figures,
        runs=size,
        rows_shown=len(table.runs),
        page_size=table.page_size,
        errors=errors,
    )


def _median_ms(action: Callable[[], object], calls: int = TABLE_CALLS) -> float:
    timings = []
    for _ in range(calls):
        start = time.perf_counter()
        action()
        timings.append(elapsed_ms(start))
    return median(timings)
