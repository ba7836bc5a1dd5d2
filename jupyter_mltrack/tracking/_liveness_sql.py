"""The two statements of run liveness on SQL stores, written for speed (see ``store/sql/raw.py``).

The only place the tracking layer reaches into ``SqlStore``: the heartbeat of all of a
process's runs in one UPDATE, and the sweep's candidates in one query driven by the index of the
tag key (``ix_tags_key``), so neither the per-interval beat nor the sweep at a store's first write
costs more than a few hundred microseconds of Python. Through the public API, the sweep's search
alone compiles a query for tens of milliseconds. A run that ends loses its heartbeat tag (in the
transaction that ends it, or one DELETE), so the sweep's query grows with the runs left RUNNING,
not with the store.
A ``TrackingStore`` method for each would be the tidy home, should other stores want them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mltrack.entities import RunStatus
    from jupyter_mltrack.store.base import TrackingStore

__all__ = [
    "delete_heartbeat",
    "end_dropping_heartbeat",
    "is_sql",
    "running_with_heartbeat",
    "write_heartbeats",
]


def is_sql(store: TrackingStore) -> bool:
    """True for the SQL store (checked by module, so no SQL code is imported to ask)."""
    return type(store).__module__.startswith("jupyter_mltrack.store.sql")


def write_heartbeats(store: TrackingStore, key: str, run_ids: Sequence[str], stamp: str) -> None:
    """Set tag ``key`` to ``stamp`` on those of ``run_ids`` that have it, in one transaction.

    An UPDATE, not an upsert: a run purged meanwhile gets no tag row back (nor fails the rest).
    """
    from jupyter_mltrack.store.sql import raw

    statement = (
        "UPDATE {tags} SET {value} = ? WHERE {key} = ? "
        f"AND {{run_uuid}} IN ({raw.marks(len(run_ids))})"
    )
    sql: Any = store
    with sql._write() as conn:
        raw.execute(conn, statement, (stamp, key, *run_ids))


def delete_heartbeat(store: TrackingStore, key: str, run_id: str) -> None:
    """Remove tag ``key`` of an ended run (one statement, one transaction)."""
    from jupyter_mltrack.store.sql import raw

    sql: Any = store
    with sql._write() as conn:
        raw.execute(conn, "DELETE FROM {tags} WHERE {run_uuid} = ? AND {key} = ?", (run_id, key))


def end_dropping_heartbeat(store: TrackingStore, key: str, run_id: str, status: RunStatus) -> None:
    """End a run (``status`` terminal, end time now) and remove its tag ``key``, in one
    transaction: a commit costs as much as the rest of ending a small run."""
    from jupyter_mltrack._time import now_ms

    sql: Any = store
    sql.update_run_info(run_id, status=status, end_time=now_ms(), drop_tags=(key,))


def running_with_heartbeat(
    store: TrackingStore, heartbeat: str, keys: Sequence[str]
) -> dict[str, dict[str, str]]:
    """Return ``{run_id: {key: value}}`` (only ``keys``) of RUNNING runs that have ``heartbeat``.

    The runs with the heartbeat tag drive the query (CROSS JOIN keeps them the outer loop on
    SQLite, which has no statistics to choose by; the index's condition is repeated so that
    SQLite may use its partial key index); one probe of the runs' primary key each.
    """
    from jupyter_mltrack.store.sql import raw

    sql: Any = store
    found: dict[str, dict[str, str]] = {}
    with sql._read() as conn:
        rows = raw.fetchall(conn, candidates_template(len(keys)), (heartbeat, *keys))
        for run_id, key, value in rows:
            found.setdefault(run_id, {})[key] = value
    return found


def candidates_template(key_count: int) -> str:
    """Return the raw template of :func:`running_with_heartbeat` asking for ``key_count`` keys."""
    from jupyter_mltrack.store.sql import raw
    from jupyter_mltrack.store.sql.schema import indexed_tag_sql

    return (
        "SELECT t.{run_uuid}, t.{key}, t.{value} FROM {tags} h CROSS JOIN {runs} r "
        "CROSS JOIN {tags} t WHERE h.{key} = ? AND r.{run_uuid} = h.{run_uuid} "
        f"AND {indexed_tag_sql('h.{key}')} "
        f"AND r.{{status}} = 'RUNNING' AND t.{{run_uuid}} = h.{{run_uuid}} "
        f"AND t.{{key}} IN ({raw.marks(key_count)})"
    )
