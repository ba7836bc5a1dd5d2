"""LTTB and min/max downsampling: shape guarantees, fidelity, NaN handling."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_mltrack.widgets._downsample import downsample, lttb, minmax


def lttb_sequential(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """The textbook (sequential) LTTB with the same buckets, as a reference."""
    n = len(x)
    edges = np.linspace(1, n - 1, n_out - 1).astype(int)
    chosen, a = [0], 0
    for i in range(n_out - 2):
        s, e = edges[i], edges[i + 1]
        if i + 1 < n_out - 2:
            cx, cy = x[e : edges[i + 2]].mean(), y[e : edges[i + 2]].mean()
        else:
            cx, cy = x[-1], y[-1]
        area = np.abs((x[a] - cx) * (y[s:e] - y[a]) - (x[a] - x[s:e]) * (cy - y[a]))
        a = s + int(np.argmax(area))
        chosen.append(a)
    return np.array([*chosen, n - 1])


@pytest.fixture
def walk() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return np.arange(20_000, dtype=float), np.cumsum(rng.normal(size=20_000))


@pytest.mark.parametrize("pick", [lttb, minmax])
@pytest.mark.parametrize("n_out", [3, 4, 10, 101, 2_000])
def test_indices_are_sorted_unique_within_budget_and_keep_the_ends(pick, n_out, walk):
    x, y = walk
    idx = pick(x, y, n_out)
    assert len(idx) <= n_out
    assert idx[0] == 0 and idx[-1] == len(x) - 1
    assert np.all(np.diff(idx) > 0)


@pytest.mark.parametrize("pick", [lttb, minmax])
def test_short_series_come_back_whole(pick):
    x = np.arange(5.0)
    assert pick(x, x, 5).tolist() == [0, 1, 2, 3, 4]
    assert pick(x, x, 100).tolist() == [0, 1, 2, 3, 4]
    assert pick(x[:2], x[:2], 1).tolist() == [0, 1]


def test_lttb_mostly_agrees_with_the_sequential_algorithm(walk):
    x, y = walk
    ours, reference = lttb(x, y, 500), lttb_sequential(x, y, 500)
    assert len(ours) == len(reference) == 500
    assert np.isin(ours, reference).mean() > 0.75


def test_lttb_keeps_a_spike(walk):
    x, y = walk
    y = y.copy()
    y[12_345] = y.max() + 1_000
    assert 12_345 in lttb(x, y, 300)


def test_minmax_keeps_every_bucket_extreme_and_skips_nan():
    y = np.zeros(10_000)
    y[1234], y[8765] = 5.0, -5.0
    y[100:200] = np.nan
    idx = minmax(np.arange(10_000.0), y, 100)
    assert {1234, 8765} <= set(idx.tolist())
    assert not np.isnan(y[idx[1:-1]]).any()


def test_minmax_keeps_one_point_of_an_all_nan_bucket():
    y = np.ones(1_000)
    y[500:] = np.nan
    idx = minmax(np.arange(1_000.0), y, 20)
    assert np.isnan(y[idx]).any()  # the gap stays visible
    assert len(idx) <= 20


def test_downsample_uses_minmax_for_non_finite_values():
    y = np.sin(np.arange(10_000) / 100)
    y[5000] = np.inf
    xs, ys = downsample(np.arange(10_000), y, 200)
    assert len(xs) == len(ys) <= 200
    assert np.array_equal(xs, np.unique(xs))
    finite_x, _ = downsample(np.arange(10_000), np.sin(np.arange(10_000) / 100), 200)
    assert len(finite_x) == 200  # LTTB fills its budget exactly


def test_downsample_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        downsample([1, 2, 3], [1, 2], 10)


def test_100k_point_series_reduce_to_the_budget():
    # Speed is measured by benchmarks/ (widget_metric_plot), not here.
    rng = np.random.default_rng(0)
    x = np.arange(100_000, dtype=float)
    for y in (np.cumsum(rng.normal(size=100_000)) for _ in range(3)):
        xs, ys = downsample(x, y, 2_000)
        assert len(xs) == 2_000 and xs[0] == 0 and xs[-1] == 99_999
        assert np.all(np.diff(xs) > 0)  # in order, no point twice
        assert np.array_equal(ys, y[xs.astype(int)])  # real points of the series
        mx, my = downsample(x, y, 2_000, method="minmax")
        assert len(mx) <= 2_000 and my.max() == y.max() and my.min() == y.min()
