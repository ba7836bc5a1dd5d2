"""System metrics of a run: CPU, memory, disk, network and GPU sampled while the run is active.

Switched on per run with ``start_run(log_system_metrics=True)`` (or ``%%track --system-metrics``),
or for every run with ``MLTRACK_ENABLE_SYSTEM_METRICS_LOGGING=true`` /
:func:`enable_system_metrics_logging`, as in MLflow. The metrics carry MLflow's names
(``system/cpu_utilization_percentage``, ``system/gpu_0_memory_usage_megabytes``, ...; with a node
id, ``system/<node>/...``) and steps 0, 1, 2, ...

One daemon thread per process, not one per run, takes a sample every
``MLTRACK_SYSTEM_METRICS_SAMPLING_INTERVAL`` seconds (10) and hands it to every registered run.
Each run averages ``MLTRACK_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING`` samples (1) into one point
per metric and queues the points on the fluent API's background writer, so the user's thread
never waits for a sample or a store write. A run gets its first sample when it starts; when it
ends, its last partial window is queued before the run's final flush, and nothing after.

Needs psutil (``pip install 'jupyter_mltrack[system-metrics]'``); GPU figures also need
nvidia-ml-py and an NVIDIA driver, and are left out silently without them.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_mltrack._time import now_ms
from jupyter_mltrack._validation import validate_key
from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run
    from jupyter_mltrack.store.base import MetricPoint, TrackingStore
    from jupyter_mltrack.tracking._system_samplers import HostSampler

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_SAMPLES",
    "ENV_ENABLE",
    "ENV_INTERVAL",
    "ENV_NODE_ID",
    "ENV_SAMPLES",
    "PREFIX",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "sampled_runs",
    "set_system_metrics_node_id",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    "track",
    "untrack",
    "wanted",
]

logger = logging.getLogger(__name__)

ENV_ENABLE = "MLTRACK_ENABLE_SYSTEM_METRICS_LOGGING"
ENV_INTERVAL = "MLTRACK_SYSTEM_METRICS_SAMPLING_INTERVAL"
ENV_SAMPLES = "MLTRACK_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING"
ENV_NODE_ID = "MLTRACK_SYSTEM_METRICS_NODE_ID"
DEFAULT_INTERVAL = 10.0
DEFAULT_SAMPLES = 1
PREFIX = "system/"
THREAD_NAME = "mltrack-system-metrics"
_TRUE = ("1", "true", "yes", "on")


# -- settings (environment variables, so child processes inherit them, as in MLflow) ----------
def enable_system_metrics_logging() -> None:
    """Log system metrics in every run started from now on (unless it passes False).

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.enable_system_metrics_logging()  # doctest: +SKIP
    """
    os.environ[ENV_ENABLE] = "true"


def disable_system_metrics_logging() -> None:
    """Stop logging system metrics by default; ``start_run(log_system_metrics=True)`` still can.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.disable_system_metrics_logging()
    """
    os.environ[ENV_ENABLE] = "false"


def set_system_metrics_sampling_interval(interval: float | None) -> None:
    """Sample every ``interval`` seconds (default 10); None restores the default.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.set_system_metrics_sampling_interval(None)
    """
    if interval is None:
        os.environ.pop(ENV_INTERVAL, None)
        return
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not interval > 0:
        raise InvalidParameterError(
            f"The system metrics sampling interval must be a number of seconds > 0, "
            f"got {interval!r}"
        )
    os.environ[ENV_INTERVAL] = repr(float(interval))


def set_system_metrics_samples_before_logging(samples: int | None) -> None:
    """Average ``samples`` samples into each logged point (default 1); None restores it.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.set_system_metrics_samples_before_logging(None)
    """
    if samples is None:
        os.environ.pop(ENV_SAMPLES, None)
        return
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise InvalidParameterError(
            f"samples_before_logging must be a whole number >= 1, got {samples!r}"
        )
    os.environ[ENV_SAMPLES] = str(samples)


def set_system_metrics_node_id(node_id: str | None) -> None:
    """Name this machine in the metric keys (``system/<node_id>/...``); None removes it.

    Useful when several nodes of one distributed job log into the same run.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.set_system_metrics_node_id(None)
    """
    if node_id is None:
        os.environ.pop(ENV_NODE_ID, None)
        return
    validate_key("system metrics node id", str(node_id))
    if "/" in str(node_id):
        raise InvalidParameterError(f"The system metrics node id must not contain '/': {node_id!r}")
    os.environ[ENV_NODE_ID] = str(node_id)


def sampling_interval() -> float:
    """Return the sampling interval in seconds (``MLTRACK_SYSTEM_METRICS_SAMPLING_INTERVAL``)."""
    value = _env_number(ENV_INTERVAL, DEFAULT_INTERVAL)
    return value if value > 0 else DEFAULT_INTERVAL


def samples_before_logging() -> int:
    """Return how many samples make one logged point."""
    return max(1, int(_env_number(ENV_SAMPLES, DEFAULT_SAMPLES)))


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        logger.warning("%s=%r is not a number; using %s", name, raw, default)
        return default


def _prefix() -> str:
    node = os.environ.get(ENV_NODE_ID, "").strip()
    return f"{PREFIX}{node}/" if node else PREFIX


def wanted(log_system_metrics: bool | None) -> bool:
    """Decide whether a new run samples system metrics (None: the global switch decides).

    Raises:
        MissingDependencyError: ``log_system_metrics`` is True and psutil is not installed.
    """
    from jupyter_mltrack.tracking._system_samplers import require_psutil

    if log_system_metrics is not None:
        if log_system_metrics:
            require_psutil()
        return bool(log_system_metrics)
    if os.environ.get(ENV_ENABLE, "").strip().lower() not in _TRUE:
        return False
    try:
        require_psutil()
    except MissingDependencyError as exc:
        # A global switch must not break every start_run of a process; say why once per run.
        logger.warning("%s=true is ignored: %s", ENV_ENABLE, exc)
        return False
    return True


# -- the registry of sampled runs and the process's one sampler thread ------------------------
@dataclass(slots=True, eq=False)
class _Window:
    """One run's samples not yet logged, and where its next point goes."""

    store: TrackingStore
    prefix: str
    network_base: dict[str, float]
    sums: dict[str, float] = field(default_factory=dict)
    count: int = 0
    step: int = 0
    sampled: bool = False

    def add(self, values: dict[str, float]) -> None:
        self.sampled = True
        self.count += 1
        for key, value in values.items():
            # Network counters run since boot; the run's figure is what moved since it started.
            value -= self.network_base.get(key, 0.0)
            self.sums[key] = self.sums.get(key, 0.0) + value

    def take_points(self) -> list[MetricPoint]:
        stamp, step = now_ms(), self.step
        points = [
            (self.prefix + key, round(total / self.count, 1), stamp, step)
            for key, total in self.sums.items()
        ]
        self.sums, self.count, self.step = {}, 0, step + 1
        return points


