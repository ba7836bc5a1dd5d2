"""Metric history and latest-value behaviour, identical on every backend."""

from __future__ import annotations

import math

from contract_helpers import make_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_mltrack.entities import Metric

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_history_keeps_every_point_in_step_order(store):
    run_id = make_run(store).info.run_id
    points = [(5, 0.5), (-3, -0.3), (100, 1.0), (0, 0.0), (5, 0.55)]
    store.log_batch(
        run_id,
        metrics=[
            Metric(key="loss", value=v, timestamp=1000 + i, step=s)
            for i, (s, v) in enumerate(points)
        ],
    )
    history = store.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in history] == [
        (-3, -0.3),
        (0, 0.0),
        (5, 0.5),
        (5, 0.55),
        (100, 1.0),
    ]
    assert all(m.key == "loss" and m.run_id == run_id for m in history)
    assert store.get_metric_history(run_id, "other") == []


def test_latest_value_is_the_highest_step_not_the_last_logged(store):
    run_id = make_run(store).info.run_id
    store.log_metric(run_id, Metric(key="acc", value=0.9, timestamp=10, step=10))
    store.log_metric(run_id, Metric(key="acc", value=0.1, timestamp=20, step=2))
    assert store.get_run(run_id).data.metrics["acc"] == 0.9
    store.log_metric(run_id, Metric(key="acc", value=0.95, timestamp=5, step=11))
    assert store.get_run(run_id).data.metrics["acc"] == 0.95


def test_non_finite_values_round_trip(store):
    run_id = make_run(store).info.run_id
    values = [math.nan, math.inf, -math.inf, 1.7976931348623157e308, -0.0, 5e-324]
    store.log_metric_points(run_id, [("x", v, i, i) for i, v in enumerate(values)])
    got = [m.value for m in store.get_metric_history(run_id, "x")]
    assert all(_same_float(a, b) for a, b in zip(got, values, strict=True))
    assert got[1] == math.inf and got[3] != math.inf
    assert store.get_run(run_id).data.metrics["x"] == 5e-324


def test_fast_path_and_batch_path_agree(store):
    run_id = make_run(store).info.run_id
    store.log_metric_points(run_id, [("a", float(i), i, i) for i in range(2000)])
    store.log_batch(
        run_id, metrics=[Metric(key="b", value=float(i), timestamp=i, step=i) for i in range(2000)]
    )
    a = store.get_metric_history(run_id, "a")
    b = store.get_metric_history(run_id, "b")
    assert [(m.value, m.step, m.timestamp) for m in a] == [
        (m.value, m.step, m.timestamp) for m in b
    ]
    assert store.get_run(run_id).data.metrics == {"a": 1999.0, "b": 1999.0}


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(points=st.lists(st.tuples(FLOATS, INT64, INT64), min_size=1, max_size=20))
def test_metric_points_round_trip_exactly(store, points):
    run_id = make_run(store).info.run_id
    store.log_batch(
        run_id, metrics=[Metric(key="p", value=v, timestamp=t, step=s) for v, t, s in points]
    )
    history = store.get_metric_history(run_id, "p")
    assert [(m.step, m.timestamp) for m in history] == sorted((s, t) for _, t, s in points)
    # Points sharing (step, timestamp) come back in no particular order: compare them as sets.
    # (The sign of zero is not kept: SQLite and MySQL store -0.0 as 0.0.)
    got = sorted((m.step, m.timestamp, repr(m.value + 0.0)) for m in history)
    assert got == sorted((s, t, repr(v + 0.0)) for v, t, s in points)
    # The latest value is the point with the highest (step, timestamp); on a tie the last logged.
    best = max(reversed(points), key=lambda p: (p[2], p[1]))
    assert _same_float(store.get_run(run_id).data.metrics["p"], best[0])
