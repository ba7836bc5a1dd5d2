"""A live chart of the metrics a tracked cell logs, fed from the logging path (no store polling).

Nothing is shown, built or imported until the cell logs its first metric: a cell that logs none
pays for one listener registration. The logging listener only appends the event tuple to a deque,
so a training loop pays one comparison and one append per metric. A daemon thread, started on the
first metric, drains the deque at most twice a second (less often as the cell runs on) and
refreshes one output in place with ``update_display``.

While the cell runs the output is a small inline SVG (``text/html``): every front end re-renders
an updated HTML output, while JupyterLab's plotly renderer ignores updates to a plotly output it
has drawn. When the cell ends the same output becomes a plotly figure
(``application/vnd.plotly.v1+json``, drawn by the front end's own plotly, with hover and zoom) and
stays in the notebook as a static figure, with the SVG as the fallback for viewers without plotly.
No widget, no comm and no copy of plotly.js: each refresh is a few KB to a few tens of KB.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
import uuid
from collections import deque
from types import TracebackType
from typing import Any

from jupyter_mltrack.notebook.live_figure import Series, plotly_figure, svg_html, text_summary
from jupyter_mltrack.tracking import ListenerHandle, add_logging_listener

__all__ = ["COMPACT_AT", "MAX_INTERVAL", "MIN_INTERVAL", "PLOTLY_MIME", "LivePlot"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: Refreshes are at least this many seconds apart.
MIN_INTERVAL = 0.5
#: ...and, as a long cell runs on, up to this many (a refresh every ~1/30 of the elapsed time).
MAX_INTERVAL = 5.0
#: A series longer than this is reduced to a min/max envelope of a tenth of it (bounded memory).
COMPACT_AT = 200_000
#: The final figure keeps its SVG fallback only while the fallback is this small.
_FALLBACK_BYTES = 20_000


class LivePlot:
    """Show a live chart of ``run_id``'s metrics while the block runs (from the first metric on).

    Example:
        >>> with LivePlot(run.info.run_id):  # doctest: +SKIP
        ...     for step in range(100):
        ...         mlt.log_metric("loss", 1 / (step + 1), step=step)
    """

    def __init__(self, run_id: str, *, interval: float = MIN_INTERVAL) -> None:
        self.run_id = run_id
        self.interval = max(float(interval), MIN_INTERVAL)
        self.display_id = f"mltrack-live-{uuid.uuid4().hex[:12]}"
        self._pending: deque[tuple[Any, ...]] = deque()
        self._series: dict[str, tuple[list[int], list[float]]] = {}
        self._figure: dict[str, Any] | None = None
        self._shown = False
        self._handle: ListenerHandle | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._context: contextvars.Context | None = None
        self._started = 0.0
        #: JSON bytes of each refresh so far, shown or not (for budgets and tests).
        self.sent: list[int] = []

    @property
    def figure(self) -> dict[str, Any] | None:
        """The plotly figure JSON of the last refresh (None until a metric was drawn)."""
        return self._figure

    def __enter__(self) -> LivePlot:
        # The cell's context holds ipykernel's parent header: displays from the timer thread,
        # run inside a copy of it, land in this cell's output, not in whichever cell runs later.
        self._context = contextvars.copy_context()
        self._started = time.monotonic()
        self._stop.clear()
        append, mine, first = self._pending.append, self.run_id, self._on_first_metric

        def listener(run_id: str, kind: str, payload: tuple[Any, ...]) -> None:
            if run_id == mine and kind == "metric":
                append(payload)
                if self._thread is None:
                    first()

        self._handle = add_logging_listener(listener)
        return self

    def _on_first_metric(self) -> None:
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            context = self._context or contextvars.copy_context()
            self._thread = threading.Thread(
                target=context.run, args=(self._loop,), name="mltrack-live-plot", daemon=True
            )
            self._thread.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
        self._wake.set()
        if thread is not None:
            thread.join()
        self.refresh(final=True)

    def _loop(self) -> None:
        self.refresh()  # the first metric: show the chart now, then at most ~2/s
        while not self._stop.is_set():
            elapsed = time.monotonic() - self._started
            self._wake.wait(min(MAX_INTERVAL, max(self.interval, elapsed / 30)))
            if not self._stop.is_set():
                self.refresh()

    def refresh(self, *, final: bool = False) -> None:
        """Move buffered points into the chart and redraw it (the timer calls this; so does exit).

        With ``final``, the output becomes the plotly figure that stays in the notebook.
        """
        with self._lock:
            changed = self._drain()
            if not self._series or not (changed or final):
                return
            series: dict[str, Series] = dict(self._series)
            bundle = _live_bundle(series) if not final else self._final_bundle(series)
            self._publish(bundle)

    def _drain(self) -> bool:
        pending, series = self._pending, self._series
        count = len(pending)
        for _ in range(count):
            key, value, step, _timestamp = pending.popleft()
            if key not in series:
                series[key] = ([], [])
            steps, values = series[key]
            steps.append(step)
            values.append(value)
            if len(values) > COMPACT_AT:
                series[key] = _compact(steps, values)
        return count > 0

    def _final_bundle(self, series: dict[str, Series]) -> dict[str, Any]:
        self._figure = plotly_figure(series)
        bundle: dict[str, Any] = {PLOTLY_MIME: self._figure, "text/plain": text_summary(series)}
        fallback = svg_html(series)
        if len(fallback) <= _FALLBACK_BYTES:
            bundle["text/html"] = fallback
        return bundle

    def _publish(self, bundle: dict[str, Any]) -> None:
        self.sent.append(len(json.dumps(bundle)))
        from IPython import get_ipython

        if get_ipython() is None:
            return
        from IPython.display import display, update_display

        show = update_display if self._shown else display
        show(bundle, raw=True, display_id=self.display_id)  # type: ignore[no-untyped-call]
        self._shown = True


def _live_bundle(series: dict[str, Series]) -> dict[str, Any]:
    return {"text/html": svg_html(series), "text/plain": text_summary(series)}


def _compact(steps: list[int], values: list[float]) -> tuple[list[int], list[float]]:
    from jupyter_mltrack.notebook.live_figure import thin

    x, y = thin(steps, values, COMPACT_AT // 10)
    return [int(v) for v in x], y
