"""Pending metrics written in the same transaction as the next param or tag write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.tracking import fluent
from jupyter_mltrack.tracking.batching import BATCHER


@pytest.fixture(autouse=True)
def tracking_uri(tmp_path: Path) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path}/t.db"
    mlt.set_tracking_uri(uri)
    yield uri
    fluent._reset()


def _history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in TrackingClient().get_metric_history(run_id, key)]


def test_tags_carry_the_pending_metrics_in_one_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BATCHER, "interval", 60.0)  # the writer thread must not beat us to it
    with mlt.start_run() as run:
        mlt.log_metrics({"a": 1.0, "b": 2.0}, step=3)
        assert BATCHER.pending() == 2
        before = _write_count(run.store)
        mlt.set_tags({"stage": "x"})
        assert _write_count(run.store) == before + 1
        assert BATCHER.pending() == 0
        assert _history(run.info.run_id, "a") == [(3, 1.0)]
        assert _history(run.info.run_id, "b") == [(3, 2.0)]
        assert TrackingClient().get_run(run.info.run_id).data.tags["stage"] == "x"


def test_a_refused_param_does_not_take_the_pending_metrics_down() -> None:
    with mlt.start_run() as run:
        run_id = run.info.run_id
        TrackingClient().log_param(run_id, "p", "2")  # as another process would
        mlt.log_metric("m", 0.5, step=7)
        with pytest.raises(InvalidParameterError, match="'p'"):
            mlt.log_param("p", 1)
        assert BATCHER.pending() == 0
        assert _history(run_id, "m") == [(7, 0.5)]
        assert TrackingClient().get_run(run_id).data.params == {"p": "2"}


def test_points_of_another_run_are_written_first_on_their_own() -> None:
    client = TrackingClient()
    other = client.create_run(client.create_experiment("other")).info.run_id
    with mlt.start_run() as run:
        BATCHER.add(run.store, other, "o", 1.5, 1, 2)
        mlt.log_metric("m", 2.5, step=1)
        mlt.log_param("p", 1)
        assert BATCHER.pending() == 0
        assert _history(other, "o") == [(2, 1.5)]
        assert _history(run.info.run_id, "m") == [(1, 2.5)]


def _write_count(store: object) -> int:
    """Write transactions the store began so far (counted through its ``_write``)."""
    return int(getattr(store, "_test_writes", 0))


@pytest.fixture(autouse=True)
def count_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import contextmanager

    from jupyter_mltrack.store.sql._base import SqlBase

    real = SqlBase._write

    @contextmanager
    def counted(self: SqlBase) -> Iterator[object]:
        self._test_writes = getattr(self, "_test_writes", 0) + 1  # type: ignore[attr-defined]
        with real(self) as conn:
            yield conn

    monkeypatch.setattr(SqlBase, "_write", counted)
