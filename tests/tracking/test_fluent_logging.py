"""Fluent logging of metrics, params and tags; listeners; synchronous mode; writer errors."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.errors import (
    InvalidParameterError,
    InvalidStateError,
    NotFoundError,
    StoreError,
)
from jupyter_mltrack.tracking import add_logging_listener, fluent, remove_logging_listener
from jupyter_mltrack.tracking.batching import BATCHER


@pytest.fixture(autouse=True)
def tracking_uri(tmp_path: Path) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path}/t.db"
    mlt.set_tracking_uri(uri)
    yield uri
    fluent._reset()


def history(run_id: str, key: str) -> list[tuple[float, int, int]]:
    points = TrackingClient().get_metric_history(run_id, key)
    return [(m.value, m.step, m.timestamp) for m in points]


def test_log_metric_steps_and_timestamps_after_flush() -> None:
    with mlt.start_run() as run:
        for step in range(5):
            mlt.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=1000 + step)
        mlt.flush()
        assert history(run.run_id, "loss") == [(1.0 / (s + 1), s, 1000 + s) for s in range(5)]


def test_log_metric_defaults_step_zero_and_now() -> None:
    with mlt.start_run() as run:
        mlt.log_metric("m", 7)
    ((value, step, timestamp),) = history(run.run_id, "m")
    assert (value, step) == (7.0, 0)
    assert timestamp > 1_600_000_000_000


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0.0, -1e308, 5e-324])
def test_special_floats_round_trip(value: float) -> None:
    with mlt.start_run() as run:
        mlt.log_metric("v", value, step=1)
        mlt.flush()
        ((stored, _, _),) = history(run.run_id, "v")
    if math.isnan(value):
        assert math.isnan(stored)
    else:
        assert stored == value
    latest = TrackingClient().get_run(run.run_id).data.metrics["v"]
    assert math.isnan(latest) if math.isnan(value) else latest == value


def test_log_metrics_share_step_and_timestamp() -> None:
    with mlt.start_run() as run:
        mlt.log_metrics({"a": 1.0, "b": 2.0}, step=3, timestamp=42)
    assert history(run.run_id, "a") == [(1.0, 3, 42)]
    assert history(run.run_id, "b") == [(2.0, 3, 42)]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"key": "", "value": 1.0}, "non-empty"),
        ({"key": "bad key!", "value": 1.0}, "Invalid Metric key"),
        ({"key": "../up", "value": 1.0}, "'\\.\\.'"),
        ({"key": "m", "value": "1.0"}, "must be a number"),
        ({"key": "m", "value": 1.0, "step": 1.5}, "step must be an integer"),
        ({"key": "m", "value": 1.0, "timestamp": "now"}, "timestamp must be integer"),
    ],
)
def test_log_metric_rejects_bad_input_at_the_call(kwargs: dict[str, Any], match: str) -> None:
    with mlt.start_run(), pytest.raises(InvalidParameterError, match=match):
        mlt.log_metric(**kwargs)
    assert BATCHER.pending() == 0


def test_param_same_value_twice_is_fine_and_conflict_names_both_values() -> None:
    with mlt.start_run() as run:
        mlt.log_param("lr", 0.1)
        mlt.log_param("lr", "0.1")
        with pytest.raises(InvalidParameterError, match=r"'lr'.*'0\.1'.*'0\.2'"):
            mlt.log_param("lr", 0.2)
        mlt.log_params({"depth": 4})
        with pytest.raises(InvalidParameterError, match=r"'4'.*'5'"):
            mlt.log_params({"depth": 5})
    assert TrackingClient().get_run(run.run_id).data.params == {"lr": "0.1", "depth": "4"}


def test_param_conflict_within_log_params_and_nothing_written() -> None:
    with mlt.start_run() as run:
        mlt.log_params({"a": 1, "b": "x"})
        with pytest.raises(InvalidParameterError, match=r"'x'.*'y'"):
            mlt.log_params({"c": 3, "b": "y"})
    assert TrackingClient().get_run(run.run_id).data.params == {"a": "1", "b": "x"}


def test_param_value_too_long_is_refused() -> None:
    with mlt.start_run(), pytest.raises(InvalidParameterError, match="log_text"):
        mlt.log_param("blob", "x" * 6001)


def test_params_are_written_after_pending_metrics() -> None:
    order: list[str] = []
    with mlt.start_run() as run:
        store = run.store
        real_points, real_batch = store.log_metric_points, store.log_batch

        def points(*args: Any, **kwargs: Any) -> None:
            order.append("metrics")
            real_points(*args, **kwargs)

        def batch(*args: Any, **kwargs: Any) -> None:
            # The pending metrics ride in the param write (one commit): metrics come first.
            order.extend(["metrics"] * len(args[1]) if len(args) > 1 else [])
            order.append("batch")
            real_batch(*args, **kwargs)

        store.log_metric_points = points  # type: ignore[method-assign]
        store.log_batch = batch  # type: ignore[method-assign]
        try:
            mlt.log_metric("m", 1.0)
            mlt.log_param("p", 1)
        finally:
            del store.log_metric_points, store.log_batch
    assert order == ["metrics", "batch"]


def test_tags_set_delete_and_run_name() -> None:
    with mlt.start_run(run_name="before") as run:
        mlt.set_tag("stage", "dev")
        mlt.set_tags({"stage": "prod", "team": "cv"})
        mlt.delete_tag("team")
        with pytest.raises(NotFoundError):
            mlt.delete_tag("team")
        mlt.set_tag("mltrack.runName", "after")
    stored = TrackingClient().get_run(run.run_id)
    assert stored.data.tags["stage"] == "prod"
    assert "team" not in stored.data.tags
    assert stored.info.run_name == "after"


def test_listener_receives_metrics_params_and_tags() -> None:
    events: list[tuple[str, str, tuple[Any, ...]]] = []
    handle = add_logging_listener(
        lambda run_id, kind, payload: events.append((run_id, kind, payload))
    )
    with mlt.start_run() as run:
        mlt.log_metric("loss", 0.5, step=2, timestamp=99)
        mlt.log_metrics({"acc": 1}, step=3, timestamp=100)
        mlt.log_param("lr", 0.1)
        mlt.set_tag("k", "v")
    remove_logging_listener(handle)
    with mlt.start_run():
        mlt.log_metric("loss", 0.1)
    assert events == [
        (run.run_id, "metric", ("loss", 0.5, 2, 99)),
        (run.run_id, "metric", ("acc", 1.0, 3, 100)),
        (run.run_id, "param", ("lr", "0.1")),
        (run.run_id, "tag", ("k", "v")),
    ]


def test_failing_listener_does_not_break_logging(caplog: pytest.LogCaptureFixture) -> None:
    def broken(run_id: str, kind: str, payload: tuple[Any, ...]) -> None:
        raise RuntimeError("plot died")

    handle = add_logging_listener(broken)
    with mlt.start_run() as run:
        mlt.log_metric("m", 1.0)
        mlt.log_metric("m", 2.0, step=1)
    handle.remove()
    assert len(history(run.run_id, "m")) == 2
    assert sum("plot died" in r.exc_text for r in caplog.records if r.exc_text) == 1


def test_synchronous_writes_at_the_call_and_raises_store_errors_directly() -> None:
    with mlt.start_run() as run:
        mlt.log_metric("m", 1.0, synchronous=True)
        assert BATCHER.pending() == 0
        assert history(run.run_id, "m")[0][0] == 1.0
        TrackingClient().delete_run(run.run_id)
        with pytest.raises(InvalidStateError):
            mlt.log_metric("m", 2.0, synchronous=True)
        TrackingClient().restore_run(run.run_id)


def test_env_disables_async_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRACK_ASYNC_LOGGING", "false")
    with mlt.start_run() as run:
        mlt.log_metrics({"a": 1.0, "b": 2.0})
        assert BATCHER.pending() == 0
        assert TrackingClient().get_run(run.run_id).data.metrics == {"a": 1.0, "b": 2.0}


def test_writer_error_surfaces_as_store_error_at_next_call() -> None:
    with mlt.start_run() as run:
        mlt.log_metric("m", 1.0)
        mlt.flush()
        TrackingClient().delete_run(run.run_id)
        mlt.log_metric("m", 2.0)
        BATCHER.flush()  # the background write fails: nothing raised here
        assert isinstance(BATCHER.error, StoreError)
        with pytest.raises(StoreError, match=r"1 metric point.*dropped") as info:
            mlt.log_metric("other", 3.0)
        assert isinstance(info.value.__cause__, InvalidStateError)
        assert BATCHER.error is None  # reported once
        TrackingClient().restore_run(run.run_id)


def test_writer_error_surfaces_at_flush() -> None:
    with mlt.start_run() as run:
        TrackingClient().delete_run(run.run_id)
        mlt.log_metric("m", 2.0)
        with pytest.raises(StoreError) as info:
            mlt.flush()
        assert isinstance(info.value.__cause__, InvalidStateError)
        TrackingClient().restore_run(run.run_id)


def test_writer_error_surfaces_at_end_run_and_run_is_no_longer_active() -> None:
    run = mlt.start_run()
    TrackingClient().delete_run(run.run_id)
    mlt.log_metric("m", 2.0)
    with pytest.raises(StoreError) as info:
        mlt.end_run()
    assert isinstance(info.value.__cause__, InvalidStateError)
    assert mlt.active_run() is None
    with mlt.start_run():  # and a new run starts cleanly
        pass


def test_writer_error_from_a_broken_table(tracking_uri: str) -> None:
    import sqlalchemy as sa

    with mlt.start_run() as run:
        mlt.log_metric("m", 1.0)
        mlt.flush()
        engine = sa.create_engine(tracking_uri)
        with engine.begin() as conn:
            for table in ("metrics", "latest_metrics", "metric_series"):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        engine.dispose()
        mlt.log_metric("m", 2.0)
        with pytest.raises(StoreError, match=run.run_id) as info:
            mlt.flush()
        assert info.value.__cause__ is not None
    # Reported once; ending the run (the runs table is intact) then works.
    assert mlt.active_run() is None
