"""get_metric_history_arrays: columnar histories and store-side downsampling, on every backend.

SQL stores reduce in the database (a GROUP BY over integer buckets; on SQLite a join from a
bucket table), the others (REST) in numpy. Every backend must return exactly what the numpy
reference (``store/downsample.py``, applied to the full arrays) returns, so each downsampling
test compares with it besides checking the promised properties.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from contract_helpers import make_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import Metric
from jupyter_mltrack.entities.metric import MetricHistoryArrays
from jupyter_mltrack.errors import InvalidParameterError, RunNotFound
from jupyter_mltrack.store.base import TrackingStore
from jupyter_mltrack.store.downsample import downsample_history

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT64 = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


def _log(
    store: TrackingStore, run_id: str, key: str, points: Sequence[tuple[int, int, float]]
) -> None:
    """Log ``(step, timestamp, value)`` points in batches of 1,000."""
    metrics = [Metric(key=key, value=v, timestamp=t, step=s) for s, t, v in points]
    for start in range(0, len(metrics), 1000):
        store.log_batch(run_id, metrics=metrics[start : start + 1000])


def _triples(h: MetricHistoryArrays) -> list[tuple[int, int, float]]:
    return list(zip(h.steps.tolist(), h.timestamps.tolist(), h.values.tolist(), strict=True))


def _same(a: MetricHistoryArrays, b: MetricHistoryArrays) -> None:
    """Equal arrays (NaN equal to NaN, -0.0 to 0.0) and equal totals."""
    assert a.total_points == b.total_points
    assert np.array_equal(a.steps, b.steps)
    assert np.array_equal(a.timestamps, b.timestamps)
    assert np.array_equal(a.values, b.values, equal_nan=True)


def _check_envelope(
    store: TrackingStore, run_id: str, key: str, max_points: int
) -> tuple[MetricHistoryArrays, MetricHistoryArrays]:
    """Fetch downsampled, check the promised properties and equality with the reference."""
    full = store.get_metric_history_arrays(run_id, key)
    got = store.get_metric_history_arrays(run_id, key, max_points=max_points)
    _same(got, downsample_history(full, max_points))
    assert got.total_points == len(full)
    assert got.steps.dtype == np.int64 and got.timestamps.dtype == np.int64
    assert got.values.dtype == np.float64
    order = np.lexsort((got.timestamps, got.steps))
    assert np.array_equal(order, np.arange(len(got)))  # sorted by step, then timestamp
    assert got.steps[0] == full.steps[0] and got.steps[-1] == full.steps[-1]
    finite = full.values[np.isfinite(full.values)]
    if len(finite):
        assert finite.min() in got.values and finite.max() in got.values
    for kind in (np.isnan, np.isposinf, np.isneginf):  # each non-finite kind stays visible
        assert kind(full.values).any() == kind(got.values).any()
    return full, got


def test_arrays_hold_every_point_in_order(store):
    run_id = make_run(store).info.run_id
    points = [
        (5, 30, 0.5),
        (INT64_MAX, 10, math.inf),
        (-3, 7, -math.inf),
        (5, 20, math.nan),  # same step as the first point, earlier timestamp
        (INT64_MIN, INT64_MAX, 1e308),
        (0, INT64_MIN, -0.25),
        (5, 25, 5e-324),
    ]
    _log(store, run_id, "m", points)
    got = store.get_metric_history_arrays(run_id, "m")
    assert isinstance(got, MetricHistoryArrays)
    assert got.steps.dtype == np.int64 and got.timestamps.dtype == np.int64
    assert got.values.dtype == np.float64
    assert got.total_points == len(got) == 7 and not got.downsampled
    want = sorted(points, key=lambda p: (p[0], p[1]))
    assert got.steps.tolist() == [s for s, _, _ in want]
    assert got.timestamps.tolist() == [t for _, t, _ in want]
    assert np.array_equal(got.values, [v for _, _, v in want], equal_nan=True)
    history = store.get_metric_history(run_id, "m")  # the same points as the object path
    assert [(m.step, m.timestamp) for m in history] == list(
        zip(got.steps.tolist(), got.timestamps.tolist(), strict=True)
    )


def test_short_series_and_unknown_keys(store):
    run_id = make_run(store).info.run_id
    _log(store, run_id, "m", [(i, 1000 + i, float(i)) for i in range(50)])
    whole = store.get_metric_history_arrays(run_id, "m", max_points=50)
    assert _triples(whole) == [(i, 1000 + i, float(i)) for i in range(50)]
    assert whole.total_points == 50 and not whole.downsampled
    for max_points in (None, 10):
        empty = store.get_metric_history_arrays(run_id, "nope", max_points=max_points)
        assert len(empty) == 0 and empty.total_points == 0
        assert empty.steps.dtype == np.int64 and empty.values.dtype == np.float64
        with pytest.raises(RunNotFound):
            store.get_metric_history_arrays("0" * 32, "m", max_points=max_points)


@pytest.mark.parametrize("max_points", [0, 1, True, 2.5, "10"])
def test_bad_max_points_are_refused(store, max_points):
    run_id = make_run(store).info.run_id
    with pytest.raises(InvalidParameterError, match="max_points"):
        store.get_metric_history_arrays(run_id, "m", max_points=max_points)


def test_client_checks_its_arguments_like_get_metric_history(store):
    client = TrackingClient(store=store)
    run_id = make_run(store).info.run_id
    _log(store, run_id, "m", [(i, i, float(i)) for i in range(30)])
    got = client.get_metric_history_arrays(run_id, "m", max_points=10)
    _same(got, store.get_metric_history_arrays(run_id, "m", max_points=10))
    assert len(got) <= 10 and got.total_points == 30
    for bad_run, bad_key in (("", "m"), (None, "m"), (run_id, ""), (run_id, None)):
        with pytest.raises(InvalidParameterError):
            client.get_metric_history(bad_run, bad_key)  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError):
            client.get_metric_history_arrays(bad_run, bad_key)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="max_points"):
        client.get_metric_history_arrays(run_id, "m", max_points=1)


def test_long_series_becomes_an_envelope(store):
    run_id = make_run(store).info.run_id
    rng = np.random.default_rng(7)
    values = np.cumsum(rng.normal(size=5000))
    values[1234], values[4321] = 1e6, -1e6  # single-point spikes must survive
    _log(store, run_id, "loss", [(i, 10 * i, float(v)) for i, v in enumerate(values)])
    _, got = _check_envelope(store, run_id, "loss", 200)
    assert 100 < len(got) <= 200 and got.total_points == 5000 and got.downsampled
    assert got.values.max() == 1e6 and got.values.min() == -1e6
    # A falling series keeps falling: each bucket's max comes before its min.
    rid = make_run(store, name="falling").info.run_id
    _log(store, rid, "loss", [(i, i, 1.0 / (i + 1)) for i in range(3000)])
    down = store.get_metric_history_arrays(rid, "loss", max_points=100)
    assert len(down) <= 100 and np.all(np.diff(down.values) <= 0)


def test_non_finite_values_are_kept_apart(store):
    run_id = make_run(store).info.run_id
    points = [(i, i, float(i % 17)) for i in range(3000)]
    for i, odd in ((10, math.nan), (11, math.nan), (1500, math.inf), (2999, -math.inf)):
        points[i] = (i, i, odd)
    _log(store, run_id, "m", points)
    _, got = _check_envelope(store, run_id, "m", 100)
    assert len(got) <= 100 + 2 * 3  # up to two extra points per bucket and non-finite kind
    finite = got.values[np.isfinite(got.values)]
    assert finite.min() == 0.0 and finite.max() == 16.0
    assert got.steps[np.isnan(got.values)].tolist() == [10, 11]  # where the NaNs start and end
    assert got.steps[got.values == math.inf].tolist() == [1500]
    assert got.steps[-1] == 2999 and got.values[-1] == -math.inf


def test_all_non_finite_series(store):
    run_id = make_run(store).info.run_id
    _log(store, run_id, "m", [(i, i, math.nan) for i in range(500)])
    _, got = _check_envelope(store, run_id, "m", 20)
    assert 0 < len(got) <= 20 and np.isnan(got.values).all()


@pytest.mark.parametrize(
    "steps",
    [
        [INT64_MAX - 3 * (999 - i) for i in range(1000)],  # near the top: bucket ends overflow
        [INT64_MIN + 7 * i for i in range(1000)],  # near the bottom
        [INT64_MIN + i * (2**54) for i in range(1000)] + [INT64_MAX],  # wider than int64
        [-500_000 + 1000 * i for i in range(1000)],  # negative and positive
    ],
    ids=["near-max", "near-min", "full-range", "negative"],
)
def test_huge_steps_are_bucketed_exactly(store, steps):
    run_id = make_run(store).info.run_id
    _log(store, run_id, "m", [(s, i, math.sin(i / 30)) for i, s in enumerate(steps)])
    full, got = _check_envelope(store, run_id, "m", 64)
    assert len(got) <= 64 and got.total_points == len(steps)
    assert full.steps.tolist() == sorted(steps)


@pytest.mark.parametrize("lo", [INT64_MIN, 0], ids=["whole-range", "upper-half"])
def test_one_bucket_as_wide_as_int64_allows(store, lo):
    # One bucket (max_points 2) over 2**64 or 2**63 steps: wider than any BIGINT.
    run_id = make_run(store).info.run_id
    points = [(lo, 1, 2.0), (1, 2, -1.0), (5, 3, 7.0), (INT64_MAX, 4, 3.0)]
    _log(store, run_id, "m", points)
    _, got = _check_envelope(store, run_id, "m", 2)
    # Its min then its max (no neighbours tell a direction), at its ends.
    assert _triples(got) == [(lo, 1, -1.0), (INT64_MAX, 4, 7.0)]


def test_series_logged_at_one_step_is_bucketed_by_time(store):
    run_id = make_run(store).info.run_id
    _log(store, run_id, "m", [(0, 1_700_000_000_000 + 5 * i, float(i % 9)) for i in range(2000)])
    _, got = _check_envelope(store, run_id, "m", 100)
    assert 50 < len(got) <= 100  # step buckets would give 2 points
    assert got.timestamps[0] == 1_700_000_000_000 and got.timestamps[-1] == 1_700_000_009_995


def test_equal_steps_come_back_in_timestamp_order(store):
    run_id = make_run(store).info.run_id
    _log(store, run_id, "m", [(1, 300 - i, float(i)) for i in range(300)])  # newest first
    got = store.get_metric_history_arrays(run_id, "m")
    assert got.timestamps.tolist() == list(range(1, 301))
    assert got.values.tolist() == [float(299 - i) for i in range(300)]
    _check_envelope(store, run_id, "m", 30)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    points=st.lists(st.tuples(INT64, INT64, FLOATS), min_size=1, max_size=40),
    max_points=st.integers(min_value=2, max_value=12),
)
def test_any_series_matches_the_reference(store, points, max_points):
    run_id = make_run(store).info.run_id
    _log(store, run_id, "p", points)
    full = store.get_metric_history_arrays(run_id, "p")
    # Ties on (step, timestamp) come back in no particular order: compare as multisets.
    # (The sign of zero is not kept: SQLite and MySQL store -0.0 as 0.0.)
    assert sorted(repr((s, t, v + 0.0)) for s, t, v in _triples(full)) == sorted(
        repr((s, t, v + 0.0)) for s, t, v in points
    )
    if len(points) > max_points:
        _check_envelope(store, run_id, "p", max_points)
