"""One writer process of the concurrent-writers case (run as a script by the tests).

``python writer_process.py URI SHARED_RUN INDEX POINTS BATCH START_FILE`` logs ``POINTS``
metric points with ``TrackingClient.log_batch`` in batches of ``BATCH``: half into a run of its
own (key ``loss``, steps 0, 1, ...), half into the shared run (key ``shared``, step
``WRITERS * s + INDEX`` so writers never share a step). It waits for ``START_FILE`` so every
writer starts at once, and prints one JSON line: its run id, the latency of each call, the CPU
time it used and every error a call raised (the test expects none).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

WRITERS = 8
T0 = 1_700_000_000_000


def main(uri: str, shared_run: str, index: int, points: int, batch: int, start: Path) -> None:
    from jupyter_mltrack import TrackingClient
    from jupyter_mltrack.entities import Metric

    client = TrackingClient(uri)
    own_run = client.create_run("0", run_name=f"writer-{index}").info.run_id
    half = points // 2
    work = [(own_run, "loss", s) for s in range(half)]
    work += [(shared_run, "shared", WRITERS * s + index) for s in range(points - half)]
    # Interleave the two runs' batches, as a process logging to two runs would.
    own, shared = work[:half], work[half:]
    batches = []
    for i in range(0, max(len(own), len(shared)), batch):
        batches += [own[i : i + batch], shared[i : i + batch]]
    deadline = time.monotonic() + 120
    while not start.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    latencies, errors = [], []
    cpu = time.process_time()
    for chunk in batches:
        if not chunk:
            continue
        metrics = [
            Metric(key=key, value=float(step), timestamp=T0 + step, step=step)
            for _, key, step in chunk
        ]
        began = time.perf_counter()
        try:
            client.log_batch(chunk[0][0], metrics=metrics)
        except Exception as exc:  # reported to the test, which fails with it
            errors.append(f"{type(exc).__name__}: {exc}"[:500])
        latencies.append(time.perf_counter() - began)
    result = {
        "own_run": own_run,
        "latencies": latencies,
        "cpu_s": time.process_time() - cpu,
        "errors": errors,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    uri_, shared_, index_, points_, batch_, start_ = sys.argv[1:]
    main(uri_, shared_, int(index_), int(points_), int(batch_), Path(start_))
