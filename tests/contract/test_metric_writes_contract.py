"""Metric writes across batches: wide steps, re-logged steps, duplicates, far timestamps.

The SQL store appends most points without looking at the stored history and takes a careful
path for the rest; these behaviours pin what both paths must agree on, on every backend.
"""

from __future__ import annotations

import math

import numpy as np
from contract_helpers import make_run

from jupyter_mltrack.entities import Metric

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
T0 = 1_700_000_000_000


def _history(store, run_id, key):  # type: ignore[no-untyped-def]
    return [(m.step, m.timestamp, m.value) for m in store.get_metric_history(run_id, key)]


def test_wide_steps_keep_every_key_and_latest_value(store):
    run_id = make_run(store).info.run_id
    keys = [f"layer{k}/norm" for k in range(300)]
    for step in range(4):
        points = [(key, step + k / 1000, T0 + step, step) for k, key in enumerate(keys)]
        store.log_metric_points(run_id, points)
    metrics = store.get_run(run_id).data.metrics
    assert len(metrics) == 300 and metrics["layer7/norm"] == 3.007
    assert _history(store, run_id, "layer299/norm") == [(s, T0 + s, s + 0.299) for s in range(4)]


def test_relogging_a_step_across_batches_keeps_both_points(store):
    run_id = make_run(store).info.run_id
    store.log_metric_points(run_id, [("m", 1.0, T0, 0), ("m", 2.0, T0 + 1, 1)])
    store.log_metric_points(run_id, [("m", 3.0, T0 + 1, 1)])  # same step and timestamp
    store.log_metric_points(run_id, [("m", 3.0, T0 + 1, 1)])  # an exact duplicate, kept too
    store.log_batch(run_id, metrics=[Metric(key="m", value=math.nan, timestamp=T0 + 1, step=1)])
    history = _history(store, run_id, "m")
    assert [(s, t) for s, t, _ in history] == [(0, T0)] + [(1, T0 + 1)] * 4
    # Points sharing (step, timestamp) come back in no particular order.
    step_one = [v for s, _, v in history if s == 1]
    assert sorted(v for v in step_one if not math.isnan(v)) == [2.0, 3.0, 3.0]
    assert sum(math.isnan(v) for v in step_one) == 1
    # On a tie of (step, timestamp) the point logged last is the latest value.
    assert math.isnan(store.get_run(run_id).data.metrics["m"])


def test_points_older_than_the_latest_are_stored_in_order(store):
    run_id = make_run(store).info.run_id
    store.log_metric_points(run_id, [("m", 10.0, T0 + 10, 10)])
    store.log_metric_points(run_id, [("m", 5.0, T0 + 5, 5), ("m", 7.0, T0 + 7, 7)])
    store.log_metric_points(run_id, [("m", 11.0, T0 + 11, 11), ("m", 6.0, T0 + 6, 5)])
    assert _history(store, run_id, "m") == [
        (5, T0 + 5, 5.0),
        (5, T0 + 6, 6.0),
        (7, T0 + 7, 7.0),
        (10, T0 + 10, 10.0),
        (11, T0 + 11, 11.0),
    ]
    assert store.get_run(run_id).data.metrics["m"] == 11.0


def test_far_timestamps_in_a_later_batch_round_trip(store):
    """A series starts at a clock time, then gets timestamps at both ends of int64."""
    run_id = make_run(store).info.run_id
    store.log_metric_points(run_id, [("m", 1.0, T0, 0), ("m", 2.0, T0 + 5, 1)])
    store.log_metric_points(run_id, [("m", 3.0, INT64_MIN, 2), ("m", 4.0, INT64_MAX, 3)])
    store.log_metric_points(run_id, [("m", 5.0, T0 + 9, 4)])
    want = [(0, T0, 1.0), (1, T0 + 5, 2.0), (2, INT64_MIN, 3.0), (3, INT64_MAX, 4.0)]
    assert _history(store, run_id, "m") == [*want, (4, T0 + 9, 5.0)]
    arrays = store.get_metric_history_arrays(run_id, "m")
    assert arrays.timestamps.tolist() == [t for _, t, _ in want] + [T0 + 9]
    assert store.get_run(run_id).data.metrics["m"] == 5.0


def test_history_arrays_carry_the_logged_timestamps(store):
    run_id = make_run(store).info.run_id
    points = [("m", float(i), T0 + 3 * i, i // 4) for i in range(400)]
    store.log_metric_points(run_id, points)
    full = store.get_metric_history_arrays(run_id, "m")
    assert full.timestamps.tolist() == [T0 + 3 * i for i in range(400)]
    reduced = store.get_metric_history_arrays(run_id, "m", max_points=50)
    assert reduced.downsampled and len(reduced) <= 50 and reduced.total_points == 400
    assert reduced.timestamps.min() == T0 and reduced.timestamps.max() == T0 + 3 * 399
    assert np.all(np.diff(reduced.steps) >= 0)


def test_many_new_keys_beside_a_relogged_step_of_an_old_one(store):
    run_id = make_run(store).info.run_id
    store.log_metric_points(run_id, [("old", 1.0, T0, 0)])
    new_keys = [(f"k{i}", float(i), T0, 0) for i in range(600)]
    store.log_metric_points(run_id, [*new_keys, ("old", 2.0, T0, 0)])
    assert sorted(v for _, _, v in _history(store, run_id, "old")) == [1.0, 2.0]
    metrics = store.get_run(run_id).data.metrics
    assert len(metrics) == 601 and metrics["old"] == 2.0 and metrics["k599"] == 599.0
