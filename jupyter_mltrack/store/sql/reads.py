"""The read path of the SqlStore: run data, metric history and search."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jupyter_mltrack.entities import (
    Metric,
    PagedList,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    ViewType,
    metrics_from_points,
)
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_LIMIT
from jupyter_mltrack.store.sql import raw, schema
from jupyter_mltrack.store.sql._base import R, SqlBase, run_info_from_row
from jupyter_mltrack.store.sql.experiments import _check_max_results
from jupyter_mltrack.store.sql.run_links import load_run_links

if TYPE_CHECKING:
    import pandas as pd

_CHUNK = 5000  # run ids per IN (...) list: far below every backend's bound-parameter limit
LM = schema.latest_metrics.c
M = schema.metrics.c
_DECODE = schema.decode_metric_value
_SELECT_HISTORY = (
    "SELECT {value}, {timestamp}, step, kind FROM metrics WHERE series_id = "
    "(SELECT series_id FROM latest_metrics WHERE run_uuid = ? AND {key} = ?) "
    "ORDER BY step, {timestamp}"
)


def _chunk_size(conn: sa.Connection) -> int:
    # SQLite allows 32,766 bound parameters per statement; stay well inside every backend's limit.
    return 30_000 if conn.dialect.name == "sqlite" else _CHUNK


def _chunks(ids: Sequence[str], size: int = 0) -> Iterable[Sequence[str]]:
    size = size or _CHUNK
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _key_maps(
    conn: sa.Connection, table: str, run_ids: Sequence[str], *, metric: bool = False
) -> dict[str, dict[str, Any]]:
    """Return ``{key: {run_id: value}}`` for the runs' rows of a params/tags/latest table."""
    out: dict[str, dict[str, Any]] = {}
    columns = "run_uuid, {key}, {value}, kind" if metric else "run_uuid, {key}, {value}"
    for chunk in _chunks(run_ids):
        query = f"SELECT {columns} FROM {table} WHERE run_uuid IN ({raw.marks(len(chunk))})"
        rows = raw.fetchall(conn, query, chunk)
        if metric:
            for run_id, key, value, kind in rows:
                out.setdefault(key, {})[run_id] = value if kind == 0 else _DECODE(value, kind)
        else:
            for run_id, key, value in rows:
                out.setdefault(key, {})[run_id] = value
    return out


def _key_columns(
    conn: sa.Connection, table: str, run_ids: Sequence[str], *, metric: bool = False
) -> dict[str, list[Any]]:
    """Return ``{key: [value per run]}`` aligned with ``run_ids`` (NaN/None where missing).

    This loop runs once per cell of the search result (tens of thousands of times), hence the
    inlined lookups.
    """
    position = {run_id: i for i, run_id in enumerate(run_ids)}
    missing: list[Any] = [math.nan if metric else None] * len(run_ids)
    columns: dict[str, list[Any]] = {}
    select = "run_uuid, {key}, {value}, kind" if metric else "run_uuid, {key}, {value}"
    for chunk in _chunks(run_ids, _chunk_size(conn)):
        query = f"SELECT {select} FROM {table} WHERE run_uuid IN ({raw.marks(len(chunk))})"
        for run_id, key, value, *kind in raw.fetchall(conn, query, chunk):
            if kind and kind[0]:
                value = _DECODE(value, kind[0])
            try:
                columns[key][position[run_id]] = value
            except KeyError:
                columns[key] = missing.copy()
                columns[key][position[run_id]] = value
    return columns


def load_run_data(conn: sa.Connection, run_ids: Sequence[str]) -> dict[str, RunData]:
    """Return the RunData (latest metrics, params, tags) of each run."""
    per_run: dict[str, tuple[dict[str, float], dict[str, str], dict[str, str]]] = {
        r: ({}, {}, {}) for r in run_ids
    }
    for index, table in enumerate(("latest_metrics", "params", "tags")):
        for key, values in _key_maps(conn, table, run_ids, metric=index == 0).items():
            for run_id, value in values.items():
                per_run[run_id][index][key] = value
    return {r: RunData(metrics=m, params=p, tags=t) for r, (m, p, t) in per_run.items()}


