"""A set of runs read from the cell tables: how to name the runs in SQL, and their RunData.

``run_restrictions`` names a set of runs in a WHERE clause the way each backend reads fastest;
``load_run_data`` reads the latest metrics, params and tags of the runs with it (``get_run``,
pages of ``search_runs``, and the runs the SQLite DataFrame finds unpacked).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from jupyter_mltrack.entities import RunData
from jupyter_mltrack.store.sql import raw, schema

__all__ = ["SQLITE_JSON", "load_run_data", "run_restrictions", "sqlite_run_bound"]

_SEP = "\x1f"  # ASCII unit separator: never in a key (``[\w\-./ ]``), rare in a value
# SQLite allows 32,766 bound parameters per statement; other backends take fewer comfortably.
_CHUNK = {"sqlite": 30_000}
_DEFAULT_CHUNK = 5_000
_FEW = 64  # run ids (a get_run, a page) that SQLite takes best as plain IN (?, ...) markers
_PG_SPLIT_FROM = 2_000  # run ids from which PostgreSQL gets them as one joined text
#: json_each is built into SQLite from 3.38 on (earlier builds may lack JSON1).
SQLITE_JSON = sqlite3.sqlite_version_info >= (3, 38, 0)
_DECODE = schema.decode_metric_value
_SELECT_LATEST = (
    "SELECT run_uuid, {{key}}, {{value}}, kind, {{timestamp}}, {{step}} FROM latest_metrics "
    "WHERE {where}"
)
_SELECT_CELLS = "SELECT run_uuid, {{key}}, {{value}} FROM {table} WHERE {where}"


def run_restrictions(
    conn: sa.Connection, run_ids: Sequence[str]
) -> Iterable[tuple[str, list[Any]]]:
    """Yield ``(condition on run_uuid, its bound values)`` covering ``run_ids``."""
    name = conn.dialect.name
    few = len(run_ids) <= _FEW
    if name == "sqlite" and not few and len(run_ids) * 2 >= sqlite_run_bound(conn):
        # Most runs of the store: reading the whole table in key order costs less than a
        # key lookup per run (a third less for 10,000 runs); other runs' rows are skipped.
        yield "1 = 1", []
    elif name == "postgresql":
        joined = _SEP.join(run_ids) if len(run_ids) > _PG_SPLIT_FROM else ""
        if joined and joined.count(_SEP) == len(run_ids) - 1:  # no id holds the separator
            # One text value split by the server: psycopg adapts a 10,000-item list to an
            # array in Python, which cost as much CPU as the rows it selects. Not for pages:
            # psycopg prepares a statement run five times, and the generic plan of an array
            # the planner cannot size scanned whole tables for a page of 50 runs.
            yield "run_uuid = ANY(string_to_array(?, chr(31)))", [joined]
        else:
            yield "run_uuid = ANY(?)", [list(run_ids)]
    elif name == "sqlite" and SQLITE_JSON and not few:
        yield "run_uuid IN (SELECT value FROM json_each(?))", [json.dumps(list(run_ids))]
    else:
        size = _CHUNK.get(name, _DEFAULT_CHUNK)
        for start in range(0, len(run_ids), size):
            chunk = run_ids[start : start + size]
            yield f"run_uuid IN ({raw.marks(len(chunk))})", list(chunk)


def sqlite_run_bound(conn: sa.Connection) -> int:
    """Return an upper bound of the store's run count at the cost of one index seek."""
    # Rowids are distinct positive integers, so the largest is at least the row count.
    row = raw.fetchone(conn, "SELECT MAX(rowid) FROM runs")
    return int(row[0] or 0) if row else 0


def load_run_data(conn: sa.Connection, run_ids: Sequence[str]) -> dict[str, RunData]:
    """Return the RunData (latest metrics with their timestamp and step, params, tags) of each
    run."""
    per_run: dict[str, tuple[dict[str, float], dict[str, str], dict[str, str]]] = {
        r: ({}, {}, {}) for r in run_ids
    }
    points: dict[str, dict[str, tuple[int, int]]] = {}
    decode = _DECODE
    # One statement per table, the runs bound as one value where the backend allows (a page of
    # a search on PostgreSQL pays per round trip and per statement planned, not per row).
    for where, values in run_restrictions(conn, run_ids):
        query = _SELECT_LATEST.format(where=where)
        for run_id, key, value, kind, timestamp, step in raw.fetchall(conn, query, values):
            found = per_run.get(run_id)
            if found is None:
                continue
            found[0][key] = value if kind == 0 else decode(value, kind)
            points.setdefault(run_id, {})[key] = (int(timestamp), int(step))
        for index, table in ((1, "params"), (2, "tags")):
            query = _SELECT_CELLS.format(table=table, where=where)
            for run_id, key, value in raw.fetchall(conn, query, values):
                found = per_run.get(run_id)
                if found is not None:
                    found[index][key] = value
    return {
        r: RunData(metrics=m, params=p, tags=t, metric_points=points.get(r, {}))
        for r, (m, p, t) in per_run.items()
    }
