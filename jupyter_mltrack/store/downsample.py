"""Min/max envelopes of metric histories: the store side of downsampling.

``get_metric_history_arrays(run_id, key, max_points=N)`` returns a long series reduced to about
``N`` points. Every backend computes the same result: SQL stores aggregate in the database
(``store/sql/history_arrays.py``), the others (REST) fetch the whole history and call
:func:`downsample_history` here. Both go through the same three steps:

1. :func:`plan_buckets`: ``N // 2`` equal-width buckets over the step range; over the timestamp
   range instead when the steps are too few to fill the buckets (a metric logged without steps
   has step 0 throughout). Bucket ``b`` of a point is ``(column - lo) // width``, in exact
   integer arithmetic, so the database and numpy agree on every point.
2. Per bucket and value kind (finite, NaN, +inf, -inf): count, min/max step, min/max timestamp
   and min/max value (:class:`BucketGroups`: rows of a ``GROUP BY`` or :func:`group_points`).
3. :func:`envelope`: two points per bucket of finite values, at the bucket's first
   (step, timestamp) and its last, carrying the bucket's min and max value: the min first when
   the series rises there (judged by the neighbouring buckets), the max first when it falls, so
   a descending loss stays a descending line. NaN and infinite values are bucketed apart, per
   kind: such a group adds its first and last (step, timestamp) with that value, so gaps and
   overflows stay visible where they start and end.

So the result has at most ``N`` points, plus at most two per bucket and non-finite kind present
(none for finite series); it always holds the series' global min and max (finite values), its
first and last steps, and a point for each kind of non-finite value it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from jupyter_mltrack.entities.metric import Metric, MetricHistoryArrays
from jupyter_mltrack.errors import InvalidParameterError

__all__ = [
    "INT64_MAX",
    "BucketGroups",
    "BucketPlan",
    "check_max_points",
    "downsample_history",
    "empty_history",
    "envelope",
    "group_points",
    "history_from_metrics",
    "kinds_of",
    "plan_buckets",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

INT64_MAX = 2**63 - 1
# Value kinds, the same codes as the SQL schema's ``kind`` column (store/sql/schema.py).
KIND_FINITE, KIND_NAN, KIND_POS_INF, KIND_NEG_INF = 0, 1, 2, 3
_KIND_VALUES = {KIND_NAN: np.nan, KIND_POS_INF: np.inf, KIND_NEG_INF: -np.inf}


def check_max_points(max_points: object) -> int | None:
    """Return ``max_points`` if it is None or an int >= 2; raise InvalidParameterError if not."""
    if max_points is None:
        return None
    if isinstance(max_points, bool) or not isinstance(max_points, int | np.integer):
        raise InvalidParameterError(
            f"max_points must be an integer >= 2 or None (no downsampling), got {max_points!r}"
        )
    if max_points < 2:
        raise InvalidParameterError(
            f"max_points must be at least 2 (a min and a max per bucket), got {max_points}"
        )
    return int(max_points)


def empty_history() -> MetricHistoryArrays:
    """The history of a metric with no points."""
    return MetricHistoryArrays(
        np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64), 0
    )


def history_from_metrics(history: Sequence[Metric]) -> MetricHistoryArrays:
    """Convert what ``get_metric_history`` returns, sorted by step then timestamp."""
    n = len(history)
    steps = np.fromiter((m.step for m in history), dtype=np.int64, count=n)
    stamps = np.fromiter((m.timestamp for m in history), dtype=np.int64, count=n)
    values = np.fromiter((m.value for m in history), dtype=np.float64, count=n)
    order = np.lexsort((stamps, steps))  # stable: ties keep the store's order
    return MetricHistoryArrays(steps[order], stamps[order], values[order], n)


def kinds_of(values: FloatArray) -> npt.NDArray[np.int8]:
    """The kind code of each value (finite, NaN, +inf, -inf)."""
    kinds = np.zeros(len(values), dtype=np.int8)
    kinds[np.isnan(values)] = KIND_NAN
    kinds[values == np.inf] = KIND_POS_INF
    kinds[values == -np.inf] = KIND_NEG_INF
    return kinds


@dataclass(frozen=True, slots=True)
class BucketPlan:
    """Where the buckets are: ``bucket = (column - lo) // width`` for ``lo <= column <= hi``."""

    column: Literal["step", "timestamp"]
    lo: int
    hi: int
    width: int

    @property
    def fits_int64(self) -> bool:
        """True when ``column - lo`` and ``width`` fit a signed 64-bit integer (SQL BIGINT)."""
        return self.hi - self.lo <= INT64_MAX and self.width <= INT64_MAX

    @property
    def buckets(self) -> int:
        """The number of buckets ``lo..hi`` spans (at most ``max_points // 2``)."""
        return (self.hi - self.lo) // self.width + 1


