"""LivePlot in-process: the listener buffers the run's metrics; the figure is light and complete."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.notebook import live
from jupyter_mltrack.notebook.live import LivePlot
from jupyter_mltrack.notebook.live_figure import MAX_PANELS, plotly_figure, svg_html
from jupyter_mltrack.tracking import listeners


@pytest.fixture(autouse=True)
def _store(tmp_path: Path) -> None:
    mlt.set_tracking_uri(tmp_path / "mlruns.db")


def _trace(plot: LivePlot, name: str) -> tuple[list[float], list[float]]:
    assert plot.figure is not None
    trace = next(t for t in plot.figure["data"] if t["name"] == name)
    return list(trace["x"]), list(trace["y"])


def test_figure_has_every_logged_point_after_exit() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        for step in range(10):
            mlt.log_metric("loss", 1 / (step + 1), step=step)
            mlt.log_metrics({"acc": step / 10}, step=step)
    x, y = _trace(plot, "loss")
    assert x == list(range(10))
    assert y == pytest.approx([1 / (s + 1) for s in range(10)], rel=1e-5)
    assert _trace(plot, "acc")[1] == pytest.approx([s / 10 for s in range(10)])
    assert listeners.LISTENERS == ()


def test_one_panel_per_metric_with_axis_titles_and_a_legend() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        mlt.log_metrics({"loss": 0.5, "acc": 0.7}, step=1)
    assert plot.figure is not None
    data, layout = plot.figure["data"], plot.figure["layout"]
    assert [(t["xaxis"], t["yaxis"]) for t in data] == [("x", "y"), ("x2", "y2")]
    assert layout["grid"]["pattern"] == "independent"
    assert layout["yaxis"]["title"]["text"] == "loss"
    assert layout["yaxis2"]["title"]["text"] == "acc"
    assert layout["xaxis2"]["title"]["text"] == "step"
    assert layout["showlegend"] is True and all(t["showlegend"] for t in data)


def test_single_line_still_has_a_legend() -> None:
    figure = plotly_figure({"loss": ([0, 1], [1.0, 0.5])})
    assert figure["layout"]["showlegend"] is True
    assert figure["data"][0]["name"] == "loss"


def test_other_runs_and_params_are_ignored() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        mlt.log_param("lr", 0.1)
        with mlt.start_run(nested=True):
            mlt.log_metric("child", 1.0)
        mlt.log_metric("mine", 2.0)
    assert plot.figure is not None
    assert [t["name"] for t in plot.figure["data"]] == ["mine"]


def test_metrics_without_steps_are_plotted_by_position() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        for value in (3.0, 2.0, 1.0):
            mlt.log_metric("loss", value)
    assert _trace(plot, "loss") == ([0, 1, 2], [3.0, 2.0, 1.0])


def test_timer_refreshes_while_the_block_runs() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        mlt.log_metric("loss", 1.0, step=1)
        deadline = time.monotonic() + 5
        while not plot.sent and time.monotonic() < deadline:
            time.sleep(0.01)
        assert plot.sent, "the first metric never reached the chart"
        mlt.log_metric("loss", 0.5, step=2)
        while len(plot.sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(plot.sent) >= 2, "the timer never refreshed"
        assert plot.figure is None, "the plotly figure is built once, when the block ends"
    assert plot.figure is not None


def test_refreshes_are_at_least_half_a_second_apart() -> None:
    assert LivePlot("r", interval=0.01).interval == live.MIN_INTERVAL == 0.5
    assert LivePlot("r", interval=2).interval == 2.0


def test_nothing_logged_shows_nothing_and_starts_no_thread() -> None:
    with mlt.start_run() as run:
        # Counted inside the run: starting a run may start the process's heartbeat thread.
        before = threading.active_count()
        with LivePlot(run.info.run_id) as plot:
            assert threading.active_count() == before
    assert plot.figure is None and plot.sent == []


@pytest.mark.parametrize(("keys", "points"), [(1, 100_000), (3, 10_000), (25, 2_000)])
def test_one_refresh_stays_under_100_kb_whatever_the_history(keys: int, points: int) -> None:
    series = {
        f"metric_{k}": (list(range(points)), [math.sin(i / 50) + k / 3 for i in range(points)])
        for k in range(keys)
    }
    figure = plotly_figure(series)
    assert len(json.dumps(figure)) < 100_000
    assert len(svg_html(series)) < 100_000
    assert len(figure["data"]) == min(keys, MAX_PANELS)
    x, y = figure["data"][0]["x"], figure["data"][0]["y"]
    assert x[0] == 0 and x[-1] == points - 1  # first and last points kept
    assert y[-1] == pytest.approx(math.sin((points - 1) / 50), rel=1e-5)


def test_long_histories_are_thinned_keeping_the_last_point() -> None:
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        for step in range(12_345):
            mlt.log_metric("m", float(step), step=step)
    x, y = _trace(plot, "m")
    assert len(x) <= 1000
    assert x[0] == 0 and x[-1] == 12_344 and y[-1] == 12_344.0
    assert max(plot.sent) < 100_000


def test_non_finite_values_are_gaps() -> None:
    figure = plotly_figure({"loss": ([0, 1, 2], [1.0, float("nan"), float("inf")])})
    assert figure["data"][0]["y"] == [1.0, None, None]
    json.dumps(figure, allow_nan=False)  # valid JSON for the front end


def test_memory_is_bounded_for_very_long_series(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "COMPACT_AT", 1_000)
    with mlt.start_run() as run, LivePlot(run.info.run_id) as plot:
        for step in range(5_000):
            mlt.log_metric("m", float(step), step=step)
    steps, _ = plot._series["m"]
    assert len(steps) <= 1_100 and steps[-1] == 4_999


def test_listener_is_removed_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), mlt.start_run() as run, LivePlot(run.info.run_id):
        raise RuntimeError("boom")
    assert listeners.LISTENERS == ()
