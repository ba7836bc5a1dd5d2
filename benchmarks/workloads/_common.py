"""Helpers shared by the per-tool workload scripts; stdlib only, imported by both venvs.

A workload script runs as ``python <tool>_workloads.py NAME SIZE`` in a fresh temp directory and
prints exactly one JSON line on stdout: ``{"value": ..., "extra": {...}}``. Progress goes to
stderr as ``progress: ...`` lines, which the runner relays. This module imports nothing heavy at
the top so that the import-time workload measures the tracking library alone.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

    Workload = Callable[[int], None]

#: Fixed epoch for synthetic timestamps, so both tools store identical data.
BASE_TIMESTAMP_MS = 1_700_000_000_000

#: The search workload's query, the same string for both tools.
SEARCH_FILTER = "metrics.m0 > 0.5 and params.p0 != 'x'"
SEARCH_ORDER_BY = ["metrics.m1 DESC"]
SEARCH_MAX_RESULTS = 100_000
SEARCH_CALLS = 5  # timed search calls after the first (reported separately)

#: The model workloads, implemented in ``<tool>_model_workloads.py`` (see ``lazy_workloads``).
MODEL_WORKLOADS = (
    "model_log",
    "model_log_warm",
    "model_load_predict",
    "serve_requests",
    "serve_overhead",
)

#: The notebook-widget workloads (jupyter_mltrack only), in ``mltrack_widget_workloads.py``.
WIDGET_WORKLOADS = ("widget_metric_plot", "widget_runs_table", "widget_compare_cold")

#: The ``%%track`` notebook workloads (jupyter_mltrack only), in ``mltrack_notebook_workloads.py``.
NOTEBOOK_WORKLOADS = (
    "notebook_track_overhead",
    "notebook_track_overhead_long",
    "notebook_track_1k_points",
    "notebook_saved_bytes",
    "notebook_saved_bytes_10k",
    "notebook_iopub_bytes",
    "notebook_iopub_bytes_10k",
)

#: The autolog overhead per library (jupyter_mltrack only), in ``mltrack_autolog_workloads.py``.
AUTOLOG_WORKLOADS = (
    "autolog_overhead_sklearn",
    "autolog_overhead_xgboost",
    "autolog_overhead_lightgbm",
    "autolog_overhead_lightning",
)

#: The Lab server extension workloads (jupyter_mltrack only), in ``mltrack_lab_workloads.py``.
LAB_WORKLOADS = ("lab_runs_page",)

#: The scale workloads (issue 19), in ``<tool>_scale_workloads.py`` over ``_scale_store.py``.
#: The environment and Spark workloads (issue 17), in ``mltrack_env_workloads.py``.
ENV_WORKLOADS = ("env_cached_start", "spark_udf_rows")

SCALE_WORKLOADS = (
    "scale_page_1e4",
    "scale_page_1e4_pg",
    "scale_page",
    "scale_page_pg",
    "scale_count",
    "scale_count_pg",
    "scale_frame",
    "scale_frame_pg",
    "scale_runs_table",
    "scale_runs_table_pg",
    "scale_history",
    "scale_disk_run",
    "scale_disk_run_pg",
    "scale_disk_point",
)

#: The scale workloads MLflow runs too (on 10,000 runs), in ``mlflow_scale_workloads.py``.
MLFLOW_SCALE_WORKLOADS = ("scale_page_1e4", "scale_frame", "scale_disk_run", "scale_disk_point")

#: The metric-shape workloads (jupyter_mltrack, with W&B beside), in ``mltrack_wide_workloads.py``.
WIDE_WORKLOADS = (
    "wide_log_metrics",
    "wide_log_batch",
    "wide_log_batch_async",
    "narrow_log_metric",
    "wide_store_size",
)

#: The tracking-server workloads, in ``<tool>_server_workloads.py`` over ``_server_bench.py``.
SERVER_WORKLOADS = (
    "server_log_batch",
    "server_log_metric",
    "server_search_runs",
    "server_artifact_upload",
    "server_artifact_download",
    "server_log_batch_pg",
    "server_log_metric_pg",
    "server_search_runs_pg",
)


def main(workloads: Mapping[str, Workload]) -> None:
    """Run the workload named by ``argv[1]`` with the size in ``argv[2]`` (no argparse: it is
    slow to import and would pre-load modules the import-time workload should pay for)."""
    name, size = sys.argv[1], int(sys.argv[2])
    if name not in workloads:
        sys.exit(f"unknown workload {name!r}; known: {', '.join(sorted(workloads))}")
    workloads[name](size)


def lazy_workloads(module: str, names: tuple[str, ...]) -> dict[str, Workload]:
    """Return workloads that import ``module`` only when run, so that ``import_time`` (which
    shares the workload script) never pays for the model workloads' imports."""

    def bind(name: str) -> Workload:
        def run(size: int) -> None:
            import importlib

            getattr(importlib.import_module(module), name)(size)

        return run

    return {name: bind(name) for name in names}


def emit(value: float | None, **extra: Any) -> None:
    """Print the measurement as the one JSON line the runner reads."""
    import json

    print(json.dumps({"value": value, "extra": extra}), flush=True)


def progress(message: str) -> None:
    """Tell the runner (and the person watching) how far a long workload got."""
    print(f"progress: {message}", file=sys.stderr, flush=True)


def elapsed_ms(start: float) -> float:
    """Return milliseconds since ``start`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - start) * 1000.0


def median(values: list[float]) -> float:
    """Return the median of a non-empty list."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def batches(total: int, size: int) -> Iterator[range]:
    """Yield consecutive index ranges of at most ``size`` covering ``range(total)``."""
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


def search_run_values(i: int) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """Return run ``i``'s 5 metrics, 5 params and 2 tags for the search workload.

    Deterministic (a multiplicative hash, no ``random`` import), so both tools index the same
    data; about half the runs have ``m0 > 0.5`` and a third have ``p0 == 'x'``.
    """
    metrics = {f"m{k}": ((i * 2654435761 + k * 40503) % 10007) / 10007 for k in range(5)}
    params = {"p0": "xyz"[i % 3], **{f"p{k}": f"v{(i + k) % 7}" for k in range(1, 5)}}
    tags = {"t0": f"team{i % 4}", "t1": "bench"}
    return metrics, params, tags


def fluent_run_values() -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
    """Return the 5 params, 5 metrics and 2 tags each run of the many-runs workload logs."""
    params = {f"p{k}": str(k) for k in range(5)}
    metrics = {f"m{k}": k * 0.1 for k in range(5)}
    tags = {"t0": "a", "t1": "b"}
    return params, metrics, tags


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM); return False where Linux refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def rss_mb(field: str = "VmRSS") -> float:
    """Return ``VmRSS`` (current) or ``VmHWM`` (peak) of this process in MiB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
