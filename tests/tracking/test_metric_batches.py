"""Many metrics per call: bulk validation, the fluent wide path and the writer's back-pressure."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import Metric
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.tracking import fluent
from jupyter_mltrack.tracking.batching import MetricBatcher
from jupyter_mltrack.tracking.client_checks import checked_metric, checked_points

T0 = 1_700_000_000_000


@pytest.fixture
def tracking_uri(tmp_path: Path) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path}/t.db"
    mlt.set_tracking_uri(uri)
    yield uri
    fluent._reset()


def _metric(**changes: Any) -> Metric:
    fields: dict[str, Any] = {"key": "loss", "value": 0.5, "timestamp": T0, "step": 3}
    fields.update(changes)
    return Metric(**fields)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"key": "bad key!"}, "Invalid Metric key"),
        ({"key": ""}, "non-empty"),
        ({"value": "0.5"}, "must be a number"),
        ({"timestamp": True}, "integer milliseconds"),
        ({"timestamp": 2**63}, "does not fit in int64"),
        ({"step": 1.5}, "must be an integer"),
        ({"step": -(2**63) - 1}, "does not fit in int64"),
    ],
)
def test_bulk_checks_refuse_what_the_single_check_refuses(
    changes: dict[str, Any], match: str
) -> None:
    good = [_metric(key=f"k{i}", step=i) for i in range(5)]
    bad = _metric(**changes)
    with pytest.raises(InvalidParameterError, match=match):
        checked_metric(bad.key, bad.value, bad.timestamp, bad.step)
    with pytest.raises(InvalidParameterError, match=match):
        checked_points([*good, bad])


def test_bulk_checks_convert_like_the_single_check() -> None:
    metrics = [
        _metric(value=1),
        _metric(value=np.float32(0.25), step=np.int64(4)),
        _metric(timestamp=None, step=None),
        _metric(value=float("nan")),
    ]
    points = checked_points(metrics)
    singles = [checked_metric(m.key, m.value, m.timestamp, m.step) for m in metrics]
    assert [type(p[1]) for p in points] == [float] * 4
    assert [(p[0], p[3]) for p in points] == [(m.key, m.step) for m in singles]
    assert points[2][2] >= T0 and points[0][1:] == (1.0, T0, 3)


def test_fluent_wide_steps_are_stored_per_key(tracking_uri: str) -> None:
    keys = [f"layer{k}/norm" for k in range(500)]
    with mlt.start_run() as run:
        for step in range(3):
            mlt.log_metrics({key: step + k / 1000 for k, key in enumerate(keys)}, step=step)
    client = TrackingClient()
    assert [m.value for m in client.get_metric_history(run.info.run_id, "layer9/norm")] == [
        0.009,
        1.009,
        2.009,
    ]
    assert len(client.get_run(run.info.run_id).data.metrics) == 500


def test_a_bad_key_in_log_metrics_buffers_nothing(tracking_uri: str) -> None:
    with mlt.start_run() as run:
        with pytest.raises(InvalidParameterError, match="Invalid Metric key"):
            mlt.log_metrics({"fine": 1.0, "not fine!": 2.0}, step=1)
        mlt.flush()
        assert TrackingClient().get_run(run.info.run_id).data.metrics == {}


class _ThreadRecordingStore:
    """Records which thread wrote each batch; each write takes a little while."""

    uri = "memory://threads"

    def __init__(self) -> None:
        self.writers: list[str] = []
        self.count = 0

    def log_metric_points(self, run_id: str, points: Sequence[tuple[str, float, int, int]]) -> None:
        time.sleep(0.005)
        self.writers.append(threading.current_thread().name)
        self.count += len(points)


def test_back_pressure_lets_the_writer_thread_write() -> None:
    """A full buffer holds the logging thread until the writer has taken points: the logging
    thread never writes itself while a writer thread runs (the two keep overlapping)."""
    batcher = MetricBatcher(interval=0.01, threshold=100, max_pending=500, chunk=200)
    store = _ThreadRecordingStore()
    peak = 0
    try:
        for step in range(40):
            points = [(f"k{k}", float(k), T0 + step, step) for k in range(100)]
            batcher.add_many(store, "r", points)  # type: ignore[arg-type]
            peak = max(peak, batcher.pending())
        before_flush = list(store.writers)
        batcher.flush()
    finally:
        batcher.close()
    assert store.count == 4000 and peak <= 500
    assert before_flush and set(before_flush) == {"mltrack-metric-writer"}
