"""Downsample long metric series before they are sent to the browser: LTTB and min/max.

Both functions are vectorised with numpy (no Python loop over points or buckets), so 20 series of
100,000 points reduce in a few tens of milliseconds. Buckets are equal runs of consecutive points
(by index, as in the original LTTB), and the first and last points are always kept.

* :func:`lttb` — Largest-Triangle-Three-Buckets (Steinarsson, 2013) keeps, from each bucket, the
  point forming the largest triangle with the point kept from the previous bucket and the mean of
  the next bucket. The exact algorithm is sequential; here it is computed in two vectorised
  passes: the first uses the previous bucket's mean as the left vertex, the second the point the
  first pass kept. The result is visually indistinguishable from the sequential one.
* :func:`minmax` — keeps each bucket's minimum and maximum (in x order): every spike survives,
  and NaN/inf values are ignored rather than propagated.
* :func:`downsample` — picks LTTB, and min/max when the values hold non-finite numbers (which
  have no triangle area).

These pick display points from what the widgets hold. Long histories are first reduced by the
store (``get_metric_history_arrays(..., max_points=...)``, ``store/downsample.py``): a min/max
envelope over step buckets, computed in the database for SQL stores, so only a few thousand
points per series reach Python at all.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["downsample", "lttb", "minmax"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Method = Literal["auto", "lttb", "minmax"]


def _as_float(values: npt.ArrayLike) -> FloatArray:
    return np.ascontiguousarray(values, dtype=np.float64)


def _bucket_starts(n: int, buckets: int) -> IntArray:
    """Start indices of ``buckets`` equal runs covering points ``1 .. n-2`` (ends excluded)."""
    edges = np.linspace(1, n - 1, buckets + 1)
    return np.unique(edges[:-1].astype(np.intp))


def _first_max_per_bucket(score: FloatArray, starts: IntArray, n_inner: int) -> IntArray:
    """Index (into ``score``) of the first maximum of each bucket; NaN scores never win."""
    score = np.where(np.isnan(score), -np.inf, score)
    best = np.maximum.reduceat(score, starts)
    sizes = np.diff(np.append(starts, n_inner))
    hits = np.flatnonzero(score == np.repeat(best, sizes))
    bucket_of_hit = np.searchsorted(starts, hits, side="right") - 1
    _, first = np.unique(bucket_of_hit, return_index=True)
    return hits[first]


def lttb(x: npt.ArrayLike, y: npt.ArrayLike, n_out: int) -> IntArray:
    """Return the indices of at most ``n_out`` points chosen by LTTB, in increasing order.

    Args:
        x: Point abscissae (e.g. steps or timestamps), in plotting order.
        y: Point values, same length; should be finite (use :func:`minmax` otherwise).
        n_out: Points to keep (>= 3); series at most this long are returned whole.

    Example:
        >>> import numpy as np
        >>> idx = lttb(np.arange(1000), np.sin(np.arange(1000) / 50), 100)
        >>> len(idx), idx[0], idx[-1]
        (100, 0, 999)
    """
    xs, ys = _as_float(x), _as_float(y)
    n = len(xs)
    if n_out >= n or n < 3:
        return np.arange(n, dtype=np.intp)
    n_out = max(n_out, 3)
    starts = _bucket_starts(n, n_out - 2)  # relative to the full series
    inner = slice(1, n - 1)
    rel = starts - 1
    sizes = np.diff(np.append(rel, n - 2))
    mean_x = np.add.reduceat(xs[inner], rel) / sizes
    mean_y = np.add.reduceat(ys[inner], rel) / sizes
    # Right vertex: the next bucket's mean, the last point for the last bucket.
    right_x = np.append(mean_x[1:], xs[-1])
    right_y = np.append(mean_y[1:], ys[-1])
    # Left vertex, pass 1: the previous bucket's mean (the first point for the first bucket).
    left_x = np.insert(mean_x[:-1], 0, xs[0])
    left_y = np.insert(mean_y[:-1], 0, ys[0])
    chosen = _choose(xs, ys, rel, sizes, left_x, left_y, right_x, right_y)
    # Pass 2: the point pass 1 kept in the previous bucket, as the sequential algorithm does.
    left_x = np.insert(xs[chosen[:-1]], 0, xs[0])
    left_y = np.insert(ys[chosen[:-1]], 0, ys[0])
    chosen = _choose(xs, ys, rel, sizes, left_x, left_y, right_x, right_y)
    return np.concatenate(([0], chosen, [n - 1])).astype(np.intp)


def _choose(
    xs: FloatArray,
    ys: FloatArray,
    rel: IntArray,
    sizes: IntArray,
    left_x: FloatArray,
    left_y: FloatArray,
    right_x: FloatArray,
    right_y: FloatArray,
) -> IntArray:
    """Per bucket, the index of the point making the largest triangle with left and right."""
    px, py = xs[1:-1], ys[1:-1]
    lx, ly = np.repeat(left_x, sizes), np.repeat(left_y, sizes)
    rx, ry = np.repeat(right_x, sizes), np.repeat(right_y, sizes)
    # Twice the triangle area; the constant factor does not change the argmax.
    area = np.abs((lx - rx) * (py - ly) - (lx - px) * (ry - ly))
    return _first_max_per_bucket(area, rel, len(px)) + 1


def minmax(x: npt.ArrayLike, y: npt.ArrayLike, n_out: int) -> IntArray:
    """Return the indices of at most ``n_out`` points: each bucket's min and max, in order.

    Non-finite values are never chosen as a bucket's min or max, but a bucket holding only
    non-finite values keeps its first point so gaps stay visible.

    Example:
        >>> import numpy as np
        >>> y = np.zeros(10_000); y[1234] = 5.0
        >>> 1234 in minmax(np.arange(10_000), y, 100)
        True
    """
    xs, ys = _as_float(x), _as_float(y)
    n = len(xs)
    if n_out >= n or n < 3:
        return np.arange(n, dtype=np.intp)
    if n_out < 6:  # too few points for a min and a max per bucket
        return lttb(xs, ys, n_out)
    buckets = (n_out - 2) // 2
    starts = _bucket_starts(n, buckets)
    rel = starts - 1
    inner = ys[1:-1]
    finite = np.isfinite(inner)
    hi = _first_max_per_bucket(np.where(finite, inner, -np.inf), rel, len(inner))
    lo = _first_max_per_bucket(np.where(finite, -inner, -np.inf), rel, len(inner))
    picked = np.union1d(hi, lo) + 1
    return np.concatenate(([0], picked, [n - 1])).astype(np.intp)


def downsample(
    x: npt.ArrayLike, y: npt.ArrayLike, n_out: int, *, method: Method = "auto"
) -> tuple[FloatArray, FloatArray]:
    """Return ``(x, y)`` reduced to at most ``n_out`` points.

    Args:
        x: Abscissae, in plotting order.
        y: Values.
        n_out: Maximum points to keep.
        method: ``"lttb"``, ``"minmax"``, or ``"auto"`` (LTTB unless ``y`` has NaN/inf).

    Example:
        >>> import numpy as np
        >>> xs, ys = downsample(np.arange(100_000), np.random.rand(100_000), 2_000)
        >>> len(xs) <= 2_000
        True
    """
    xs, ys = _as_float(x), _as_float(y)
    if len(xs) != len(ys):
        raise ValueError(f"x and y differ in length ({len(xs)} != {len(ys)})")
    if method == "auto":
        method = "lttb" if np.isfinite(ys).all() else "minmax"
    pick = lttb if method == "lttb" else minmax
    idx = pick(xs, ys, n_out)
    return xs[idx], ys[idx]
