"""jupyter_mltrack's system-metrics workload (issue 18; jupyter_mltrack only).

- ``system_metrics_overhead``: what sampling system metrics costs the fluent logging path:
  ``size`` ``log_metric`` calls + ``flush()`` in a run with ``log_system_metrics=True`` against
  the same in a run without, in CPU time of the whole process (the sampler and writer threads
  included) and in wall time. The sampling interval is 1 s, ten times MLflow's default rate,
  so that several samples fall inside every timed loop. On a shared machine the loop-to-loop
  noise is larger than the effect, so the details also give the CPU time of one sample (median
  of 50) and the share of one core that sampling takes at this interval.
"""

from __future__ import annotations

import os
import time

from _common import elapsed_ms, emit, median

PAIRS = 7
INTERVAL_S = 1.0
CPU_KEY = "system/cpu_utilization_percentage"


def _timed(size: int, sampled: bool) -> tuple[float, float, int]:
    """Return CPU ms, wall ms and the number of system samples logged into the run."""
    import jupyter_mltrack as mlt

    with mlt.start_run(log_system_metrics=sampled) as run:
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(size):
            mlt.log_metric("m", i * 0.001, step=i)
        mlt.flush()
        cpu_ms, wall_ms = (time.process_time() - cpu) * 1000.0, elapsed_ms(wall)
    history = mlt.TrackingClient().get_metric_history(run.info.run_id, CPU_KEY)
    return cpu_ms, wall_ms, len(history)


def _sample_cpu_ms() -> float:
    from jupyter_mltrack.tracking._system_samplers import HostSampler

    sampler = HostSampler()
    costs = []
    for _ in range(50):
        start = time.process_time()
        sampler.sample()
        costs.append((time.process_time() - start) * 1000.0)
    return median(costs)


def system_metrics_overhead(size: int) -> None:
    """Emit the CPU-time overhead in percent: total CPU of the sampled loops over the others."""
    import jupyter_mltrack as mlt

    os.environ["MLTRACK_SYSTEM_METRICS_SAMPLING_INTERVAL"] = str(INTERVAL_S)
    mlt.set_experiment("bench")
    _timed(size // 10, True)  # warm-up: psutil import, the sampler thread, the store
    off: list[tuple[float, float, int]] = []
    on: list[tuple[float, float, int]] = []
    for pair in range(PAIRS):
        # Alternate which side goes first so drift on a shared machine hits both alike.
        for sampled in (pair % 2 == 0, pair % 2 == 1):
            (on if sampled else off).append(_timed(size, sampled))
    # Sums, not medians: single loops swing by +-20 % here, bimodally, and sums average that.
    cpu_off, cpu_on = sum(r[0] for r in off), sum(r[0] for r in on)
    wall_off, wall_on = sum(r[1] for r in off), sum(r[1] for r in on)
    samples, sample_ms = sum(r[2] for r in on), _sample_cpu_ms()
    emit(
        (cpu_on / cpu_off - 1.0) * 100.0,
        interval_s=INTERVAL_S,
        pairs=PAIRS,
        cpu_ms_off=[r[0] for r in off],
        cpu_ms_on=[r[0] for r in on],
        wall_overhead_percent=(wall_on / wall_off - 1.0) * 100.0,
        calls_per_s_off=size * PAIRS / wall_off * 1000.0,
        calls_per_s_on=size * PAIRS / wall_on * 1000.0,
        samples_logged=samples,
        sample_cpu_ms=sample_ms,
        # What the samples themselves cost, as a share of the sampled loops' CPU time.
        attributed_overhead_percent=samples * sample_ms / cpu_on * 100.0,
    )
