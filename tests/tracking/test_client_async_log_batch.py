"""TrackingClient writes with ``synchronous=False``: queued points, RunOperations, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack import Metric, Param, RunTag, TrackingClient
from jupyter_mltrack.errors import (
    InvalidParameterError,
    InvalidStateError,
    RunNotFound,
    StoreError,
)
from jupyter_mltrack.tracking.batching import BATCHER
from jupyter_mltrack.tracking.run_operations import RunOperations


@pytest.fixture(autouse=True)
def _quiet_writer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep the writer thread from writing on its own, so "not yet stored" is observable."""
    monkeypatch.setattr(BATCHER, "interval", 60.0)
    monkeypatch.setattr(BATCHER, "threshold", 1_000_000)
    monkeypatch.setattr(BATCHER, "_trigger", 1_000_000)
    yield
    BATCHER.flush()
    BATCHER.take_error()


@pytest.fixture
def client(tmp_path: Path) -> TrackingClient:
    return TrackingClient(f"sqlite:///{tmp_path}/c.db")


@pytest.fixture
def run_id(client: TrackingClient) -> str:
    return client.create_run("0", run_name="r").info.run_id


def _metrics(step: int, keys: int = 3) -> list[Metric]:
    return [
        Metric(key=f"k{i}", value=step + i / 10, timestamp=1000 + step, step=step)
        for i in range(keys)
    ]


def _steps(client: TrackingClient, run_id: str, key: str) -> list[int]:
    return [m.step for m in client.get_metric_history(run_id, key)]


def test_async_log_batch_lands_after_wait(client: TrackingClient, run_id: str) -> None:
    ops = [client.log_batch(run_id, metrics=_metrics(step), synchronous=False) for step in range(4)]
    assert all(isinstance(op, RunOperations) for op in ops)
    assert BATCHER.pending() == 12
    assert _steps(client, run_id, "k0") == []  # queued, not written yet
    ops[-1].wait()  # type: ignore[union-attr]
    assert BATCHER.pending() == 0
    assert _steps(client, run_id, "k2") == [0, 1, 2, 3]
    assert client.get_run(run_id).data.metrics == {"k0": 3.0, "k1": 3.1, "k2": 3.2}


def test_async_positional_argument_as_in_mlflow(client: TrackingClient, run_id: str) -> None:
    op = client.log_batch(run_id, _metrics(7), [], [], False)
    assert op is not None
    op.wait()
    assert _steps(client, run_id, "k1") == [7]


def test_async_log_metric_queues_and_waits(client: TrackingClient, run_id: str) -> None:
    op = client.log_metric(run_id, "loss", 0.5, step=3, synchronous=False)
    assert op is not None and BATCHER.pending() == 1
    op.wait()
    (point,) = client.get_metric_history(run_id, "loss")
    assert (point.value, point.step) == (0.5, 3)


def test_fluent_flush_writes_client_queued_points(client: TrackingClient, run_id: str) -> None:
    client.log_batch(run_id, metrics=_metrics(1), synchronous=False)
    mlt.flush()
    assert _steps(client, run_id, "k0") == [1]


def test_bad_input_raises_at_the_call(client: TrackingClient, run_id: str) -> None:
    bad_key = [Metric(key="../up", value=1.0, timestamp=1, step=0)]
    bad_value = [Metric(key="ok", value="high", timestamp=1, step=0)]  # type: ignore[arg-type]
    bad_step = [Metric(key="ok", value=1.0, timestamp=1, step=1.5)]  # type: ignore[arg-type]
    for batch in (bad_key, bad_value, bad_step):
        with pytest.raises(InvalidParameterError):
            client.log_batch(run_id, metrics=batch, synchronous=False)
    with pytest.raises(InvalidParameterError):
        client.log_batch("", metrics=_metrics(0), synchronous=False)
    with pytest.raises(InvalidParameterError):
        client.log_metric(run_id, "bad key?", 1.0, synchronous=False)
    assert BATCHER.pending() == 0  # nothing of a refused call was queued


def test_nan_is_queued_and_stored(client: TrackingClient, run_id: str) -> None:
    op = client.log_batch(
        run_id, [Metric(key="m", value=float("nan"), timestamp=1, step=0)], synchronous=False
    )
    assert op is not None
    op.wait()
    (point,) = client.get_metric_history(run_id, "m")
    assert point.value != point.value