def plan_buckets(max_points: int, step_lo: int, step_hi: int, ts_lo: int, ts_hi: int) -> BucketPlan:
    """Plan ``max_points // 2`` buckets over the series' step (or timestamp) range.

    Steps are used unless they span fewer values than there are buckets and the timestamps
    span more: then step buckets could not spend the point budget (a metric logged at step 0
    throughout would shrink to two points), and timestamp buckets can.
    """
    buckets = max(1, max_points // 2)
    step_span, ts_span = step_hi - step_lo, ts_hi - ts_lo
    if step_span + 1 < buckets and ts_span > step_span:
        column: Literal["step", "timestamp"] = "timestamp"
        lo, hi = ts_lo, ts_hi
    else:
        column, lo, hi = "step", step_lo, step_hi
    # ceil((span + 1) / buckets): then (hi - lo) // width < buckets, so no bucket is extra.
    width = -(-(hi - lo + 1) // buckets)
    return BucketPlan(column, lo, hi, width)


@dataclass(frozen=True, slots=True)
class BucketGroups:
    """Aggregates per (bucket, kind), sorted by bucket then kind; one array per column.

    ``value_min``/``value_max`` are meaningful for finite groups only.
    """

    bucket: IntArray
    kind: IntArray
    count: IntArray
    step_min: IntArray
    step_max: IntArray
    ts_min: IntArray
    ts_max: IntArray
    value_min: FloatArray
    value_max: FloatArray

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]]) -> BucketGroups:
        """Build from ``(bucket, kind, count, step_min, step_max, ts_min, ts_max, value_min,
        value_max)`` rows, as the SQL ``GROUP BY`` returns them (in any order)."""
        columns = list(zip(*rows, strict=True)) if rows else [()] * 9
        b, k, n, s0, s1, t0, t1 = (np.array(c, dtype=np.int64) for c in columns[:7])
        v0, v1 = (np.array(c, dtype=np.float64) for c in columns[7:])
        o = np.lexsort((k, b))
        return cls(b[o], k[o], n[o], s0[o], s1[o], t0[o], t1[o], v0[o], v1[o])


def bucket_of(column: IntArray, plan: BucketPlan) -> IntArray:
    """``(column - lo) // width`` per point, exact for any int64 values in ``[lo, hi]``."""
    if plan.width >= 2**64:  # one bucket over the whole int64 range: wider than any uint64
        return np.zeros(len(column), dtype=np.int64)
    # Unsigned wrap-around gives the exact difference even when it exceeds the int64 range.
    diff = column.view(np.uint64) - np.uint64(plan.lo % 2**64)
    return (diff // np.uint64(plan.width)).astype(np.int64)


def group_points(history: MetricHistoryArrays, plan: BucketPlan) -> BucketGroups:
    """What the SQL ``GROUP BY bucket, kind`` computes, in numpy."""
    column = history.steps if plan.column == "step" else history.timestamps
    buckets = bucket_of(column, plan)
    kinds = kinds_of(history.values).astype(np.int64)
    order = np.lexsort((kinds, buckets))
    b, k = buckets[order], kinds[order]
    starts = np.flatnonzero(np.concatenate(([True], (np.diff(b) != 0) | (np.diff(k) != 0))))
    count = np.diff(np.append(starts, len(b)))
    steps, stamps, values = (a[order] for a in (history.steps, history.timestamps, history.values))
    return BucketGroups(
        b[starts],
        k[starts],
        count.astype(np.int64),
        np.minimum.reduceat(steps, starts),
        np.maximum.reduceat(steps, starts),
        np.minimum.reduceat(stamps, starts),
        np.maximum.reduceat(stamps, starts),
        np.minimum.reduceat(values, starts),
        np.maximum.reduceat(values, starts),
    )


def envelope(groups: BucketGroups, total_points: int) -> MetricHistoryArrays:
    """Turn per-bucket aggregates into the downsampled series (see the module docstring)."""
    finite = groups.kind == KIND_FINITE
    vmin, vmax = groups.value_min[finite], groups.value_max[finite]
    smin, smax = groups.step_min[finite], groups.step_max[finite]
    tmin, tmax = groups.ts_min[finite], groups.ts_max[finite]
    if len(vmin):
        # The direction of the series around each bucket, from its neighbours' midpoints
        # (halved first: the sum of two huge values would overflow).
        mid = vmin / 2 + vmax / 2
        before = np.concatenate((mid[:1], mid[:-1]))
        after = np.concatenate((mid[1:], mid[-1:]))
        rising = after >= before
    else:
        rising = np.empty(0, dtype=bool)
    first_value = np.where(rising, vmin, vmax)
    last_value = np.where(rising, vmax, vmin)
    pair = (groups.count[finite] > 1) & ((smin != smax) | (tmin != tmax) | (vmin != vmax))
    odd = ~finite
    odd_values = np.array([_KIND_VALUES[int(k)] for k in groups.kind[odd]], dtype=np.float64)
    odd_smin, odd_smax = groups.step_min[odd], groups.step_max[odd]
    odd_tmin, odd_tmax = groups.ts_min[odd], groups.ts_max[odd]
    odd_pair = (odd_smin != odd_smax) | (odd_tmin != odd_tmax)
    steps = np.concatenate((smin, smax[pair], odd_smin, odd_smax[odd_pair]))
    stamps = np.concatenate((tmin, tmax[pair], odd_tmin, odd_tmax[odd_pair]))
    values = np.concatenate((first_value, last_value[pair], odd_values, odd_values[odd_pair]))
    order = np.lexsort((stamps, steps))  # stable: a bucket's first point stays before its last
    return MetricHistoryArrays(
        steps[order].astype(np.int64),
        stamps[order].astype(np.int64),
        values[order].astype(np.float64),
        total_points,
    )


def downsample_history(history: MetricHistoryArrays, max_points: int) -> MetricHistoryArrays:
    """Reduce a full history to its envelope; histories of at most ``max_points`` stay whole."""
    if len(history) <= max_points:
        return history
    plan = plan_buckets(
        max_points,
        int(history.steps.min()),
        int(history.steps.max()),
        int(history.timestamps.min()),
        int(history.timestamps.max()),
    )
    return envelope(group_points(history, plan), history.total_points)
