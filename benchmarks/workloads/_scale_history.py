"""History at scale: stores of up to 10^8 metric points, built once and cached under ``.bench/``.

A history store of N points holds N / 100,000 runs with one metric ``loss`` of 100,000 steps each,
written with ``TrackingStore.log_metric_points`` (the store's bulk path, one transaction per
run). The build time and size are recorded beside the store (``history-<N>.json``) so that a
cached store still reports what building it cost.
"""

from __future__ import annotations

import json
import time
from typing import Any

from _common import BASE_TIMESTAMP_MS, elapsed_ms, median, progress
from _scale_store import CACHE_DIR, disk_bytes

SERIES = 100_000  # points per run: the history that is read back
KEY = "loss"
LAYOUT_TAG = "bench.history.layout"
LAYOUT = "1"
CALLS = 5


def history_store(points: int) -> tuple[str, dict[str, Any]]:
    """Return the URI of the cached store of ``points`` points and its build record."""
    path = CACHE_DIR / f"history-{points}.db"
    record_path = path.with_suffix(".json")
    uri = f"sqlite:///{path}"
    if record_path.exists() and path.exists():
        return uri, json.loads(record_path.read_text())
    for suffix in ("", "-wal", "-shm"):
        (CACHE_DIR / f"{path.name}{suffix}").unlink(missing_ok=True)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    _build(uri, points)
    record = {"points": points, "build_s": time.perf_counter() - start, "bytes": disk_bytes(uri)}
    record_path.write_text(json.dumps(record))
    return uri, record


def _build(uri: str, points: int) -> None:
    from jupyter_mltrack.store.sql.store import SqlStore

    store = SqlStore(uri, default_artifact_root=str(CACHE_DIR / "artifacts"))
    try:
        experiment_id = store.create_experiment("history")
        runs = max(1, points // SERIES)
        start = time.perf_counter()
        for index in range(runs):
            run = store.create_run(
                experiment_id=experiment_id,
                user_id="bench",
                start_time=BASE_TIMESTAMP_MS,
                tags={},
                run_name=f"history-{index}",
            )
            values = [
                (KEY, 1.0 / (step + 1) + index * 1e-6, BASE_TIMESTAMP_MS + step, step)
                for step in range(SERIES)
            ]
            store.log_metric_points(run.info.run_id, values)
            if (index + 1) % 50 == 0 or index + 1 == runs:
                rate = (index + 1) * SERIES / (time.perf_counter() - start)
                progress(f"history store: {index + 1:,}/{runs:,} runs ({rate:,.0f} points/s)")
    finally:
        store.close()


def _read_times(uri: str) -> dict[str, float]:
    """Time ``get_metric_history`` of the first, middle and last run's 100,000 points."""
    from jupyter_mltrack import TrackingClient

    client = TrackingClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("history")
    assert experiment is not None
    run_ids = [r.info.run_id for r in client.search_runs([experiment.experiment_id], max_results=5)]
    ids = {"last": run_ids[0], "first": run_ids[-1]}
    figures: dict[str, float] = {}
    for label, run_id in ids.items():
        assert len(client.get_metric_history(run_id, KEY)) == SERIES  # warm-up and check
        timings = []
        for _ in range(CALLS):
            start = time.perf_counter()
            client.get_metric_history(run_id, KEY)
            timings.append(elapsed_ms(start))
        figures[label] = median(timings)
    return figures


def history_figures(points: int) -> dict[str, Any]:
    """Return ``value`` (big-store time over small-store time) and both stores' figures."""
    small_uri, _ = history_store(SERIES)
    big_uri, big_record = history_store(points)
    small, big = _read_times(small_uri), _read_times(big_uri)
    small_ms, big_ms = median(list(small.values())), max(big.values())
    return {
        "value": big_ms / small_ms,
        "small_store_ms": small_ms,
        "big_store_ms": big_ms,
        "big_store": big,
        "big_store_points": points,
        "big_store_build_s": big_record["build_s"],
        "big_store_bytes": big_record["bytes"],
    }


def disk_per_point(points: int) -> dict[str, Any]:
    """Return bytes on disk per metric point of the cached store of ``points`` points."""
    uri, _ = history_store(points)
    return {"value": disk_bytes(uri) / points, "bytes": disk_bytes(uri), "points": points}
