"""Print a reliability test's measured figures in one greppable line (``pytest -s`` shows them).

Every fault-injection test reports what it measured (points logged / found / lost / duplicated,
time to recover, latency percentiles) so a run of the suite doubles as the figures table.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def report(case: str, **figures: object) -> str:
    """Print ``RELIABILITY <case>: key=value ...`` and return the line."""
    parts = " ".join(f"{key}={_format(value)}" for key, value in figures.items())
    line = f"RELIABILITY {case}: {parts}"
    print(line, flush=True)
    return line


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50 and p99 of ``samples`` (seconds in, milliseconds out)."""
    if not samples:
        return {"p50_ms": 0.0, "p99_ms": 0.0}
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p99_ms": p99 * 1000}


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