_runs: dict[str, _Window] = {}
_lock = threading.Lock()
_wake = threading.Event()
_thread: threading.Thread | None = None


def track(store: TrackingStore, run: Run) -> None:
    """Sample system metrics into ``run`` until :func:`untrack` (first sample now).

    A resumed run goes on from the step after its last system metric point, as in MLflow.
    """
    from jupyter_mltrack.tracking._system_samplers import network_counters

    run_id = run.info.run_id
    steps = [s for k, (_, s) in run.data.metric_points.items() if k.startswith(PREFIX)]
    window = _Window(
        store=store,
        prefix=_prefix(),
        network_base=network_counters(),
        step=max(steps) + 1 if steps else 0,
    )
    with _lock:
        _runs[run_id] = window
        _ensure_thread()
    _wake.set()


def untrack(run_id: str) -> None:
    """Stop sampling ``run_id`` and queue its last partial window; no-op if not sampled."""
    with _lock:
        window = _runs.pop(run_id, None)
        if window is not None and window.count:
            _publish(run_id, window)


def sampled_runs() -> list[str]:
    """Return the ids of the runs whose system metrics this process samples."""
    with _lock:
        return list(_runs)


def _publish(run_id: str, window: _Window) -> None:
    from jupyter_mltrack.tracking.batching import BATCHER

    BATCHER.add_many(window.store, run_id, window.take_points())


def _ensure_thread() -> None:
    global _thread
    if _thread is None or not _thread.is_alive():
        _thread = threading.Thread(target=_sample_forever, name=THREAD_NAME, daemon=True)
        _thread.start()


def _sample_forever() -> None:
    from jupyter_mltrack.tracking._system_samplers import HostSampler

    sampler: HostSampler | None = None
    last = -math.inf
    while True:
        interval = sampling_interval()
        with _lock:
            busy = bool(_runs)
        # Parked without runs; otherwise up to the next tick, or earlier when a run starts. Naps
        # of at most a second: a shorter interval set meanwhile applies within a second.
        _wake.wait(min(1.0, max(0.0, last + interval - time.monotonic())) if busy else None)
        _wake.clear()
        regular = time.monotonic() - last >= interval
        if regular:
            last = time.monotonic()
        try:
            sampler = sampler or HostSampler()
            _tick(sampler, regular=regular)
        except Exception:  # sampling must never disturb the runs; the next tick may pass
            logger.debug("System metrics sampling failed", exc_info=True)


def _tick(sampler: HostSampler, *, regular: bool) -> None:
    """Take one sample for every run (``regular``) or only for runs not sampled yet."""
    with _lock:
        if not any(regular or not w.sampled for w in _runs.values()):
            return
    values = sampler.sample()
    needed = samples_before_logging()
    with _lock:
        for run_id, window in _runs.items():
            if not (regular or not window.sampled):
                continue
            window.add(values)
            if window.count >= needed:
                # Queued under the lock: once untrack() returns, no point of the run is pending
                # here, so end_run's flush is the run's last write. Queuing is a deque append.
                _publish(run_id, window)


def _reset() -> None:
    """Stop sampling every run without logging (tests: runs forgotten without being ended)."""
    with _lock:
        _runs.clear()


def _forget_in_child() -> None:
    # The parent's thread does not exist in a forked child, and its runs are the parent's.
    global _thread, _lock, _wake
    _runs.clear()
    _thread = None
    _lock, _wake = threading.Lock(), threading.Event()


os.register_at_fork(after_in_child=_forget_in_child)
