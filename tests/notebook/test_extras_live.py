"""LivePlot: the listener buffers this run's metrics, the figure has them after exit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.notebook import live
from jupyter_mltrack.notebook.live import LivePlot
from jupyter_mltrack.tracking import listeners


@pytest.fixture(autouse=True)
def _store(tmp_path: Path) -> None:
    mlt.set_tracking_uri(tmp_path / "mlruns.db")


def _trace(plot: LivePlot, name: str) -> tuple[list[float], list[float]]:
    assert plot.figure is not None
    trace = next(t for t in plot.figure.data if t.name == name)
    return list(trace.x), list(trace.y)


def test_figure_has_every_logged_point_after_exit() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        for step in range(10):
            mlt.log_metric("loss", 1 / (step + 1), step=step)
            mlt.log_metrics({"acc": step / 10}, step=step)
    x, y = _trace(plot, "loss")
    assert x == list(range(10)) and y == [1 / (s + 1) for s in range(10)]
    assert _trace(plot, "acc")[1] == [s / 10 for s in range(10)]
    assert listeners.LISTENERS == ()


def test_other_runs_and_params_are_ignored() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        mlt.log_param("lr", 0.1)
        with mlt.start_run(nested=True):
            mlt.log_metric("child", 1.0)
        mlt.log_metric("mine", 2.0)
    assert plot.figure is not None
    assert [t.name for t in plot.figure.data] == ["mine"]


def test_metrics_without_steps_are_plotted_by_position() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        for value in (3.0, 2.0, 1.0):
            mlt.log_metric("loss", value)
    assert _trace(plot, "loss") == ([0, 1, 2], [3.0, 2.0, 1.0])


def test_timer_refreshes_while_the_block_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "MIN_INTERVAL", 0.01)
    with mlt.start_run() as run, LivePlot(run.info.run_id, interval=0.01) as plot:
        mlt.log_metric("loss", 1.0, step=1)
        deadline = time.monotonic() + 5
        while plot.figure is not None and not plot.figure.data and time.monotonic() < deadline:
            time.sleep(0.01)
        assert plot.figure is not None and plot.figure.data, "timer never refreshed"


def test_interval_is_at_least_half_a_second() -> None:
    assert LivePlot("r", interval=0.01).interval == 0.5
    assert LivePlot("r", interval=2).interval == 2.0


def test_long_histories_are_thinned_keeping_the_last_point() -> None:
    steps = list(range(12_345))
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        mlt.log_metrics({"m": 0.0}, step=0)
        for step in steps[1:]:
            mlt.log_metric("m", float(step), step=step)
    x, y = _trace(plot, "m")
    assert len(x) <= live.MAX_POINTS + 1
    assert x[0] == 0 and x[-1] == 12_344 and y[-1] == 12_344.0


def test_no_metrics_leaves_no_chart() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        pass
    assert plot.figure is not None and not plot.figure.data


def test_listener_is_removed_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), mlt.start_run() as run, LivePlot(run.info.run_id):
        raise RuntimeError("boom")
    assert listeners.LISTENERS == ()
