"""Weights & Biases' side of the metric-shape workloads; run by ``.bench/wandb-venv``.

Started by ``mltrack_wide_workloads.py`` (which reports W&B's figure beside its own) as
``python wandb_wide_workloads.py SHAPE POINTS`` in a fresh temp dir, with ``WANDB_MODE=offline``:
W&B writes its run files locally and sends nothing. The timed region is the logging loop plus
``wandb.finish()``, which returns once W&B's service process has written every point, the same
promise as jupyter_mltrack's ``flush()``. Prints one JSON line: points/s and the run files' size.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

KEYS = 1000  # the wide shape: 1,000 keys per step


def _folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    """Log ``POINTS`` points in the ``SHAPE`` (``wide`` or ``narrow``) and report the rate."""
    import wandb

    shape, size = sys.argv[1], int(sys.argv[2])
    folder = Path(os.environ.get("WANDB_DIR", ".")).resolve()
    run = wandb.init(project="bench", mode="offline", dir=str(folder))
    if shape == "wide":
        names = [f"layer{k}/grad_norm" for k in range(KEYS)]
        rows = [
            {name: (step * KEYS + k) * 1e-6 for k, name in enumerate(names)}
            for step in range(size // KEYS)
        ]
        start = time.perf_counter()
        for step, row in enumerate(rows):
            run.log(row, step=step)
    else:
        start = time.perf_counter()
        for step in range(size):
            run.log({"m": step * 1e-6}, step=step)
    run.finish()
    seconds = time.perf_counter() - start
    print(json.dumps({"value": size / seconds, "seconds": seconds, "files_mb": _folder_mb(folder)}))


if __name__ == "__main__":
    main()
