"""The metric-shape workloads (issue 19): many keys per step, one key over many steps.

A training loop typically logs a thousand values per step (per-layer norms, per-class scores):
1,000 keys x 1,000 steps, one call per step. These workloads time that shape through the fluent
``log_metrics`` (background writer) and through ``TrackingClient.log_batch`` (at the call, and
with ``synchronous=False`` through the same background writer), the one-key shape
through fluent ``log_metric``, and the store's size for the wide shape. Each also runs the same
shape with Weights & Biases 0.31 in offline mode (``wandb_wide_workloads.py`` in its own venv,
``.bench/wandb-venv``, created on first use) and reports W&B's figure in its details; set
``BENCH_SKIP_WANDB=1`` to leave W&B out. MLflow is not run here (its ``log_batch`` rows show it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BASE_TIMESTAMP_MS, emit, progress

KEYS = 1000
WANDB_VERSION = "wandb>=0.31,<0.32"
WANDB_VENV = Path(__file__).resolve().parents[2] / ".bench" / "wandb-venv"
WANDB_SCRIPT = Path(__file__).resolve().with_name("wandb_wide_workloads.py")


def _names() -> list[str]:
    return [f"layer{k}/grad_norm" for k in range(KEYS)]


def _rows(size: int) -> list[dict[str, float]]:
    names = _names()
    return [
        {name: (step * KEYS + k) * 1e-6 for k, name in enumerate(names)}
        for step in range(size // KEYS)
    ]


def _store_mb() -> float:
    """Size of the SQLite store after a checkpoint folds the WAL into the database file."""
    import sqlite3

    path = Path("mltrack.db")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in Path().glob("mltrack.db*")) / 1e6


def wide_log_metrics(size: int) -> None:
    """Time ``size`` points as 1,000-key fluent ``log_metrics`` calls (one per step) + flush."""
    import jupyter_mltrack as mlt

    rows = _rows(size)
    mlt.set_experiment("bench")
    run = mlt.start_run()
    start, cpu = time.perf_counter(), time.process_time()
    for step, row in enumerate(rows):
        mlt.log_metrics(row, step=step)
    mlt.flush()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    mlt.end_run()
    stored = len(mlt.TrackingClient().get_metric_history(run.info.run_id, _names()[0]))
    rates = {"points_per_cpu_s": size / cpu, "seconds": seconds}
    emit(size / seconds, stored=stored, **rates, **_wandb("wide", size))


def wide_log_batch(size: int) -> None:
    """Time ``size`` points through ``client.log_batch``, one call of 1,000 keys per step.

    The time ends when a read has seen them all: on SQLite the last steps wait in the metric
    tail, and the first read folds them into the history (``store/sql/metric_tail.py``).
    """
    from jupyter_mltrack import TrackingClient
    from jupyter_mltrack.entities import Metric

    client = TrackingClient()
    run_id = client.create_run(client.create_experiment("bench")).info.run_id
    batches = [
        [
            Metric(key=name, value=value, timestamp=BASE_TIMESTAMP_MS + step, step=step)
            for name, value in row.items()
        ]
        for step, row in enumerate(_rows(size))
    ]
    start, cpu = time.perf_counter(), time.process_time()
    for n, batch in enumerate(batches, 1):
        client.log_batch(run_id, metrics=batch)
        if n % 100 == 0:
            progress(f"{n * KEYS:,} points")
    stored = len(client.get_metric_history(run_id, _names()[0]))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rates = {"points_per_cpu_s": size / cpu, "seconds": seconds}
    emit(size / seconds, stored=stored, **rates, **_wandb("wide", size))


def wide_log_batch_async(size: int) -> None:
    """As :func:`wide_log_batch` with ``synchronous=False``, then ``wait()`` on the last call.

    The points go to the background writer fluent ``log_metrics`` uses; ``wait()`` returns once
    every queued point is stored, so the time covers the whole write. W&B's figure for this
    shape is in ``wide_log_batch``'s details.
    """
    from jupyter_mltrack import TrackingClient
    from jupyter_mltrack.entities import Metric

    client = TrackingClient()
    run_id = client.create_run(client.create_experiment("bench")).info.run_id
    batches = [
        [
            Metric(key=name, value=value, timestamp=BASE_TIMESTAMP_MS + step, step=step)
            for name, value in row.items()
        ]
        for step, row in enumerate(_rows(size))
    ]
    start, cpu = time.perf_counter(), time.process_time()
    ops = None
    for n, batch in enumerate(batches, 1):
        ops = client.log_batch(run_id, metrics=batch, synchronous=False)
        if n % 100 == 0:
            progress(f"{n * KEYS:,} points")
    assert ops is not None
    ops.wait()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    stored = len(client.get_metric_history(run_id, _names()[0]))
    emit(size / seconds, stored=stored, points_per_cpu_s=size / cpu, seconds=seconds)


def narrow_log_metric(size: int) -> None:
    """Time ``size`` fluent ``log_metric`` calls of one key over ``size`` steps + flush."""
    import jupyter_mltrack as mlt

    mlt.set_experiment("bench")
    run = mlt.start_run()
    start, cpu = time.perf_counter(), time.process_time()
    for step in range(size):
        mlt.log_metric("m", step * 1e-6, step=step)
    mlt.flush()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    mlt.end_run()
    stored = len(mlt.TrackingClient().get_metric_history(run.info.run_id, "m"))
    rates = {"points_per_cpu_s": size / cpu, "seconds": seconds}
    emit(size / seconds, stored=stored, **rates, **_wandb("narrow", size))


def wide_store_size(size: int) -> None:
    """Report the store's size (MB) after ``size`` wide points logged as in wide_log_metrics.

    Measured once a read has seen them, so on SQLite every point is in the history (the read
    folds the metric tail), as the store stays.
    """
    import jupyter_mltrack as mlt

    mlt.set_experiment("bench")
    with mlt.start_run() as run:
        for step, row in enumerate(_rows(size)):
            mlt.log_metrics(row, step=step)
    mlt.flush()
    mlt.TrackingClient().get_metric_history(run.info.run_id, _names()[0])
    wandb = _wandb("wide", size)
    emit(_store_mb(), **wandb)


def _wandb(shape: str, size: int) -> dict[str, float | str]:
    """Run the same shape with W&B offline; return its figures (or why it could not run)."""
    if os.environ.get("BENCH_SKIP_WANDB"):
        return {}
    try:
        python = _wandb_python()
        with tempfile.TemporaryDirectory(prefix="bench-wandb-") as tmp:
            env = {**os.environ, "WANDB_MODE": "offline", "WANDB_DIR": tmp, "WANDB_SILENT": "true"}
            env.pop("PYTHONPATH", None)
            out = subprocess.run(
                [str(python), str(WANDB_SCRIPT), shape, str(size)],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=1800,
                check=True,
            )
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        print(f"W&B could not run: {exc}", file=sys.stderr)
        return {"wandb_error": str(exc)[:200]}
    return {"wandb_points_per_s": result["value"], "wandb_files_mb": result["files_mb"]}


def _wandb_python() -> Path:
    """Return W&B's interpreter, creating ``.bench/wandb-venv`` on first use."""
    python = WANDB_VENV / "bin" / "python"
    if not python.exists():
        progress(f"creating {WANDB_VENV} with {WANDB_VERSION} (one-off)")
        subprocess.run([sys.executable, "-m", "venv", str(WANDB_VENV)], check=True, timeout=300)
        pip = [str(python), "-m", "pip", "install", "-q", WANDB_VERSION]
        subprocess.run(pip, check=True, timeout=1800)
    return python
