"""A live plotly chart of the metrics a run logs, fed from the logging path (no store polling).

The logging listener only appends the event tuple to a deque, so a training loop pays one
comparison and one append per metric. A daemon thread drains the deque at most twice a second and
updates a plotly ``FigureWidget`` (one line per metric) inside ``batch_update()``, so each refresh
is one widget message.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import MissingDependencyError
from jupyter_mltrack.tracking import ListenerHandle, add_logging_listener

if TYPE_CHECKING:
    from plotly.graph_objects import FigureWidget

__all__ = ["MAX_POINTS", "MIN_INTERVAL", "LivePlot"]

#: Refreshes are at least this many seconds apart.
MIN_INTERVAL = 0.5
#: Points drawn per trace; longer histories are thinned evenly (the last point is always kept).
MAX_POINTS = 5000


class LivePlot:
    """Show a live line chart of ``run_id``'s metrics while the block runs.

    Example:
        >>> with LivePlot(run.info.run_id):  # doctest: +SKIP
        ...     for step in range(100):
        ...         mlt.log_metric("loss", 1 / (step + 1), step=step)
    """

    def __init__(self, run_id: str, *, interval: float = MIN_INTERVAL) -> None:
        self.run_id = run_id
        self.interval = max(float(interval), MIN_INTERVAL)
        self._pending: deque[tuple[Any, ...]] = deque()
        self._steps: dict[str, list[int]] = {}
        self._values: dict[str, list[float]] = {}
        self._figure: FigureWidget | None = None
        self._handle: ListenerHandle | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def figure(self) -> FigureWidget | None:
        """The widget (None outside the ``with`` block before it is entered)."""
        return self._figure

    def __enter__(self) -> LivePlot:
        # Created and displayed here, on the cell's thread, so the widget lands in this cell's
        # output; the timer thread only changes its traces.
        self._figure = _new_figure()
        append, mine = self._pending.append, self.run_id

        def listener(run_id: str, kind: str, payload: tuple[Any, ...]) -> None:
            if run_id == mine and kind == "metric":
                append(payload)

        self._handle = add_logging_listener(listener)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="mltrack-live-plot", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.refresh()
        if self._figure is not None and not self._figure.data:
            self._figure.close()  # nothing was logged: leave no empty chart behind

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.refresh()

    def refresh(self) -> None:
        """Move buffered points into the chart (called by the timer and on exit)."""
        with self._lock:
            changed = self._drain()
            if changed:
                self._draw(changed)

    def _drain(self) -> set[str]:
        pending, changed = self._pending, set()
        for _ in range(len(pending)):
            key, value, step, _timestamp = pending.popleft()
            if key not in self._values:
                self._steps[key], self._values[key] = [], []
            self._steps[key].append(step)
            self._values[key].append(value)
            changed.add(key)
        return changed

    def _draw(self, changed: set[str]) -> None:
        figure = self._figure
        if figure is None:
            return
        traces = {trace.name: trace for trace in figure.data}
        with figure.batch_update():
            for key in sorted(changed):
                x, y = _thin(_x_values(self._steps[key]), self._values[key])
                if key in traces:
                    traces[key].x, traces[key].y = x, y
                else:
                    figure.add_scatter(x=x, y=y, name=key, mode="lines")


def _x_values(steps: list[int]) -> list[int]:
    # Metrics logged without a step all have step 0: plot them against their position instead.
    return steps if any(steps) else list(range(len(steps)))


def _thin(x: list[int], y: list[float]) -> tuple[list[int], list[float]]:
    if len(x) <= MAX_POINTS:
        return list(x), list(y)
    stride = -(-len(x) // MAX_POINTS)
    keep = [*range(0, len(x) - 1, stride), len(x) - 1]
    return [x[i] for i in keep], [y[i] for i in keep]


def _new_figure() -> FigureWidget:
    try:
        import plotly.graph_objects as go
    except ImportError as exc:
        raise MissingDependencyError("plotly", extra="notebook", feature="live plots") from exc
    figure = go.FigureWidget()
    figure.update_layout(height=300, margin={"l": 40, "r": 10, "t": 30, "b": 30})
    _show(figure)
    return figure


def _show(widget: object) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is not None:
        display(widget)  # type: ignore[no-untyped-call]
