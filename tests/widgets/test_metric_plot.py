"""MetricPlot: figure building (pure), smoothing, the widget's traits, live refresh, errors."""

from __future__ import annotations

import json
import time

import numpy as np
import plotly.graph_objects as go
import pytest

from jupyter_mltrack.entities import Metric
from jupyter_mltrack.widgets._figure_output import PLOTLY_MIME, FigureOutput
from jupyter_mltrack.widgets._figures import History, Series, ema, metric_figure
from jupyter_mltrack.widgets.metric_plot import MetricPlot


def ema_reference(values: list[float], weight: float) -> list[float]:
    """TensorBoard's loop: debiased EMA skipping non-finite values."""
    out, last, n = [], 0.0, 0
    for v in values:
        if not np.isfinite(v):
            out.append(v)
            continue
        last, n = last * weight + (1 - weight) * v, n + 1
        out.append(last / (1 - weight**n))
    return out


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99, 0.999])
def test_ema_matches_tensorboard(weight):
    rng = np.random.default_rng(3)
    values = (rng.normal(size=12_000) * 50).tolist()
    values[10], values[7000] = float("nan"), float("inf")
    ours = ema(values, weight)
    ref = np.array(ema_reference(values, weight))
    finite = np.isfinite(ref)
    assert np.array_equal(np.isfinite(ours), finite)
    assert np.allclose(ours[finite], ref[finite], rtol=1e-9, atol=1e-9)


def test_ema_rejects_a_weight_of_one():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ema([1.0], 1.0)


def _history(n: int, start_ms: int = 1_000_000) -> History:
    return History.from_metrics(
        [
            Metric(key="loss", value=1.0 / (i + 1), timestamp=start_ms + 100 * i, step=i)
            for i in range(n)
        ]
    )


def test_history_series_for_each_x_axis():
    history = _history(5, start_ms=2_000)
    assert history.series("r", "run", "loss", "step").x.tolist() == [0, 1, 2, 3, 4]
    assert history.series("r", "run", "loss", "timestamp").x.tolist()[:2] == [2_000, 2_100]
    assert history.series("r", "run", "loss", "relative_time").x.tolist()[-1] == pytest.approx(0.4)


def test_metric_figure_has_one_trace_per_run_and_metric_in_its_subplot():
    history = _history(10)
    series = [
        history.series(run, run.upper(), key) for run in ("a", "b") for key in ("acc", "loss")
    ]
    fig = metric_figure(series, keys=["acc", "loss"], log_y=True)
    go.Figure(fig)  # a valid plotly figure: plotly's validators accept every property
    traces = fig["data"]
    assert [(t["name"], t["meta"]["key"]) for t in traces] == [
        ("A", "acc"), ("A", "loss"), ("B", "acc"), ("B", "loss"),
    ]  # fmt: skip
    assert [t["yaxis"] for t in traces] == ["y", "y2", "y", "y2"]
    assert [t["showlegend"] for t in traces] == [True, False, True, False]
    assert traces[0]["line"]["color"] == traces[1]["line"]["color"] != traces[2]["line"]["color"]
    assert fig["layout"]["yaxis"]["type"] == fig["layout"]["yaxis2"]["type"] == "log"
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["acc", "loss"]


def test_metric_figure_date_axis_for_timestamps():
    fig = metric_figure([_history(3).series("a", "A", "loss", "timestamp")], x="timestamp")
    assert fig["layout"]["xaxis"]["type"] == "date"
    assert fig["layout"]["xaxis"]["title"]["text"] == "time"


def test_smoothing_changes_the_values_but_keeps_the_ends_sane():
    s = Series("a", "A", "loss", np.arange(100.0), np.where(np.arange(100) % 2, 1.0, 0.0))
    raw = metric_figure([s])["data"][0]["y"]
    smooth = metric_figure([s], smoothing=0.9)["data"][0]["y"]
    assert np.ptp(np.asarray(smooth)[20:]) < np.ptp(np.asarray(raw)[20:])


def test_twenty_runs_of_100k_points_make_a_small_figure():
    # Speed is measured by benchmarks/ (widget_metric_plot), not here.
    rng = np.random.default_rng(0)
    x = np.arange(100_000, dtype=float)
    series = [
        Series(f"r{i}", f"run {i}", "loss", x, np.cumsum(rng.normal(size=100_000)), 100_000)
        for i in range(20)
    ]
    out = FigureOutput()
    sent = out.show(metric_figure(series, smoothing=0.6))
    assert len(out.figure.data) == 20
    assert all(len(t.x) <= 2_000 for t in out.figure.data)
    assert all(t.meta["points"] == 100_000 for t in out.figure.data)
    assert sent <= 5_000_000
    payload = out.outputs[0]["data"][PLOTLY_MIME]
    assert len(json.dumps(payload)) == pytest.approx(sent, rel=0.05)


