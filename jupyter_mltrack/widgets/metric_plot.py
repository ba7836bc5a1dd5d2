"""MetricPlot: metric histories of several runs as plotly lines, optionally refreshed live."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import ipywidgets
import traitlets

from jupyter_mltrack.entities import Run, RunStatus
from jupyter_mltrack.errors import RunNotFound
from jupyter_mltrack.widgets._base import TrackedWidget
from jupyter_mltrack.widgets._figure_output import FigureOutput
from jupyter_mltrack.widgets._figures import MAX_POINTS, History, Series, XAxis, metric_figure
from jupyter_mltrack.widgets._labels import run_labels

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["FETCH_FACTOR", "MetricPlot", "fetch_history"]

_X_CHOICES = (("step", "step"), ("time", "timestamp"), ("relative", "relative_time"))
#: Points fetched per plotted point: the store reduces each history to a min/max envelope of
#: ``FETCH_FACTOR * max_points`` points, and LTTB picks the plotted ones from that.
FETCH_FACTOR = 4
#: Histories fetched at once: the database works on several while Python waits (SQLite
#: releases the GIL while it aggregates; server stores and REST overlap their round trips).
FETCH_THREADS = 4


def fetch_history(
    tracking: TrackingClient, run_id: str, key: str, max_points: int = MAX_POINTS
) -> tuple[History, int]:
    """Fetch a history for a plot of ``max_points`` per line: ``(history, points in the store)``.

    The history is the store's min/max envelope of ``FETCH_FACTOR * max_points`` points when
    the series is longer, so LTTB still has points to choose from.
    """
    import numpy as np

    arrays = tracking.get_metric_history_arrays(run_id, key, max_points=FETCH_FACTOR * max_points)
    history = History(
        arrays.steps.astype(np.float64), arrays.timestamps.astype(np.float64), arrays.values
    )
    return history, arrays.total_points


class MetricPlot(TrackedWidget):
    """Plot the metric histories of runs: one subplot per metric, one line per run.

    Histories are fetched once per refresh and kept; changing ``x``, ``smoothing`` or ``log_y``
    (traits, also bound to the toolbar controls) re-renders from memory. The store returns each
    history as numpy arrays, reduced to a min/max envelope of ``4 * max_points`` points when it
    is longer (in the database for SQL stores, so 100,000-point histories never cross into
    Python whole); each line is then smoothed and downsampled to ``max_points`` with LTTB, so
    long histories stay light in the browser. Smoothing therefore acts on the envelope of very
    long series, as TensorBoard's smoothing acts on its sampled points.

    Args:
        run_ids: The runs to plot (one id or several).
        keys: The metrics to plot; default every metric the runs have.
        x: ``"step"``, ``"timestamp"`` (wall-clock time) or ``"relative_time"`` (seconds since
            the run's first point of that metric).
        smoothing: TensorBoard-style exponential moving average weight in [0, 1).
        log_y: Use a logarithmic y axis.
        live: While any of the runs is RUNNING, refetch its histories every ``interval`` seconds
            and redraw; stops by itself when they finish, on :meth:`stop_live` or :meth:`close`.
        max_points: Points kept per line after downsampling.
        interval: Seconds between live refreshes.
        client, tracking_uri, registry: Where to read from (default: the current tracking URI).

    Example:
        >>> MetricPlot([run_a, run_b], keys=["loss"], smoothing=0.6)  # doctest: +SKIP
    """

    css_name = "metric-plot"
    x = traitlets.Unicode("step", help="x axis: step, timestamp or relative_time")
    smoothing = traitlets.Float(0.0, help="EMA weight in [0, 1)")
    log_y = traitlets.Bool(False, help="logarithmic y axis")

    def __init__(
        self,
        run_ids: Sequence[str] | str,
        keys: Sequence[str] | None = None,
        *,
        x: XAxis = "step",
        smoothing: float = 0.0,
        log_y: bool = False,
        live: bool = False,
        max_points: int = MAX_POINTS,
        interval: float = 2.0,
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
    ) -> None:
        super().__init__(client=client, tracking_uri=tracking_uri, registry=registry)
        self.run_ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        self.metric_keys = list(keys) if keys is not None else None
        self.max_points, self.interval = max_points, interval
        self.runs: dict[str, Run] = {}
        self.histories: dict[tuple[str, str], History] = {}
        #: Points each history has in the store (``histories`` may hold an envelope of them).
        self.total_points: dict[tuple[str, str], int] = {}
        self.timings: dict[str, float] = {}
        self.output = FigureOutput()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._controls(x, smoothing, log_y)
        self.body.children = [self.output]
        self.refresh()
        if live:
            self.start_live()

    def _controls(self, x: XAxis, smoothing: float, log_y: bool) -> None:
        x_toggle = ipywidgets.ToggleButtons(
            options=_X_CHOICES, value=x, style={"button_width": "70px"}
        )
        slider = ipywidgets.FloatSlider(
            value=smoothing,
            min=0.0,
            max=0.99,
            step=0.01,
            description="smoothing",
            continuous_update=False,  # one redraw per drag, not one per pixel
        )
        log_box = ipywidgets.Checkbox(value=log_y, description="log y", indent=False)
        for control, name in ((x_toggle, "x"), (slider, "smoothing"), (log_box, "log_y")):
            traitlets.link((control, "value"), (self, name))
        self.x_toggle, self.smoothing_slider, self.log_checkbox = x_toggle, slider, log_box
        self.toolbar.children = [*self.toolbar.children, x_toggle, slider, log_box]

    @traitlets.validate("smoothing")
    def _valid_smoothing(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not 0.0 <= value < 1.0:
            raise traitlets.TraitError(f"smoothing must be in [0, 1), got {value}")
        return value

    @traitlets.validate("x")
    def _valid_x(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in {v for _, v in _X_CHOICES}:
            raise traitlets.TraitError(
                f"x must be 'step', 'timestamp' or 'relative_time', got {proposal['value']!r}"
            )
        return str(proposal["value"])

    @traitlets.observe("x", "smoothing", "log_y")
    def _options_changed(self, _change: dict[str, Any]) -> None:
        if self.histories:
            with self.report("draw the plot"):
                self.render()

    # -- data -----------------------------------------------------------------------------------
    def _build(self) -> None:
        if not self.run_ids:
            self.output.clear()
            self.notice.info("No runs to plot: pass one or more run ids.")
            return
        started = time.perf_counter()
        runs, missing = {}, []
        for run_id in self.run_ids:
            try:
                runs[run_id] = self.tracking.get_run(run_id)
            except RunNotFound:
                missing.append(run_id)
        fetched = self._fetch_all(
            (run_id, key) for run_id, run in runs.items() for key in self._keys_of(run)
        )
        histories = {k: history for k, (history, _) in fetched.items()}
        with self._lock:
            self.runs, self.histories = runs, histories
            self.total_points = {k: total for k, (_, total) in fetched.items()}
        self.timings["fetch"] = time.perf_counter() - started
        self.render()
        if missing:
            self.notice.error(f"Unknown run id(s): {', '.join(missing)}")
        elif not histories:
            self.notice.info("No metric history to plot yet for these runs.")

    def _keys_of(self, run: Run) -> list[str]:
        logged = run.data.metrics
        return (
            [k for k in self.metric_keys if k in logged]
            if self.metric_keys is not None
            else sorted(logged)
        )

    def _fetch_all(
        self, series: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[History, int]]:
        """Fetch ``(run_id, key)`` histories, several at a time; the first error propagates."""
        # There is no "since step" read, so live refreshes refetch the (reduced) history whole.
        wanted = list(series)

        def fetch(item: tuple[str, str]) -> tuple[History, int]:
            return fetch_history(self.tracking, item[0], item[1], self.max_points)

        if len(wanted) < 2:
            return {item: fetch(item) for item in wanted}
        with ThreadPoolExecutor(min(FETCH_THREADS, len(wanted))) as pool:
            return dict(zip(wanted, pool.map(fetch, wanted), strict=True))

    def series(self) -> list[Series]:
        """The plotted series (before smoothing and LTTB), in run then key order.

        Histories longer than ``4 * max_points`` are the store's min/max envelope of the series;
        each Series' ``total_points`` still counts every stored point.
        """
        with self._lock:
            labels = run_labels(self.runs.values())
            return [
                dataclasses.replace(
                    history.series(run_id, labels[run_id], key, self.x),  # type: ignore[arg-type]
                    total_points=self.total_points.get((run_id, key), len(history)),
                )
                for (run_id, key), history in self.histories.items()
            ]

    def figure(self) -> dict[str, Any]:
        """Build the plotly figure dict for the current histories and options (no display).

        ``go.Figure(plot.figure())`` makes it a plotly figure; the widget shows the dict as is.
        """
        keys = (
            self.metric_keys
            if self.metric_keys is not None
            else sorted({k for _, k in self.histories})
        )
        return metric_figure(
            self.series(),
            keys=keys,
            x=self.x,  # type: ignore[arg-type]
            smoothing=self.smoothing,
            log_y=self.log_y,
            max_points=self.max_points,
        )

    def render(self) -> None:
        """Redraw from the fetched histories; records ``timings["render"]`` and the bytes sent."""
        started = time.perf_counter()
        with self._lock:
            self.output.show(self.figure())
        self.timings["render"] = time.perf_counter() - started

    @property
    def sent_bytes(self) -> int:
        """Size of the last figure's JSON, as sent to the browser."""
        return self.output.sent_bytes

    # -- live -----------------------------------------------------------------------------------
    def running_run_ids(self) -> list[str]:
        """The plotted runs whose status was RUNNING at the last fetch."""
        return [rid for rid, run in self.runs.items() if run.info.status is RunStatus.RUNNING]

    @property
    def live(self) -> bool:
        """True while the live refresh thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start_live(self) -> None:
        """Refresh running runs every ``interval`` seconds until they finish."""
        if self.live or not self.running_run_ids():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._live_loop, name="mltrack-live", daemon=True)
        self._thread.start()

    def stop_live(self, timeout: float | None = 5.0) -> None:
        """Stop live refreshing (waits up to ``timeout`` seconds for the thread)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _live_loop(self) -> None:
        while not self._stop.wait(self.interval):
            with self.report("refresh the live plot"):
                if not self._live_step():
                    return

    def _live_step(self) -> bool:
        """Refetch the running runs; return whether any is still running."""
        running = self.running_run_ids()
        updated = {rid: self.tracking.get_run(rid) for rid in running}
        fresh = self._fetch_all(
            (rid, key) for rid, run in updated.items() for key in self._keys_of(run)
        )
        with self._lock:
            self.runs.update(updated)
            self.histories.update({k: history for k, (history, _) in fresh.items()})
            self.total_points.update({k: total for k, (_, total) in fresh.items()})
            self.render()
        return bool(self.running_run_ids())

    def close(self) -> None:
        """Stop live refreshing and close the widget."""
        if hasattr(self, "_stop"):  # __init__ may have failed before creating it
            self.stop_live(timeout=1.0)
        super().close()
