"""jupyter_mltrack's scale workloads (issue 19): cost as the store grows to 10^6 runs.

Imported by ``mltrack_workloads.py`` only when one of these runs. The stores come from
``_scale_store.py`` (built once through ``TrackingStore.import_runs``, cached under ``.bench/``);
a workload's ``size`` is the largest store it measures, and it measures every store size up to
it (10^4, 10^5, 10^6 runs) so the details hold the growth curve that ``scale_plot.py`` draws.
Each figure is the median of several calls after one warm-up call; ``cpu_*`` details give this
process's CPU time for the same calls (on a shared machine the wall time includes waiting for
a core; on SQLite the CPU time is the work itself).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from _common import elapsed_ms, emit, median, progress
from _scale_store import EXPERIMENT, disk_bytes, scale_store_uri

SIZES = (10_000, 100_000, 1_000_000)
CALLS = 7
PAGE = 100
FILTER = "metrics.m0 > 0.5"
ORDER = ["metrics.m1 DESC"]
TABLE_CALLS = 5


def timed(action: Callable[[], object], calls: int = CALLS) -> tuple[float, float]:
    """Return the median wall and CPU milliseconds of ``calls`` calls after a warm-up call."""
    action()
    walls, cpus = [], []
    for _ in range(calls):
        cpu, start = time.process_time(), time.perf_counter()
        action()
        walls.append(elapsed_ms(start))
        cpus.append((time.process_time() - cpu) * 1000.0)
    return median(walls), median(cpus)


def _stores(backend: str, size: int) -> list[tuple[int, Any, str]]:
    from jupyter_mltrack.store.sql.store import SqlStore

    stores = []
    for runs in [n for n in SIZES if n <= size] or [size]:
        progress(f"{backend} store of {runs:,} runs")
        store = SqlStore(scale_store_uri(backend, runs))
        experiment = store.get_experiment_by_name(EXPERIMENT)
        assert experiment is not None
        stores.append((runs, store, experiment.experiment_id))
    return stores


def _growth(backend: str, size: int, measure: Callable[[Any, str], dict[str, float]]) -> None:
    """Measure every store up to ``size``; the value is the ``value`` figure at the largest."""
    by_runs: dict[str, dict[str, float]] = {}
    for runs, store, experiment_id in _stores(backend, size):
        by_runs[str(runs)] = measure(store, experiment_id)
        store.close()
    largest = by_runs[max(by_runs, key=int)]
    emit(largest["value"], backend=backend, by_runs=by_runs)


def _page(backend: str, size: int) -> None:
    def measure(store: Any, experiment_id: str) -> dict[str, float]:
        def first() -> Any:
            return store.search_runs([experiment_id], FILTER, max_results=PAGE, order_by=ORDER)

        token = first().token
        wall, cpu = timed(first)
        next_wall, next_cpu = timed(
            lambda: store.search_runs(
                [experiment_id], FILTER, max_results=PAGE, order_by=ORDER, page_token=token
            )
        )
        return {"value": wall, "cpu_ms": cpu, "next_page_ms": next_wall, "next_cpu_ms": next_cpu}

    _growth(backend, size, measure)


def _count(backend: str, size: int) -> None:
    def measure(store: Any, experiment_id: str) -> dict[str, float]:
        found = store.count_runs([experiment_id], FILTER)
        wall, cpu = timed(lambda: store.count_runs([experiment_id], FILTER))
        return {"value": wall, "cpu_ms": cpu, "counted": found}

    _growth(backend, size, measure)


def _frame(backend: str, size: int) -> None:
    def measure(store: Any, experiment_id: str) -> dict[str, float]:
        import jupyter_mltrack as mlt

        # The fluent search_runs, the DataFrame path users call, on the store of this size.
        mlt.set_tracking_uri(scale_store_uri(backend, store.count_runs([experiment_id])))
        rows = len(mlt.search_runs([experiment_id], max_results=10**7))
        wall, cpu = timed(lambda: mlt.search_runs([experiment_id], max_results=10**7), calls=5)
        return {"value": wall, "cpu_ms": cpu, "rows": rows}

    _growth(backend, size, measure)


def _runs_table(backend: str, size: int) -> None:
    """RunsTable through its public API: first render, next page, sort, filter (slowest)."""

    def measure(store: Any, experiment_id: str) -> dict[str, float]:
        from jupyter_mltrack import TrackingClient
        from jupyter_mltrack.widgets import RunsTable

        args = {"experiment": EXPERIMENT, "client": TrackingClient(store=store)}
        RunsTable(**args).close()  # imports, first plans
        tables: list[Any] = []
        figures: dict[str, float] = {}
        _table_op(figures, "first_render", lambda: tables.append(RunsTable(**args)))
        table = tables[-1]
        pages = iter(range(10**6))
        _table_op(
            figures,
            "page",
            lambda: table.next_page() if next(pages) % 2 == 0 else table.prev_page(),
        )
        _table_op(figures, "sort", lambda: table.sort_by("metrics.m1"))
        _table_op(
            figures, "filter", lambda: table.set_filter("" if table.filter_string else FILTER)
        )
        for made in tables:
            made.close()
        slowest = max(v for k, v in figures.items() if not k.startswith("cpu_"))
        return {"value": slowest, **figures}

    _growth(backend, size, measure)


def _table_op(figures: dict[str, float], name: str, action: Callable[[], object]) -> None:
    """Record the median wall and CPU milliseconds of ``TABLE_CALLS`` calls of a table op."""
    walls, cpus = [], []
    for _ in range(TABLE_CALLS):
        cpu, start = time.process_time(), time.perf_counter()
        action()
        walls.append(elapsed_ms(start))
        cpus.append((time.process_time() - cpu) * 1000.0)
    figures[f"{name}_ms"], figures[f"cpu_{name}_ms"] = median(walls), median(cpus)


def _disk_run(backend: str, size: int) -> None:
    """Bytes on disk per run (5 metrics, 5 params, 2 tags): the store's size over its runs."""
    by_runs = {}
    for runs, store, _ in _stores(backend, size):
        uri = scale_store_uri(backend, runs)
        store.close()
        by_runs[str(runs)] = {"value": disk_bytes(uri) / runs, "bytes": disk_bytes(uri)}
    emit(by_runs[max(by_runs, key=int)]["value"], backend=backend, by_runs=by_runs)


