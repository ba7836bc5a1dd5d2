"""The scale benchmarks' stores: 10^4-10^6 runs, built once through the public store API, cached.

``scale_store_uri(backend, runs)`` returns the URI of a store holding ``runs`` runs of 5 metrics,
5 params and 2 tags each (``_common.search_run_values``) in an experiment named ``scale``. The
first call builds it with :meth:`TrackingStore.import_runs` (many runs per transaction) and later
calls reuse it:

- SQLite: ``.bench/scale/sqlite-<runs>.db`` in the repository;
- PostgreSQL: the database ``mltrack_scale_<runs>`` on 127.0.0.1:5432 (user ``postgres``).

A store counts as built once its experiment carries the tag ``bench.scale.layout`` = LAYOUT,
written last; a half-built store (an interrupted build) is dropped and rebuilt. Run ids are
derived from the run index (md5), so every build holds the same runs in the same random id order
a real store would have.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from _common import BASE_TIMESTAMP_MS, progress, search_run_values

#: Bump when the stored data changes, so stale caches are rebuilt.
LAYOUT = "1"
EXPERIMENT = "scale"
LAYOUT_TAG = "bench.scale.layout"
CHUNK = 5_000  # runs per import_runs call (one transaction)
PG_ADMIN_URI = "postgresql://postgres@127.0.0.1:5432/test"
CACHE_DIR = Path(__file__).resolve().parents[2] / ".bench" / "scale"


def run_id(index: int) -> str:
    """Return the id of run ``index``: random-looking but the same in every build."""
    return hashlib.md5(f"scale-{index}".encode()).hexdigest()


def store_uri(backend: str, runs: int) -> str:
    """Return where the cached store of ``runs`` runs lives (it may not be built yet)."""
    if backend == "sqlite":
        return f"sqlite:///{CACHE_DIR / f'sqlite-{runs}.db'}"
    if backend == "postgresql":
        return f"postgresql://postgres@127.0.0.1:5432/mltrack_scale_{runs}"
    raise ValueError(f"unknown backend {backend!r}")


def scale_store_uri(backend: str, runs: int) -> str:
    """Return the URI of a built store of ``runs`` runs, building it first if needed."""
    uri = store_uri(backend, runs)
    if not _is_built(uri):
        _drop(backend, runs)
        _build(uri, runs)
    return uri


def _is_built(uri: str) -> bool:
    if uri.startswith("sqlite") and not Path(uri.removeprefix("sqlite:///")).exists():
        return False
    if uri.startswith("postgresql") and not _pg_database_exists(uri.rsplit("/", 1)[1]):
        return False
    from jupyter_mltrack.store.sql.store import SqlStore

    store = SqlStore(uri)
    try:
        experiment = store.get_experiment_by_name(EXPERIMENT)
        return experiment is not None and experiment.tags.get(LAYOUT_TAG) == LAYOUT
    finally:
        store.close()


def _drop(backend: str, runs: int) -> None:
    if backend == "sqlite":
        path = Path(store_uri(backend, runs).removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    _pg_admin(f"DROP DATABASE IF EXISTS mltrack_scale_{runs}")
    _pg_admin(f"CREATE DATABASE mltrack_scale_{runs}")


def _build(uri: str, runs: int) -> None:
    from jupyter_mltrack.store.sql.store import SqlStore

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    store = SqlStore(uri, default_artifact_root=str(CACHE_DIR / "artifacts"))
    start = time.perf_counter()
    try:
        experiment_id = store.create_experiment(EXPERIMENT)
        for first in range(0, runs, CHUNK):
            store.import_runs(
                [_run(i, experiment_id) for i in range(first, min(first + CHUNK, runs))]
            )
            done = min(first + CHUNK, runs)
            if done % (CHUNK * 20) == 0 or done == runs:
                rate = done / (time.perf_counter() - start)
                progress(f"scale store {uri.split(':')[0]}: {done:,}/{runs:,} runs ({rate:,.0f}/s)")
        if uri.startswith("postgresql"):
            # What autovacuum does to a real store some time after a bulk load: planner
            # statistics and the visibility map that index-only scans (counts) rely on.
            _pg_admin("VACUUM (ANALYZE)", database=uri.rsplit("/", 1)[1])
        store.set_experiment_tag(experiment_id, LAYOUT_TAG, LAYOUT)
    finally:
        store.close()


def _run(index: int, experiment_id: str) -> Any:
    from jupyter_mltrack.entities import Run, RunData, RunInfo, RunStatus

    metrics, params, tags = search_run_values(index)
    start = BASE_TIMESTAMP_MS + index * 1000
    info = RunInfo(
        run_id=run_id(index),
        experiment_id=experiment_id,
        run_name=f"run-{index}",
        user_id="bench",
        status=RunStatus.FINISHED,
        start_time=start,
        end_time=start + 500,
        artifact_uri="",
    )
    return Run(info=info, data=RunData(metrics=metrics, params=params, tags=tags))


def _pg_database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(_pg_dsn(PG_ADMIN_URI), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


def _pg_admin(statement: str, database: str | None = None) -> None:
    import psycopg

    dsn = _pg_dsn(PG_ADMIN_URI)
    if database is not None:
        dsn = f"{dsn.rsplit('/', 1)[0]}/{database}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def _pg_dsn(uri: str) -> str:
    return uri.replace("postgresql+psycopg://", "postgresql://")


def disk_bytes(uri: str) -> int:
    """Return the store's size on disk: the SQLite files, or the PostgreSQL database."""
    if uri.startswith("sqlite"):
        path = uri.removeprefix("sqlite:///")
        return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    import psycopg

    with psycopg.connect(_pg_dsn(uri), autocommit=True) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0
