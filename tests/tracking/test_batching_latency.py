"""The background writer's latency stays bounded on a slow store: a kill loses ~1 s at most.

A store slower than the caller used to let the backlog grow to ``max_pending`` points and each
transaction to ``chunk`` points, so the newest points waited for seconds of writing (all lost
to a kill -9). Now the batcher measures the store and caps both at what it writes in
``write_budget`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from jupyter_mltrack.tracking.batching import MetricBatcher

PER_POINT_S = 50e-6  # a store that writes 20,000 points a second (a loaded machine, a remote DB)


class SlowStore:
    uri = "memory://slow"

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.lock = threading.Lock()

    def log_metric_points(self, run_id: str, points: Sequence[tuple[str, float, int, int]]) -> None:
        time.sleep(0.002 + PER_POINT_S * len(points))
        with self.lock:
            self.sizes.append(len(points))


def test_backlog_and_transactions_shrink_to_what_the_store_writes_in_the_budget() -> None:
    batcher = MetricBatcher(interval=0.05, threshold=1000, max_pending=50_000, chunk=50_000)
    store = SlowStore()
    peak_after_first_write = 0
    try:
        for step in range(60_000):
            batcher.add(store, "r", "m", float(step), step, step)  # type: ignore[arg-type]
            if store.sizes:
                peak_after_first_write = max(peak_after_first_write, batcher.pending())
        batcher.flush()
    finally:
        batcher.close()
    assert sum(store.sizes) == 60_000
    # 20,000 points/s x 0.25 s = 5,000: neither the backlog nor a transaction may grow past a
    # small multiple of that (without the cap: up to 50,000 each, 2.5 s of writing). The bound
    # is loose because the rate is measured on a machine that may be busy with other work; the
    # uncapped writer reaches 50,000 for both every time (the caller is far faster than the store).
    assert peak_after_first_write < 45_000
    assert max(store.sizes[1:]) < 45_000