class ReadsMixin(SqlBase):
    """get_metric_history, search_runs, count_runs and the columnar search_runs_frame."""

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        with self._read() as conn:
            self._run_state(conn, run_id)
            rows = raw.fetchall(conn, _SELECT_HISTORY, (run_id, key))
        decode = _DECODE
        points = [(v if k == 0 else decode(v, k), t, s) for v, t, s, k in rows]
        return metrics_from_points(key, run_id, points)

    def _search_query(
        self,
        experiment_ids: Sequence[str],
        filter_string: str,
        run_view_type: ViewType,
        order_by: Sequence[str] | None,
        offset: int,
        limit: int | None,
    ) -> sa.Select[Any]:
        from jupyter_mltrack.store import search
        from jupyter_mltrack.store.sql.search_sql import build_run_search

        return build_run_search(
            [str(e) for e in experiment_ids],
            search.parse_filter(filter_string or ""),
            ViewType.parse(run_view_type),
            search.parse_order_by(order_by),
            offset=offset,
            limit=limit,
        )

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        from jupyter_mltrack.store import search

        _check_max_results(max_results)
        offset = search.decode_page_token(page_token) if page_token else 0
        query = self._search_query(
            experiment_ids, filter_string, run_view_type, order_by, offset, max_results + 1
        )
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()[: max_results + 1]
            infos = [_info_from_mapping(row) for row in rows[:max_results]]
            data = load_run_data(conn, [info.run_id for info in infos])
            links = load_run_links(conn, [info.run_id for info in infos])
        token = search.encode_page_token(offset + max_results) if len(rows) > max_results else None
        return PagedList([run_entity(i, data[i.run_id], links.get(i.run_id)) for i in infos], token)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        """Count the runs :meth:`search_runs` would return, in one ``SELECT COUNT(*)``.

        The counted statement is the search's own (same compiler, same filter semantics on
        every dialect) without its ordering, wrapped in a subquery.
        """
        query = self._search_query(experiment_ids, filter_string, run_view_type, None, 0, None)
        counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        with self._read() as conn:
            return int(conn.execute(counted).scalar_one())

    def search_runs_frame(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_LIMIT,
        order_by: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        from jupyter_mltrack.store.frames import build_frame  # imports pandas lazily

        _check_max_results(max_results)
        query = self._search_query(
            experiment_ids, filter_string, run_view_type, order_by, 0, max_results
        )
        with self._read() as conn:
            result = conn.execute(query)
            position = {name: i for i, name in enumerate(result.keys())}
            run_id, exp_id, status, uri, start, end, name = (
                position[c]
                for c in (
                    "run_uuid",
                    "experiment_id",
                    "status",
                    "artifact_uri",
                    "start_time",
                    "end_time",
                    "name",
                )
            )
            # One fetchall of plain rows: iterating mappings fetches row by row.
            infos = [
                (r[run_id], str(r[exp_id]), r[status], r[uri], r[start], r[end], r[name])
                for r in result.all()
            ]
            run_ids = [row[0] for row in infos]
            metrics = _key_columns(conn, "latest_metrics", run_ids, metric=True)
            params = _key_columns(conn, "params", run_ids)
            tags = _key_columns(conn, "tags", run_ids)
        return build_frame(infos, metrics, params, tags)


def run_entity(info: RunInfo, data: RunData, links: tuple[RunInputs, RunOutputs] | None) -> Run:
    """A Run from its info, data and (optional) inputs/outputs links."""
    if links is None:
        return Run(info=info, data=data)
    return Run(info=info, data=data, inputs=links[0], outputs=links[1])


def _info_from_mapping(row: Any) -> Any:
    return run_info_from_row(
        (
            row["run_uuid"],
            row["experiment_id"],
            row["name"],
            row["user_id"],
            row["status"],
            row["start_time"],
            row["end_time"],
            row["artifact_uri"],
            row["lifecycle_stage"],
        )
    )


__all__ = ["R", "ReadsMixin", "load_run_data"]