def test_params_and_tags_are_written_at_the_call(client: TrackingClient, run_id: str) -> None:
    op = client.log_batch(
        run_id, _metrics(0), [Param(key="lr", value="0.1")], [RunTag(key="t", value="v")], False
    )
    data = client.get_run(run_id).data
    assert data.params == {"lr": "0.1"} and data.tags["t"] == "v" and data.metrics == {}
    assert op is not None
    op.wait()
    assert client.get_run(run_id).data.metrics["k2"] == 0.2


def test_param_conflict_raises_at_the_call_and_queues_nothing(
    client: TrackingClient, run_id: str
) -> None:
    client.log_param(run_id, "lr", "0.1")
    with pytest.raises(InvalidParameterError, match="lr"):
        client.log_batch(run_id, _metrics(0), [Param(key="lr", value="0.2")], synchronous=False)
    assert BATCHER.pending() == 0
    done = client.log_param(run_id, "depth", 4, synchronous=False)
    tagged = client.set_tag(run_id, "stage", "tune", synchronous=False)
    assert isinstance(done, RunOperations) and isinstance(tagged, RunOperations)
    done.wait()
    data = client.get_run(run_id).data
    assert data.params == {"lr": "0.1", "depth": "4"} and data.tags["stage"] == "tune"


def test_write_to_deleted_run_fails_at_wait(client: TrackingClient, run_id: str) -> None:
    client.delete_run(run_id)
    op = client.log_batch(run_id, metrics=_metrics(0), synchronous=False)  # no read at the call
    assert op is not None
    with pytest.raises(StoreError, match="dropped") as caught:
        op.wait()
    assert isinstance(caught.value.__cause__, InvalidStateError)
    op.wait()  # the failure is reported once
    client.restore_run(run_id)
    assert _steps(client, run_id, "k0") == []  # the points were dropped, not written later


def test_unknown_run_fails_at_the_next_async_call(client: TrackingClient, run_id: str) -> None:
    client.log_metric("0" * 32, "loss", 1.0, synchronous=False)
    BATCHER.flush()  # the background write happens (and fails) without anyone waiting
    with pytest.raises(StoreError) as caught:
        client.log_batch(run_id, metrics=_metrics(1), synchronous=False)
    assert isinstance(caught.value.__cause__, RunNotFound)
    assert BATCHER.pending() == 0  # the call that reported the failure queued nothing
    assert client.log_batch(run_id, metrics=_metrics(1)) is None  # sync calls are unaffected


def test_env_switch_decides_when_synchronous_is_none(
    client: TrackingClient, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.log_batch(run_id, metrics=_metrics(0)) is None  # unset: written at the call
    assert _steps(client, run_id, "k0") == [0]
    monkeypatch.setenv("MLTRACK_ASYNC_LOGGING", "true")
    op = client.log_batch(run_id, metrics=_metrics(1))
    assert isinstance(op, RunOperations) and BATCHER.pending() == 3
    assert client.log_metric(run_id, "x", 1.0) is not None
    assert client.log_batch(run_id, metrics=_metrics(2), synchronous=True) is None
    assert _steps(client, run_id, "k0") == [0, 2]  # the explicit sync write did not wait
    op.wait()
    assert _steps(client, run_id, "k0") == [0, 1, 2]
    monkeypatch.setenv("MLTRACK_ASYNC_LOGGING", "false")
    assert client.log_metric(run_id, "x", 2.0, step=1) is None
    assert client.log_param(run_id, "p", 1) is None and client.set_tag(run_id, "a", 1) is None
    assert [m.value for m in client.get_metric_history(run_id, "x")] == [1.0, 2.0]


def test_sync_path_unchanged(client: TrackingClient, run_id: str) -> None:
    assert client.log_batch(run_id, _metrics(0), [Param(key="p", value="1")]) is None
    assert client.log_batch(run_id, metrics=_metrics(1), synchronous=True) is None
    assert client.log_metric(run_id, "loss", 0.1, synchronous=True) is None
    assert BATCHER.pending() == 0
    assert _steps(client, run_id, "k1") == [0, 1]
    client.delete_run(run_id)
    with pytest.raises(InvalidStateError):  # the store's error, at the call
        client.log_batch(run_id, metrics=_metrics(2), synchronous=True)