def test_long_histories_arrive_reduced_by_the_store(empty_store):
    client = empty_store
    run_ids, spikes = [], []
    for r in range(2):
        run_id = client.create_run("0", run_name=f"long-{r}").info.run_id
        values = np.cos(np.arange(12_000) / 500.0) + r
        values[3_000 + r] = 50.0 + r  # a one-point spike the store's envelope must keep
        metrics = [
            Metric(key="loss", value=float(v), timestamp=i, step=i) for i, v in enumerate(values)
        ]
        client.log_batch(run_id, metrics=metrics)
        run_ids.append(run_id)
        spikes.append(50.0 + r)
    plot = MetricPlot(run_ids, keys=["loss"], max_points=200, client=client)
    assert plot.notice.kind is None
    for run_id, spike in zip(run_ids, spikes, strict=True):
        history = plot.histories[(run_id, "loss")]
        assert 200 < len(history) <= 4 * 200  # the envelope, not 12,000 points
        assert history.values.max() == spike
        assert history.steps[0] == 0 and history.steps[-1] == 11_999
        assert plot.total_points[(run_id, "loss")] == 12_000
    traces = plot.output.figure.data
    assert len(traces) == 2 and all(len(t.x) <= 200 for t in traces)
    assert all(t.meta["points"] == 12_000 for t in traces)
    assert 0 < plot.sent_bytes < 100_000


# -- the widget, on the seeded store ---------------------------------------------------------------
def test_plot_of_two_runs_shows_every_metric(seeded):
    ids = [seeded.runs["rf-1"], seeded.runs["gbm-1"]]
    plot = MetricPlot(ids, client=seeded.client)
    assert "mltrack-metric-plot" in plot._dom_classes
    assert plot.notice.kind is None
    traces = plot.output.figure.data
    assert sorted((t.name, t.meta["key"]) for t in traces) == [
        ("gbm-1", "acc"), ("gbm-1", "loss"), ("rf-1", "acc"), ("rf-1", "loss"),
    ]  # fmt: skip
    acc = next(t for t in traces if t.name == "rf-1" and t.meta["key"] == "acc")
    assert list(acc.x) == list(range(10))
    assert acc.y[-1] == pytest.approx(0.8)
    assert plot.output.outputs[0]["data"][PLOTLY_MIME]["data"]
    assert 0 < plot.sent_bytes < 100_000


def test_keys_and_options_rerender_from_memory(seeded):
    plot = MetricPlot([seeded.runs["rf-1"]], keys=["loss"], client=seeded.client)
    assert [t.meta["key"] for t in plot.output.figure.data] == ["loss"]
    before = plot.output.figure
    plot.x_toggle.value = "relative_time"
    assert plot.x == "relative_time"
    assert plot.output.figure is not before
    assert plot.output.figure.data[0].x[-1] == pytest.approx(0.09)  # 10 ms apart, 10 points
    plot.log_y = True
    assert plot.output.figure.layout.yaxis.type == "log"
    plot.smoothing_slider.value = 0.5
    assert plot.output.figure.data[0].y[-1] != pytest.approx(0.4)


def test_invalid_options_are_refused(seeded):
    import traitlets

    plot = MetricPlot([seeded.runs["rf-1"]], client=seeded.client)
    with pytest.raises(traitlets.TraitError, match="smoothing"):
        plot.smoothing = 1.0
    with pytest.raises(traitlets.TraitError, match="relative_time"):
        plot.x = "epoch"


def test_unknown_runs_and_empty_inputs_show_messages(seeded):
    plot = MetricPlot([seeded.runs["rf-1"], "0" * 32], client=seeded.client)
    assert plot.notice.kind == "error" and "0" * 32 in plot.notice.message
    assert len(plot.output.figure.data) == 2  # the known run is still plotted
    empty = MetricPlot([], client=seeded.client)
    assert empty.notice.kind == "info" and "pass one or more run ids" in empty.notice.message
    no_metrics = MetricPlot([seeded.runs["failed-1"]], client=seeded.client)
    assert no_metrics.notice.kind == "info" and "No metric history" in no_metrics.notice.message


def test_unreachable_store_shows_a_message(closed_port_uri):
    plot = MetricPlot(["a" * 32], tracking_uri=closed_port_uri)
    assert plot.notice.kind == "error"
    assert "Cannot reach the tracking store" in plot.notice.message


def _wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_live_plot_follows_a_running_run_until_it_finishes(seeded):
    run_id = seeded.runs["live-1"]
    plot = MetricPlot([run_id], live=True, interval=0.05, client=seeded.client)
    try:
        assert plot.live
        seeded.client.log_metric(run_id, "loss", 0.123, step=99)
        _wait_for(lambda: plot.output.figure.data[0].x[-1] == 99)
        assert plot.output.figure.data[0].y[-1] == pytest.approx(0.123)
        seeded.client.set_terminated(run_id)
        _wait_for(lambda: not plot.live)
    finally:
        plot.close()


def test_live_is_not_started_for_finished_runs_and_close_stops_it(seeded):
    finished = MetricPlot([seeded.runs["rf-1"]], live=True, client=seeded.client)
    assert not finished.live
    running = MetricPlot([seeded.runs["live-1"]], live=True, interval=0.05, client=seeded.client)
    assert running.live
    running.close()
    assert not running.live
