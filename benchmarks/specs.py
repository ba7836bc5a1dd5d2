"""The workload catalog: what each benchmark is called, its unit, size, target and timeout.

A workload is measured once for jupyter_mltrack and once per MLflow *mode* (e.g. sync and async
logging); each mode becomes one row of the results table. The child scripts in ``workloads/``
implement the workloads under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class MlflowMode:
    """One way of running MLflow for a workload: a label for the row and extra environment."""

    label: str = ""
    env: dict[str, str] = field(default_factory=dict)
    #: MLflow 3.17.2's figure on SQLite as quoted in the issue, for reference.
    issue_figure: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    """A benchmark: how to run it, how to read its number and what jupyter_mltrack must reach."""

    name: str
    title: str  # may contain {size}
    unit: str
    higher_is_better: bool
    target: float
    size: int
    quick_size: int
    #: Fresh processes per tool; the median is reported. Expensive workloads run once.
    repeats: int
    timeout_s: float
    #: The value is the child's wall time minus bare interpreter startup, not what it prints.
    wall_clock: bool = False
    #: Empty: MLflow is not measured for this workload (shown as "—").
    mlflow_modes: tuple[MlflowMode, ...] = (MlflowMode(),)
    #: The target is relative: jupyter_mltrack must be this many times better than MLflow
    #: measured in the same session (``target`` then only applies where MLflow has no figure).
    mlflow_ratio_target: float | None = None
    #: With a ratio target, ``target`` must be reached as well (not only where MLflow is absent).
    absolute_too: bool = False

    def describe(self, size: int) -> str:
        """Return the title with the size filled in."""
        return self.title.format(size=f"{size:,}")

    def meets(self, value: float, ratio: float | None = None) -> bool:
        """Return whether jupyter_mltrack's ``value`` (``ratio`` x MLflow) reaches the target."""
        reaches = value >= self.target if self.higher_is_better else value <= self.target
        if self.mlflow_ratio_target is not None and ratio is not None:
            return ratio >= self.mlflow_ratio_target and (reaches or not self.absolute_too)
        return reaches


ASYNC_ENV = {"MLFLOW_ENABLE_ASYNC_LOGGING": "true"}

