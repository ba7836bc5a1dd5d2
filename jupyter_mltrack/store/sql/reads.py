"""The read path of the SqlStore: run data, metric history and search."""

from __future__ import annotations

import functools
from collections.abc import Sequence
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
from jupyter_mltrack.store.sql.raw_select import select_rows
from jupyter_mltrack.store.sql.run_data import load_run_data, sqlite_run_bound
from jupyter_mltrack.store.sql.run_links import load_run_links

if TYPE_CHECKING:
    import pandas as pd

LM = schema.latest_metrics.c
M = schema.metrics.c
_DECODE = schema.decode_metric_value
# History rows store the timestamp relative to the series' base and the kind in ``seq``'s low
# bits (see schema.py); the sum is the logged timestamp, so it always fits a BIGINT.
_SELECT_HISTORY = (
    "SELECT m.{value}, m.ts_offset + s.ts_base, m.step, m.seq "
    "FROM latest_metrics AS s JOIN metrics AS m ON m.series_id = s.series_id "
    "WHERE s.run_uuid = ? AND s.{key} = ? ORDER BY m.step, m.ts_offset"
)
_COUNT_SETTINGS = "SET LOCAL random_page_cost = 1.1"


class ReadsMixin(SqlBase):
    """get_metric_history, search_runs, count_runs and the columnar search_runs_frame."""

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        with self._read() as conn:
            self._run_state(conn, run_id)
            rows = raw.fetchall(conn, _SELECT_HISTORY, (run_id, key))
        decode = _DECODE
        points = [(v if q == 0 else decode(v, q & 3), t, s) for v, t, s, q in rows]
        return metrics_from_points(key, run_id, points)

    def _search_rows(
        self,
        conn: sa.Connection,
        experiment_ids: Sequence[str],
        filter_string: str,
        run_view_type: ViewType,
        order_by: Sequence[str] | None,
        offset: int,
        limit: int | None,
    ) -> list[Any]:
        """Return the ``runs`` rows of one page of a search (all of them without a limit)."""
        import jupyter_mltrack.store.search as search
        from jupyter_mltrack.store.sql import search_sql

        ids = [str(e) for e in experiment_ids]
        filters = search.parse_filter(filter_string or "")
        view, order = ViewType.parse(run_view_type), search.parse_order_by(order_by)
        split = None
        if not _all_fit(conn, offset, limit):
            split = search_sql.build_run_search_split(ids, filters, view, order)
        if split is None:
            query = search_sql.build_run_search(
                ids, filters, view, order, offset=offset, limit=limit
            )
            return select_rows(conn, query)
        return _split_page(conn, split, offset, limit)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        import jupyter_mltrack.store.search as search

        _check_max_results(max_results)
        offset = search.decode_page_token(page_token) if page_token else 0
        with self._read() as conn:
            rows = self._search_rows(
                conn,
                experiment_ids,
                filter_string,
                run_view_type,
                order_by,
                offset,
                max_results + 1,
            )
            infos = [_info_from_row(row) for row in rows[:max_results]]
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

        The search compiler builds it (same filter semantics on every dialect); metric-only
        filters are counted on the read model's index alone (see ``search_sql.py``).
        """
        import jupyter_mltrack.store.search as search
        from jupyter_mltrack.store.sql.search_sql import build_run_count

        filters = search.parse_filter(filter_string or "")
        counted = build_run_count(
            [str(e) for e in experiment_ids], filters, ViewType.parse(run_view_type)
        )
        with self._read() as conn:
            if conn.dialect.name == "postgresql":
                # Counts read every matching entry of an index (10^6 for a whole experiment).
                # At the default random_page_cost (4, uncached disk) PostgreSQL prefers a seq
                # scan of the five times larger runs table for unfiltered counts: 2x slower on
                # a store whose pages are cached, which a store being browsed is. LOCAL: the
                # setting ends with this read's transaction.
                conn.begin()
                raw.execute(conn, _COUNT_SETTINGS)
            return int(select_rows(conn, counted)[0][0])

    def search_runs_frame(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_LIMIT,
        order_by: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        from jupyter_mltrack.store.sql.frame_reads import frame_from_rows  # pandas: lazily

        _check_max_results(max_results)
        with self._read() as conn:
            if conn.dialect.name == "postgresql":
                return self._postgresql_frame(
                    conn, experiment_ids, filter_string, run_view_type, max_results, order_by
                )
            if conn.dialect.name == "sqlite":
                # One snapshot for the runs and their cells, in which the frame may also keep
                # the runs it packs (frame_cells.py).
                conn.begin()
            rows = self._search_rows(
                conn, experiment_ids, filter_string, run_view_type, order_by, 0, max_results
            )
            scope = None
            if not (filter_string or "").strip() and len(rows) < max_results:
                # Every run of these experiments and stages: the read model has their metrics.
                view = ViewType.parse(run_view_type)
                scope = ([int(e) for e in experiment_ids], [s.value for s in view.stages()])
            return frame_from_rows(conn, rows, scope)

    def _postgresql_frame(
        self,
        conn: sa.Connection,
        experiment_ids: Sequence[str],
        filter_string: str,
        run_view_type: ViewType,
        max_results: int,
        order_by: Sequence[str] | None,
    ) -> pd.DataFrame:
        """The DataFrame from four statements at once: the runs here, the cells of the runs the
        same search returns on pooled connections (see ``frame_keyed.py``)."""
        import jupyter_mltrack.store.search as search
        from jupyter_mltrack.store.sql import frame_keyed, frame_reads, search_sql, side_reads

        found = search_sql.build_run_search(
            [str(e) for e in experiment_ids],
            search.parse_filter(filter_string or ""),
            ViewType.parse(run_view_type),
            search.parse_order_by(order_by),
            offset=0,
            limit=max_results,
        )
        jobs = [
            functools.partial(
                frame_keyed.fetch_keyed,
                statement=frame_keyed.cell_statement(table, found, metric),
                metric=metric,
            )
            for table, metric in frame_keyed.CELL_TABLES
        ]
        rows, cells = side_reads.beside(
            conn.engine,
            jobs,
            lambda: self._search_rows(
                conn, experiment_ids, filter_string, run_view_type, order_by, 0, max_results
            ),
        )
        return frame_reads.frame_from_cells(rows, cells)


def run_entity(info: RunInfo, data: RunData, links: tuple[RunInputs, RunOutputs] | None) -> Run:
    """A Run from its info, data and (optional) inputs/outputs links."""
    if links is None:
        return Run(info=info, data=data)
    return Run(info=info, data=data, inputs=links[0], outputs=links[1])


# Positions in a ``runs`` row (``schema.runs`` column order, which every search selects).
_RUN_COLUMNS = [column.name for column in schema.runs.columns]
_INFO_COLUMNS = [
    _RUN_COLUMNS.index(c)
    for c in (
        "run_uuid",
        "experiment_id",
        "name",
        "user_id",
        "status",
        "start_time",
        "end_time",
        "artifact_uri",
        "lifecycle_stage",
    )
]


def _info_from_row(row: Any) -> RunInfo:
    return run_info_from_row([row[i] for i in _INFO_COLUMNS])


def _all_fit(conn: sa.Connection, offset: int, limit: int | None) -> bool:
    """Return True if the page holds every run the search can match (split orders pay off
    only for pages that end early: one sorted statement reads whole results faster)."""
    if limit is None:
        return offset == 0
    return conn.dialect.name == "sqlite" and offset == 0 and sqlite_run_bound(conn) <= limit


def _split_page(
    conn: sa.Connection,
    split: tuple[sa.Select[Any], sa.Select[Any]],
    offset: int,
    limit: int | None,
) -> list[Any]:
    """Page through the runs having the order metric, then through those lacking it."""
    present, missing = split
    rows = select_rows(conn, _paged(present, offset, limit))
    if limit is not None and len(rows) >= limit:
        return rows
    if rows or not offset:
        skipped = offset  # the page started inside the present runs: all of them came before
    else:  # the page starts past the present runs: count them to know where in missing
        skipped = conn.execute(
            sa.select(sa.func.count()).select_from(present.order_by(None).subquery())
        ).scalar_one()
    rest = None if limit is None else limit - len(rows)
    return rows + select_rows(conn, _paged(missing, max(0, offset - skipped), rest))


@functools.lru_cache(maxsize=256)
def _paged(statement: sa.Select[Any], offset: int, limit: int | None) -> sa.Select[Any]:
    # Cached: the same statement object again lets select_rows reuse its compiled SQL.
    if not offset and limit is None:
        return statement
    return statement.offset(offset or None).limit(limit)


__all__ = ["R", "ReadsMixin"]
