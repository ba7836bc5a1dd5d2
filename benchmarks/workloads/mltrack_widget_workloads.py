"""jupyter_mltrack's notebook-widget workloads (issue 6); MLflow has no counterpart.

Imported by ``mltrack_workloads.py`` only when one of these runs (see ``lazy_workloads``), so
``import_time`` never pays for ipywidgets or plotly. The widgets are built without a kernel:
ipywidgets then talks to no frontend, which is exactly the Python side the targets are about.
Each workload warms up first (imports, a tiny widget) so one-time import costs are excluded,
except ``widget_compare_cold``, whose subject is exactly those costs (issue 12).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from _common import (
    BASE_TIMESTAMP_MS,
    batches,
    elapsed_ms,
    emit,
    median,
    progress,
    search_run_values,
)

if TYPE_CHECKING:
    from jupyter_mltrack import TrackingClient

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


COMPARE_RUNS = 3
COMPARE_CHILD = """\
import json, sys, time
import IPython  # a kernel has IPython loaded before any cell runs; numpy, ipywidgets it has not
from jupyter_mltrack import TrackingClient
uri, experiment_id, ids = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
client = TrackingClient(uri)
client.search_runs([experiment_id])  # the runs were looked at (a table) before comparing them
start, cpu = time.perf_counter(), time.process_time()
from jupyter_mltrack.widgets import RunComparison
first = RunComparison(ids, client=client)
first_ms, first_cpu_ms = (time.perf_counter() - start) * 1e3, (time.process_time() - cpu) * 1e3
start = time.perf_counter()
warm = RunComparison(ids, client=client)
warm_ms = (time.perf_counter() - start) * 1e3
errors = [w.notice.message for w in (first, warm) if w.notice.kind == "error"]
print(json.dumps({"first_ms": first_ms, "first_cpu_ms": first_cpu_ms, "warm_ms": warm_ms,
                  "plotly_imported": "plotly" in sys.modules, "errors": errors}))
"""


def widget_compare_cold(size: int) -> None:
    """Time the first ``RunComparison`` of three runs in a fresh process (issue 12: <= 1 s).

    Three runs shaped like the demo sweep's trials (the 19 metrics ``evaluate()`` logs, five
    params of which two vary, a 40-step loss history, a recorded ``cell.py``) are logged untimed.
    Then ``size`` fresh child processes each import ``jupyter_mltrack``, open the store and list
    the runs (untimed, as a session would before comparing), and time
    ``from jupyter_mltrack.widgets import RunComparison; RunComparison(ids)``: the imports of
    the widget modules, the store reads and every figure. A second comparison in the same child
    gives the warm figure. The value is the median first comparison.
    """
    import os
    import subprocess

    from jupyter_mltrack import TrackingClient

    uri = os.environ["MLTRACK_TRACKING_URI"]
    client = TrackingClient(uri)
    experiment_id = client.create_experiment("compare")
    ids = [_compare_run(client, experiment_id, i) for i in range(COMPARE_RUNS)]
    results = []
    for i in range(size):
        done = subprocess.run(
            [sys.executable, "-c", COMPARE_CHILD, uri, experiment_id, ",".join(ids)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        progress(f"cold comparison {i + 1}/{size}: {results[-1]['first_ms']:.0f} ms")
    firsts = [r["first_ms"] for r in results]
    emit(
        median(firsts),
        calls_ms=firsts,
        first_cpu_ms=median([r["first_cpu_ms"] for r in results]),
        warm_ms=median([r["warm_ms"] for r in results]),
        plotly_imported=any(r["plotly_imported"] for r in results),
        errors=[e for r in results for e in r["errors"]],
    )


def _compare_run(client: TrackingClient, experiment_id: str, i: int) -> str:
    from jupyter_mltrack.entities import Metric, Param

    run_id = client.create_run(experiment_id, run_name=f"trial-{i}").info.run_id
    scores = {
        "accuracy_score": 0.93 + 0.01 * i, "f1_score": 0.95 + 0.004 * i,
        "roc_auc": 0.98 - 0.003 * i,
        "log_loss": 0.17 + 0.01 * i, "precision_recall_auc": 0.99, "example_count": 171.0,
        "false_positives": 4.0 + i, "false_negatives": 5.0 - i, "true_positives": 102.0 + i,
        "true_negatives": 60.0 - i,
        **{f"{m}_{avg}": 0.94 + 0.002 * i for m in ("precision_score", "recall_score", "f1_score")
           for avg in ("macro", "weighted")},
        "precision_score": 0.96, "recall_score": 0.95 + 0.001 * i,
    }  # fmt: skip
    points = [Metric(key=k, value=v, timestamp=BASE_TIMESTAMP_MS) for k, v in scores.items()]
    points += [
        Metric(key="train_loss", value=1.0 / (s + 1 + i), timestamp=BASE_TIMESTAMP_MS + s, step=s)
        for s in range(40)
    ]
    params = {"learning_rate": str(0.05 * (i + 1)), "max_depth": str(2 + i % 2),
              "n_estimators": "40", "seed": "0", "data_uri": ""}  # fmt: skip
    client.log_batch(
        run_id, metrics=points, params=[Param(key=k, value=v) for k, v in params.items()]
    )
    client.log_text(run_id, f"model = fit(learning_rate={0.05 * (i + 1)})\n", "cell.py")
    client.set_terminated(run_id)
    return run_id