def scale_page(size: int) -> None:
    """First page of 100 runs, ``metrics.m0 > 0.5`` ordered by ``metrics.m1 DESC`` (SQLite)."""
    _page("sqlite", size)


def scale_page_pg(size: int) -> None:
    """The same on PostgreSQL."""
    _page("postgresql", size)


def scale_count(size: int) -> None:
    """``count_runs`` with ``metrics.m0 > 0.5`` (SQLite)."""
    _count("sqlite", size)


def scale_count_pg(size: int) -> None:
    """The same on PostgreSQL."""
    _count("postgresql", size)


def scale_frame(size: int) -> None:
    """``search_runs_frame`` of every run of the experiment, as a DataFrame (SQLite)."""
    _frame("sqlite", size)


def scale_frame_pg(size: int) -> None:
    """The same on PostgreSQL."""
    _frame("postgresql", size)


def scale_runs_table(size: int) -> None:
    """RunsTable first render / next page / sort / filter, the slowest of the four (SQLite)."""
    _runs_table("sqlite", size)


def scale_runs_table_pg(size: int) -> None:
    """The same on PostgreSQL."""
    _runs_table("postgresql", size)


def scale_disk_run(size: int) -> None:
    """Bytes on disk per run of the scale stores (SQLite file incl. WAL)."""
    _disk_run("sqlite", size)


def scale_disk_run_pg(size: int) -> None:
    """Bytes per run of the PostgreSQL scale databases (``pg_database_size``)."""
    _disk_run("postgresql", size)


def scale_history(size: int) -> None:
    """``get_metric_history`` of 100,000 points: in a store of ``size`` points over small."""
    from _scale_history import history_figures

    emit(**history_figures(size))


def scale_disk_point(size: int) -> None:
    """Bytes on disk per metric point: ``size`` points of one series in a new store."""
    from _scale_history import disk_per_point

    emit(**disk_per_point(size))


# The 10^4 rows have their own target (<= 50 ms); the same measurement on the smallest store.
scale_page_1e4 = scale_page
scale_page_1e4_pg = scale_page_pg