WORKLOADS: tuple[Workload, ...] = (
    Workload(
        name="import_time",
        title="import (fresh process)",
        unit="ms",
        higher_is_better=False,
        target=150,
        size=1,
        quick_size=1,
        repeats=5,
        timeout_s=120,
        mlflow_modes=(MlflowMode(issue_figure=1190),),
    ),
    Workload(
        name="end_to_end",
        title="fresh process: import, 1 run with a param and a metric, exit",
        unit="ms",
        higher_is_better=False,
        target=500,
        size=1,
        quick_size=1,
        repeats=3,
        timeout_s=180,
        wall_clock=True,
        mlflow_modes=(MlflowMode(issue_figure=3300),),
    ),
    Workload(
        name="first_store_use",
        title="first use of a new SQLite store (set_experiment)",
        unit="ms",
        higher_is_better=False,
        target=400,
        size=1,
        quick_size=1,
        repeats=3,
        timeout_s=180,
        mlflow_modes=(MlflowMode(issue_figure=1970),),
    ),
    Workload(
        name="log_metric_loop",
        title="{size} fluent log_metric calls + flush",
        unit="calls/s",
        higher_is_better=True,
        target=100_000,
        size=10_000,
        quick_size=500,
        repeats=1,
        timeout_s=900,
        mlflow_modes=(
            MlflowMode(label="sync", issue_figure=214),
            MlflowMode(label="async", env=ASYNC_ENV, issue_figure=176),
        ),
    ),
    Workload(
        name="log_batch_points",
        title="{size} metric points via client log_batch (1,000/batch)",
        unit="points/s",
        higher_is_better=True,
        target=250_000,
        size=1_000_000,
        quick_size=20_000,
        repeats=1,
        timeout_s=900,
        mlflow_modes=(MlflowMode(issue_figure=10_000),),
    ),
    Workload(
        name="create_runs",
        title="{size} fluent runs (5 params, 5 metrics, 2 tags)",
        unit="ms/run",
        higher_is_better=False,
        target=1,
        size=1_000,
        quick_size=50,
        # The machine's speed swings by a third within minutes: the median of three processes
        # per tool (MLflow's three take ~75 s).
        repeats=3,
        timeout_s=600,
        mlflow_modes=(MlflowMode(issue_figure=30),),
    ),
    # --- metric shapes (issue 19): 1,000 keys per step as training loops log them, and one key
    # over many steps; W&B 0.31 offline runs the same shape (its figure is in the details) ---
    Workload(
        name="wide_log_metrics",
        title="{size} points as 1,000 keys x steps, fluent log_metrics per step + flush",
        unit="points/s",
        higher_is_better=True,
        target=300_000,
        size=1_000_000,
        quick_size=20_000,
        repeats=1,
        timeout_s=1800,
        mlflow_modes=(),
    ),
    Workload(
        name="wide_log_batch",
        title="{size} points as 1,000 keys x steps, client log_batch of 1,000 per step",
        unit="points/s",
        higher_is_better=True,
        target=300_000,
        size=1_000_000,
        quick_size=20_000,
        repeats=1,
        timeout_s=1800,
        mlflow_modes=(),
    ),
    Workload(
        name="wide_log_batch_async",
        title=(
            "{size} points as 1,000 keys x steps, client log_batch(synchronous=False) "
            "of 1,000 per step + wait"
        ),
        unit="points/s",
        higher_is_better=True,
        target=300_000,
        size=1_000_000,
        quick_size=20_000,
        repeats=1,
        timeout_s=1800,
        mlflow_modes=(),
    ),
    Workload(
        name="narrow_log_metric",
        title="{size} points of one key, fluent log_metric per step + flush",
        unit="points/s",
        higher_is_better=True,
        target=100_000,
        size=1_000_000,
        quick_size=20_000,
        repeats=1,
        timeout_s=1800,
        mlflow_modes=(),
    ),
    Workload(
        name="wide_store_size",
        title="store size after {size} points as 1,000 keys x steps (target: W&B's 27.8 MB)",
        unit="MB",
        higher_is_better=False,
        target=27.8,
        size=1_000_000,
        quick_size=20_000,
        repeats=1,
        timeout_s=1800,
        mlflow_modes=(),
    ),
    Workload(
        name="search_runs",
        title="search_runs over {size} runs (filter + order_by, DataFrame)",
        unit="ms",
        higher_is_better=False,
        target=100,
        size=10_000,
        quick_size=300,
        repeats=1,
        timeout_s=1800,
        mlflow_modes=(MlflowMode(issue_figure=2450),),
    ),
    Workload(
        name="metric_history",
        title="get_metric_history of {size} steps",
        unit="ms",
        higher_is_better=False,
        target=200,
        size=100_000,
        quick_size=5_000,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(MlflowMode(issue_figure=2590),),
    ),
    Workload(
        name="peak_memory",
        title="peak RSS growth, {size} fluent log_metric calls + flush",
        unit="MB",
        higher_is_better=False,
        target=100,
        size=1_000_000,
        quick_size=50_000,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="live_plot_overhead",
        title="{size} log_metric calls + flush with the notebook live plot on, relative to off",
        unit="x",
        higher_is_better=False,
        target=1.5,
        size=100_000,
        quick_size=10_000,
        repeats=3,
        timeout_s=600,
        mlflow_modes=(),
    ),
    # Issue 18: sampling system metrics (1 s interval) must not slow the fluent logging path.
    Workload(
        name="system_metrics_overhead",
        title="CPU time of {size} log_metric calls + flush with system metrics on, over off",
        unit="%",
        higher_is_better=False,
        target=5,
        size=200_000,
        quick_size=50_000,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    # Issue 18: what autologging adds to one small training per library, outside any run (a run
    # of its own each time) with the defaults, i.e. the model logged too; the details give the
    # ratio on/off and the cost without the model (workloads/mltrack_autolog_workloads.py).
    Workload(
        name="autolog_overhead_sklearn",
        title="autolog: ms added to fitting a 50-tree forest on iris (median of {size})",
        unit="ms",
        higher_is_better=False,
        target=500,
        size=7,
        quick_size=3,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="autolog_overhead_xgboost",
        title="autolog: ms added to 50 rounds of xgboost.train (median of {size})",
        unit="ms",
        higher_is_better=False,
        target=500,
        size=7,
        quick_size=3,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="autolog_overhead_lightgbm",
        title="autolog: ms added to 50 rounds of lightgbm.train (median of {size})",
        unit="ms",
        higher_is_better=False,
        target=500,
        size=7,
        quick_size=3,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="autolog_overhead_lightning",
        title="autolog: ms added to a 2-epoch Lightning fit of a tiny model (median of {size})",
        unit="ms",
        higher_is_better=False,
        target=1500,
        size=7,
        quick_size=3,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    # --- %%track in a real kernel through nbclient (issue 19): what a tracked cell adds over
    # the same cell untracked, in time and in bytes (workloads/mltrack_notebook_workloads.py) ---
    Workload(
        name="notebook_track_overhead",
        title="%%track cell that logs nothing: time added over the cell untracked ({size} each)",
        unit="ms",
        higher_is_better=False,
        target=15,
        size=30,
        quick_size=8,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="notebook_track_overhead_long",
        title="%%track cell that logs nothing, after 500 earlier cells: time added ({size} each)",
        unit="ms",
        higher_is_better=False,
        target=15,
        size=30,
        quick_size=8,
        repeats=1,
        timeout_s=900,
        mlflow_modes=(),
    ),
    Workload(
        name="notebook_track_1k_points",
        title="%%track cell logging {size} points: time added over the same logging untracked",
        unit="ms",
        higher_is_better=False,
        target=25,
        size=1_000,
        quick_size=1_000,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="notebook_saved_bytes",
        title="KB a %%track cell that logs nothing adds to the saved notebook (widget state incl.)",
        unit="KB",
        higher_is_better=False,
        target=10,
        size=0,
        quick_size=0,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="notebook_saved_bytes_10k",
        title="KB a %%track cell logging {size} points adds to the saved notebook",
        unit="KB",
        higher_is_better=False,
        target=200,
        size=10_000,
        quick_size=10_000,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="notebook_iopub_bytes",
        title="KB a %%track cell that logs nothing sends over iopub/comm",
        unit="KB",
        higher_is_better=False,
        target=10,
        size=0,
        quick_size=0,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="notebook_iopub_bytes_10k",
        title="KB a %%track cell logging {size} points sends over iopub/comm",
        unit="KB",
        higher_is_better=False,
        target=200,
        size=10_000,
        quick_size=10_000,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    Workload(
        name="sweep_parallel",
        title="project sweep of {size} notebook trials, --parallel 2 time / sequential time",
        unit="x",
        higher_is_better=False,
        target=0.65,
        size=8,
        quick_size=4,
        repeats=1,
        timeout_s=900,
        mlflow_modes=(),
    ),
    Workload(
        name="widget_runs_table",
        title="RunsTable over {size} runs: slowest of first render, next page, sort, filter",
        unit="ms",
        higher_is_better=False,
        target=300,
        size=10_000,
        quick_size=500,
        repeats=1,
        timeout_s=1200,
        mlflow_modes=(),
    ),
    Workload(
        name="widget_metric_plot",
        title="MetricPlot of 20 runs x {size} points: first display (fetch + render)",
        unit="ms",
        higher_is_better=False,
        target=1000,
        size=100_000,
        quick_size=5_000,
        repeats=1,
        timeout_s=1200,
        mlflow_modes=(),
    ),
    Workload(
        name="widget_compare_cold",
        title="First RunComparison of 3 runs in a fresh process (imports + reads + figures)",
        unit="ms",
        higher_is_better=False,
        target=1000,
        size=5,
        quick_size=3,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(),
    ),
    # --- the JupyterLab server extension (issue 13): handler latency over real HTTP against a
    # real `jupyter server` (workloads/mltrack_lab_workloads.py; p50/p99 per route in extras) ---
    Workload(
        name="lab_runs_page",
        title="Lab API: GET runs, a page of 50 of {size} runs, p50 over HTTP",
        unit="ms",
        higher_is_better=False,
        target=30,
        size=10_000,
        quick_size=1_000,
        repeats=1,
        timeout_s=900,
        mlflow_modes=(),
    ),
    Workload(
        name="model_log",
        title="sklearn.log_model, 50-tree forest with an input example (first call in a process)",
        unit="ms",
        higher_is_better=False,
        target=300,
        size=1,
        quick_size=1,
        repeats=3,
        timeout_s=600,
        mlflow_modes=(MlflowMode(issue_figure=2650),),
    ),
    Workload(
        name="model_log_warm",
        title="sklearn.log_model, same model, later calls in the process (median of {size})",
        unit="ms",
        higher_is_better=False,
        target=300,
        size=5,
        quick_size=2,
        repeats=1,
        timeout_s=900,
        mlflow_modes=(MlflowMode(issue_figure=2650),),
    ),
    Workload(
        name="model_load_predict",
        title="pyfunc.load_model + predict {size} rows (50-tree forest)",
        unit="ms",
        higher_is_better=False,
        target=26.7,  # MLflow's 21 ms + 5.7 ms in the issue
        size=1_000,
        quick_size=1_000,
        repeats=3,
        timeout_s=600,
        mlflow_modes=(MlflowMode(issue_figure=26.7),),
        mlflow_ratio_target=1.0,  # no slower than MLflow
    ),
    Workload(
        name="serve_requests",
        title="scoring server, 1 worker: 1-row requests from 1 client for {size} s",
        unit="req/s",
        higher_is_better=True,
        target=162,  # 1.5x MLflow's 108 req/s in the issue
        size=15,
        quick_size=3,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(MlflowMode(issue_figure=108),),
        mlflow_ratio_target=1.5,
    ),
    Workload(
        name="serve_overhead",
        title="scoring server overhead: p50 latency minus in-process predict ({size} s)",
        unit="ms",
        higher_is_better=False,
        target=1,
        size=15,
        quick_size=3,
        repeats=1,
        timeout_s=600,
        mlflow_modes=(MlflowMode(issue_figure=4.0),),
    ),
    # --- the tracking server (issue 8): mltrack server vs mlflow server, both with 4 workers on
    # a SQLite file, driven by the same raw-HTTP clients (workloads/_server_bench.py) ---
    Workload(
        name="server_log_batch",
        title="server, 4 workers: {size} points via log-batch (1,000/request, 4 clients)",
        unit="points/s",
        higher_is_better=True,
        target=50_000,
        size=200_000,
        quick_size=20_000,
        repeats=1,
        timeout_s=900,
        mlflow_ratio_target=3.0,
        absolute_too=True,
    ),
    Workload(
        name="server_log_metric",
        title="server, 4 workers: single log-metric requests from 4 clients for {size} s",
        unit="req/s",
        higher_is_better=True,
        target=0,
        size=15,
        quick_size=3,
        repeats=1,
        timeout_s=600,
        mlflow_ratio_target=3.0,
    ),
    Workload(
        name="server_search_runs",
        title="server, 4 workers: runs/search over {size} runs (filter + order_by)",
        unit="ms",
        higher_is_better=False,
        target=float("inf"),
        size=10_000,
        quick_size=300,
        repeats=1,
        timeout_s=2400,
        mlflow_ratio_target=3.0,
    ),
    Workload(
        name="server_artifact_upload",
        title="server, 4 workers: upload of a {size} MB artifact through the proxy",
        unit="MB/s",
        higher_is_better=True,
        target=0,
        size=50,
        quick_size=5,
        repeats=1,
        timeout_s=600,
        mlflow_ratio_target=3.0,
    ),
    Workload(
        name="server_artifact_download",
        title="server, 4 workers: download of a {size} MB artifact through the proxy",
        unit="MB/s",
        higher_is_better=True,
        target=0,
        size=50,
        quick_size=5,
        repeats=1,
        timeout_s=600,
        mlflow_ratio_target=3.0,
    ),
    # The same server workloads on PostgreSQL (127.0.0.1:5432, user postgres, a fresh database
    # per run): the deployment the issue is about, where 4 workers do not share one file lock.
    Workload(
        name="server_log_batch_pg",
        title="server on PostgreSQL, 4 workers: {size} points via log-batch (1,000/request)",
        unit="points/s",
        higher_is_better=True,
        target=50_000,
        size=200_000,
        quick_size=20_000,
        repeats=1,
        timeout_s=900,
        mlflow_ratio_target=3.0,
        absolute_too=True,
    ),
    Workload(
        name="server_log_metric_pg",
        title="server on PostgreSQL, 4 workers: single log-metric requests for {size} s",
        unit="req/s",
        higher_is_better=True,
        target=0,
        size=15,
        quick_size=3,
        repeats=1,
        timeout_s=600,
        mlflow_ratio_target=3.0,
    ),
    Workload(
        name="server_search_runs_pg",
        title="server on PostgreSQL, 4 workers: runs/search over {size} runs",
        unit="ms",
        higher_is_better=False,
        target=float("inf"),
        size=10_000,
        quick_size=300,
        repeats=1,
        timeout_s=2400,
        mlflow_ratio_target=3.0,
    ),
    # --- scale (issue 19): stores of 10^4-10^6 runs (5 metrics, 5 params, 2 tags each), built
    # once through TrackingStore.import_runs and cached under .bench/scale (PostgreSQL: databases
    # mltrack_scale_<runs>); "size" is the largest store, the details hold every smaller one.
    # Filter "metrics.m0 > 0.5" (half the runs), order "metrics.m1 DESC". MLflow runs only the
    # rows it can build a store for in reasonable time (10,000 runs, ~30 ms a run).
    *(
        Workload(
            name=f"scale_page_1e4{suffix}",
            title=f"{label}first page of 100 of {{size}} runs: metric filter + metric order",
            unit="ms",
            higher_is_better=False,
            target=50,
            size=10_000,
            quick_size=10_000,
            repeats=1,
            timeout_s=1800,
            mlflow_modes=() if suffix else (MlflowMode(),),
        )
        for suffix, label in (("", ""), ("_pg", "PostgreSQL: "))
    ),
    *(
        Workload(
            name=f"{name}{suffix}",
            title=f"{label}{title}",
            unit=unit,
            higher_is_better=False,
            target=target,
            size=size,
            quick_size=10_000,
            repeats=1,
            timeout_s=7200,
            mlflow_modes=(),
        )
        for suffix, label in (("", ""), ("_pg", "PostgreSQL: "))
        for name, title, unit, target, size in (
            (
                "scale_page",
                "first page of 100 of {size} runs: metric filter + order",
                "ms",
                150,
                1_000_000,
            ),
            (
                "scale_count",
                "count_runs with a metric filter over {size} runs",
                "ms",
                100,
                1_000_000,
            ),
            (
                "scale_runs_table",
                "RunsTable over {size} runs: slowest of render/page/sort/filter",
                "ms",
                300,
                1_000_000,
            ),
        )
    ),
    *(
        Workload(
            name=f"scale_frame{suffix}",
            title=f"{label}search_runs of all {{size}} runs to a DataFrame (no filter)",
            unit="ms",
            higher_is_better=False,
            target=100,
            size=10_000,
            quick_size=10_000,
            repeats=1,
            timeout_s=3600,
            mlflow_modes=() if suffix else (MlflowMode(),),
        )
        for suffix, label in (("", ""), ("_pg", "PostgreSQL: "))
    ),
    Workload(
        name="scale_history",
        title="get_metric_history of 100,000 points in a store of {size} points / in a small store",
        unit="x",
        higher_is_better=False,
        target=1.25,  # "unchanged": within noise of the small store
        size=100_000_000,
        quick_size=1_000_000,
        repeats=1,
        timeout_s=7200,
        mlflow_modes=(),
    ),
    *(
        Workload(
            name=f"scale_disk_run{suffix}",
            title=f"{label}store size on disk per run, {{size}} runs (MLflow: 10,000 runs)",
            unit="B/run",
            higher_is_better=False,
            target=float("inf"),
            size=1_000_000,
            quick_size=10_000,
            repeats=1,
            timeout_s=7200,
            mlflow_modes=() if suffix else (MlflowMode(),),
            mlflow_ratio_target=None if suffix else 1.0,
        )
        for suffix, label in (("", ""), ("_pg", "PostgreSQL: "))
    ),
    Workload(
        name="scale_disk_point",
        title="store size on disk per metric point, {size} points (W&B: 27.8 B, issue 19)",
        unit="B/point",
        higher_is_better=False,
        target=27.8,  # W&B 0.31 offline: 1M points in 27.8 MB (issue 19)
        size=1_000_000,
        quick_size=100_000,
        repeats=1,
        timeout_s=3600,
        mlflow_ratio_target=1.0,
        absolute_too=True,
    ),
    # --- environments and Spark (issue 17; workloads/mltrack_env_workloads.py) ---
    Workload(
        name="env_cached_start",
        title="second start with a cached virtualenv: resolve + interpreter to import (x{size})",
        unit="ms",
        higher_is_better=False,
        target=1000,
        size=5,
        quick_size=2,
        repeats=1,
        timeout_s=900,
        mlflow_modes=(),
    ),
    Workload(
        name="spark_udf_rows",
        title="rows/s scored by pyfunc.spark_udf on local[2], {size} rows (vs in-process)",
        unit="rows/s",
        higher_is_better=True,
        target=100_000,
        size=1_000_000,
        quick_size=50_000,
        repeats=1,
        timeout_s=900,
        mlflow_modes=(),
    ),
)


def get_workload(name: str) -> Workload:
    """Return the workload called ``name`` or raise ``KeyError`` listing the known names."""
    for workload in WORKLOADS:
        if workload.name == name:
            return workload
    known = ", ".join(w.name for w in WORKLOADS)
    raise KeyError(f"unknown workload {name!r}; known: {known}")
