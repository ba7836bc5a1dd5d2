"""Metric histories as numpy arrays for the SqlStore, downsampled in the database when asked.

``get_metric_history`` builds one ``Metric`` per point: 100,000 points cost about a quarter of a
second. Here the rows go straight into numpy arrays, and with ``max_points`` the database does
the reduction (``store/downsample.py`` explains the envelope): two index seeks for the step
range (plus a count and the timestamp range for series with few distinct steps), then one
``GROUP BY`` over integer buckets that returns a few thousand rows instead of the series.
The bucket arithmetic is plain BIGINT subtraction and division, exact and identical on SQLite,
PostgreSQL and MySQL/MariaDB (only the spelling of integer division differs); a series whose
step range does not fit a BIGINT difference (steps near both ends of the int64 range) is read
whole and reduced in numpy, which handles that range exactly.

On SQLite the ``GROUP BY`` sorts every row of the series (SQLite cannot know that the bucket
grows with the step), which is most of its cost. Step buckets are therefore read by a join from
a per-connection TEMP table of bucket numbers to index range scans of the series: grouped in
the order it is produced, no sort, about a third faster. Its rows have the same shape, with
``MAX(kind)`` in the kind column; a series holding NaN or infinite values (rare) goes through
the portable query, which separates the kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jupyter_mltrack.store.sql import raw, schema
from jupyter_mltrack.store.sql._base import SqlBase

if TYPE_CHECKING:
    from jupyter_mltrack.entities.metric import MetricHistoryArrays
    from jupyter_mltrack.store.downsample import BucketPlan

__all__ = ["HistoryArraysMixin"]

# Everything below runs on the history's relative timestamps (``ts_offset``, see schema.py):
# bucketing is translation-invariant, and the series' base is added to the result at the end.
_SERIES = "SELECT series_id, ts_base FROM latest_metrics WHERE run_uuid = ? AND {key} = ?"
_POINTS = (
    "SELECT step, ts_offset, {value}, seq FROM metrics WHERE series_id = ? ORDER BY step, ts_offset"
)
# Two index seeks (separate subqueries: SQLite and MySQL seek for a lone MIN or MAX only).
_STEP_RANGE = (
    "SELECT (SELECT MIN(step) FROM metrics WHERE series_id = ?), "
    "(SELECT MAX(step) FROM metrics WHERE series_id = ?)"
)
# A scan of the (series_id, step, timestamp) index, for series with few distinct steps.
_STATS = "SELECT COUNT(*), MIN(ts_offset), MAX(ts_offset) FROM metrics WHERE series_id = ?"
# {bucket} is filled per dialect; the range filter keeps points logged after the range was read
# (a live run) out of buckets that were not planned.
_GROUPS = (
    "SELECT {bucket} AS bucket, {kind} AS kind, COUNT(*), MIN(step), MAX(step), "
    "MIN(ts_offset), MAX(ts_offset), MIN({value}), MAX({value}) "
    "FROM metrics WHERE series_id = ? AND {column} BETWEEN ? AND ? "
    "GROUP BY bucket, kind"
)
# The value's kind is ``seq`` modulo 4 ("%" would clash with the drivers' "%s" markers).
_KIND = {"sqlite": "(seq % 4)"}
# Integer division of non-negative BIGINTs (the column minus the series' minimum): "/" on
# SQLite and PostgreSQL, DIV on MySQL/MariaDB (whose "/" is decimal division).
_BUCKET = {
    "sqlite": "({column} - ?) / ?",
    "postgresql": "({column} - CAST(? AS BIGINT)) / CAST(? AS BIGINT)",
    "mysql": "({column} - ?) DIV ?",
    "mariadb": "({column} - ?) DIV ?",
}
_SQLITE_BUCKETS = "CREATE TEMP TABLE IF NOT EXISTS mltrack_buckets (i INTEGER PRIMARY KEY)"
_SQLITE_BUCKETS_MAX = "SELECT MAX(i) FROM temp.mltrack_buckets"
_SQLITE_BUCKETS_FILL = (
    "INSERT OR IGNORE INTO temp.mltrack_buckets (i) "
    "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
    "SELECT i FROM n"
)
_SQLITE_STEP_GROUPS = (
    "SELECT b.i, MAX(m.seq % 4), COUNT(*), MIN(m.step), MAX(m.step), "
    "MIN(m.ts_offset), MAX(m.ts_offset), MIN(m.{value}), MAX(m.{value}) "
    "FROM temp.mltrack_buckets AS b JOIN metrics AS m "
    "ON m.series_id = ? AND m.step BETWEEN ? + b.i * ? AND ? + b.i * ? AND m.step <= ? "
    "WHERE b.i < ? GROUP BY b.i"
)
_NON_FINITE = {
    schema.KIND_NAN: float("nan"),
    schema.KIND_POS_INF: float("inf"),
    schema.KIND_NEG_INF: float("-inf"),
}


def _groups_sql(dialect: str, column: str) -> str:
    column = "ts_offset" if column == "timestamp" else column
    bucket = _BUCKET.get(dialect, _BUCKET["postgresql"]).replace("{column}", column)
    kind = _KIND.get(dialect, "MOD(seq, 4)")
    return _GROUPS.replace("{bucket}", bucket).replace("{column}", column).replace("{kind}", kind)


def _arrays(rows: Sequence[Sequence[Any]]) -> MetricHistoryArrays:
    """Rows of ``_POINTS`` as arrays, NaN and infinities decoded from ``kind``."""
    import numpy as np

    from jupyter_mltrack.entities.metric import MetricHistoryArrays
    from jupyter_mltrack.store.downsample import empty_history

    if not rows:
        return empty_history()
    steps, stamps, stored, seqs = zip(*rows, strict=True)
    values = np.array(stored, dtype=np.float64)
    kind = np.array(seqs, dtype=np.int64) & 3
    if kind.any():  # rare: most series are finite throughout
        for code, value in _NON_FINITE.items():
            values[kind == code] = value
    return MetricHistoryArrays(
        np.array(steps, dtype=np.int64),
        np.array(stamps, dtype=np.int64),
        values,
        len(rows),
    )


class HistoryArraysMixin(SqlBase):
    """get_metric_history_arrays: columnar history reads, downsampled in SQL."""

    def get_metric_history_arrays(
        self, run_id: str, key: str, *, max_points: int | None = None
    ) -> MetricHistoryArrays:
        """Return a metric's history as numpy arrays; see ``TrackingStore``'s method."""
        from jupyter_mltrack.store.downsample import check_max_points, empty_history

        limit = check_max_points(max_points)
        with self._read() as conn:
            self._run_state(conn, run_id)
            series = raw.fetchone(conn, _SERIES, (run_id, key))
            if series is None:
                return empty_history()
            history = self._offset_history(conn, series[0], limit)
        if series[1]:  # back from offsets to the logged timestamps (the sums fit int64)
            history = replace(history, timestamps=history.timestamps + series[1])
        return history

    def _offset_history(
        self, conn: sa.Connection, series_id: int, limit: int | None
    ) -> MetricHistoryArrays:
        """The series' history (reduced to ``limit`` points) with ``ts_offset`` timestamps."""
        from jupyter_mltrack.store.downsample import (
            BucketGroups,
            downsample_history,
            envelope,
            plan_buckets,
        )

        step_lo, step_hi = raw.fetchone(conn, _STEP_RANGE, (series_id, series_id))
        if limit is not None and step_lo is not None:
            if step_hi - step_lo + 1 >= limit // 2:  # step buckets: no count needed first
                plan = plan_buckets(limit, step_lo, step_hi, 0, 0)
                total = None
            else:  # few steps: the plan and whether to reduce depend on the timestamps
                total, ts_lo, ts_hi = raw.fetchone(conn, _STATS, (series_id,))
                plan = plan_buckets(limit, step_lo, step_hi, ts_lo, ts_hi)
            if plan.fits_int64 and (total is None or total > limit):
                groups = BucketGroups.from_rows(self._bucket_rows(conn, series_id, plan))
                counted = int(groups.count.sum())
                if counted > limit:
                    return envelope(groups, counted)
        rows = raw.fetchall(conn, _POINTS, (series_id,))
        history = _arrays(rows)
        return history if limit is None else downsample_history(history, limit)

    @staticmethod
    def _bucket_rows(conn: sa.Connection, series_id: int, plan: BucketPlan) -> list[Any]:
        """Rows of ``(bucket, kind, count, step_min, step_max, ts_min, ts_max, value_min,
        value_max)`` for the series' points in ``plan``'s buckets."""
        if conn.dialect.name == "sqlite" and plan.column == "step":
            rows = _sqlite_step_rows(conn, series_id, plan)
            if rows is not None:
                return rows
        template = _groups_sql(conn.dialect.name, plan.column)
        params = (plan.lo, plan.width, series_id, plan.lo, plan.hi)
        return raw.fetchall(conn, template, params)


def _sqlite_step_rows(conn: sa.Connection, series_id: int, plan: BucketPlan) -> list[Any] | None:
    """The SQLite join from bucket numbers (see the module docstring), or None where it does
    not apply: bucket ends past the int64 range, or NaN/infinite values in the series."""
    from jupyter_mltrack.store.downsample import INT64_MAX

    buckets, lo, width = plan.buckets, plan.lo, plan.width
    if lo + buckets * width - 1 > INT64_MAX:  # the last bucket's end would overflow
        return None
    raw.execute(conn, _SQLITE_BUCKETS)
    have = raw.fetchone(conn, _SQLITE_BUCKETS_MAX)[0]
    have = -1 if have is None else have
    if have < buckets - 1:
        raw.execute(conn, _SQLITE_BUCKETS_FILL, (have + 1, buckets))
    params = (series_id, lo, width, lo + width - 1, width, plan.hi, buckets)
    rows = raw.fetchall(conn, _SQLITE_STEP_GROUPS, params)
    return None if any(row[1] for row in rows) else rows
