"""Pure figure builders: metric histories and parallel coordinates as ``plotly`` figures.

Nothing here touches a store or a widget: the functions take arrays and mappings and return a
``go.Figure``, so tests check the figure dicts without a browser. Numeric arrays are numpy arrays,
which plotly >= 6 sends to the browser as base64 typed arrays (8 bytes a value, not ~20 as text).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from jupyter_mltrack.widgets._downsample import downsample

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from jupyter_mltrack.entities import Metric

__all__ = [
    "MAX_POINTS",
    "PALETTE",
    "History",
    "Series",
    "XAxis",
    "ema",
    "metric_figure",
    "parcoords_figure",
]

XAxis = Literal["step", "timestamp", "relative_time"]
FloatArray = npt.NDArray[np.float64]

MAX_POINTS = 2_000
"""Points kept per trace: enough for a sharp line on a 2,000-pixel-wide screen."""

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
_X_TITLES = {"step": "step", "timestamp": "time", "relative_time": "relative time (s)"}


@dataclass(frozen=True, slots=True)
class Series:
    """One metric of one run, ready to plot: ``x`` and ``y`` in plotting order."""

    run_id: str
    run_label: str
    key: str
    x: FloatArray
    y: FloatArray
    total_points: int = field(default=0)  # before downsampling, for the hover label


@dataclass(frozen=True, slots=True)
class History:
    """A metric history as arrays: ``steps``, ``timestamps`` (epoch ms) and ``values``."""

    steps: FloatArray
    timestamps: FloatArray
    values: FloatArray

    @classmethod
    def from_metrics(cls, history: Sequence[Metric]) -> History:
        """Convert what ``TrackingClient.get_metric_history`` returns."""
        n = len(history)
        return cls(
            np.fromiter((m.step for m in history), dtype=np.float64, count=n),
            np.fromiter((m.timestamp for m in history), dtype=np.float64, count=n),
            np.fromiter((m.value for m in history), dtype=np.float64, count=n),
        )

    def __len__(self) -> int:
        return len(self.values)

    def series(self, run_id: str, run_label: str, key: str, x: XAxis = "step") -> Series:
        """Return the history as a :class:`Series` against the chosen x axis.

        ``x="timestamp"`` gives epoch milliseconds (plotted on a date axis), ``"relative_time"``
        seconds since the first point of this metric.
        """
        if x == "step":  # histories come ordered by step, then timestamp
            return Series(run_id, run_label, key, self.steps, self.values, len(self))
        order = np.argsort(self.timestamps, kind="stable")
        stamps, values = self.timestamps[order], self.values[order]
        if x == "relative_time" and len(stamps):
            stamps = (stamps - stamps[0]) / 1000.0
        return Series(run_id, run_label, key, stamps, values, len(self))


def ema(values: npt.ArrayLike, weight: float) -> FloatArray:
    """Smooth with TensorBoard's debiased exponential moving average.

    ``weight`` in [0, 1): 0 returns the values unchanged. Non-finite values are kept as they are
    and skipped by the average, as TensorBoard does. Vectorised in chunks: within a chunk the
    recurrence is a scaled cumulative sum, short enough that the scale cannot overflow.

    Example:
        >>> ema([1.0, 1.0, 1.0], 0.9).tolist()
        [1.0, 1.0, 1.0]
    """
    ys = np.array(values, dtype=np.float64)
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing must be in [0, 1), got {weight!r}")
    finite = np.isfinite(ys)
    x = ys[finite]
    if weight == 0.0 or len(x) == 0:
        return ys
    chunk = int(min(4096, max(1, 300 / -math.log10(weight))))
    out = np.empty_like(x)
    last = 0.0  # the biased running average carried across chunks
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk]
        i = np.arange(len(part), dtype=np.float64)
        scale = weight ** -(i + 1)  # at most 1e300 by the choice of chunk
        running = weight ** (i + 1) * (last + (1 - weight) * np.cumsum(part * scale))
        out[start : start + chunk] = running
        last = float(running[-1])
    n = np.arange(1, len(x) + 1, dtype=np.float64)
    ys[finite] = out / (1 - weight**n)
    return ys


def metric_figure(
    series: Sequence[Series],
    *,
    keys: Sequence[str] | None = None,
    x: XAxis = "step",
    smoothing: float = 0.0,
    log_y: bool = False,
    max_points: int = MAX_POINTS,
    height_per_metric: int = 280,
) -> go.Figure:
    """Plot metric histories: one subplot per metric, one trace per run and metric.

    Each trace is smoothed (:func:`ema`) on the full series, then downsampled to ``max_points``
    (:func:`~jupyter_mltrack.widgets._downsample.downsample`). A run keeps its colour across
    subplots and appears once in the legend.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    keys = list(keys) if keys is not None else sorted({s.key for s in series})
    rows = max(len(keys), 1)
    fig = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, subplot_titles=keys or None, vertical_spacing=0.08
    )
    colors = _run_colors(s.run_id for s in series)
    shown: set[str] = set()
    for s in series:
        if s.key not in keys:
            continue
        y = ema(s.y, smoothing) if smoothing else s.y
        xs, ys = downsample(s.x, y, max_points)
        trace = go.Scattergl if len(xs) > 5_000 else go.Scatter  # only if max_points is raised
        fig.add_trace(
            trace(
                x=xs,
                y=ys,
                mode="lines+markers" if len(xs) == 1 else "lines",
                name=s.run_label,
                legendgroup=s.run_id,
                showlegend=s.run_id not in shown,
                line={"color": colors[s.run_id], "width": 1.5},
                hovertemplate=f"{s.run_label}<br>{s.key}=%{{y:.6g}}<br>{x}=%{{x}}<extra></extra>",
                meta={"run_id": s.run_id, "key": s.key, "points": s.total_points},
            ),
            row=keys.index(s.key) + 1,
            col=1,
        )
        shown.add(s.run_id)
    fig.update_layout(
        template="plotly_white",
        height=max(height_per_metric * rows, 300),
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.08 if rows > 1 else -0.2},
        uirevision="mltrack",  # keep zoom when live updates replace the data
    )
    if log_y:
        fig.update_yaxes(type="log")
    if x == "timestamp":
        fig.update_xaxes(type="date")  # epoch milliseconds on a date axis
    fig.update_xaxes(title_text=_X_TITLES[x], row=rows, col=1)
    return fig


def _run_colors(run_ids: Iterable[str]) -> dict[str, str]:
    colors: dict[str, str] = {}
    for run_id in run_ids:
        if run_id not in colors:
            colors[run_id] = PALETTE[len(colors) % len(PALETTE)]
    return colors


def _as_number(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def is_categorical(values: Sequence[object]) -> bool:
    """True when some present value is not a finite number (or no value is present)."""
    numbers = [_as_number(v) for v in values if v is not None]
    return not numbers or any(n is None for n in numbers)


def parcoords_dimension(label: str, values: Sequence[object]) -> dict[str, object]:
    """One ``go.Parcoords`` dimension; non-numeric values become ticks of a categorical axis.

    Missing values are drawn at a "∅" tick below the others so every run keeps its line.
    """
    numbers = [_as_number(v) for v in values]
    present = [n for n in numbers if n is not None]
    if not is_categorical(values):
        low, high = min(present), max(present)
        dim: dict[str, object] = {"label": label, "values": numbers}
        if len(present) < len(numbers) or low == high:
            # Own ticks: a "∅" tick below the range for missing values, and no pseudo-range
            # of ticks around a single value.
            missing = low - (high - low or 1.0) * 0.15
            ticks = [low] if low == high else np.linspace(low, high, 5).tolist()
            has_missing = len(present) < len(numbers)
            dim["values"] = [missing if n is None else n for n in numbers]
            dim["tickvals"] = ([missing] if has_missing else []) + ticks
            dim["ticktext"] = (["∅"] if has_missing else []) + [f"{t:.4g}" for t in ticks]
            dim["range"] = [missing if has_missing else low - 1, high if high > low else high + 1]
        return dim
    categories = sorted({str(v) for v in values if v is not None})
    has_missing = any(v is None for v in values)
    ticks = (["∅"] if has_missing else []) + categories
    codes = [ticks.index("∅" if v is None else str(v)) for v in values]
    return {
        "label": label,
        "values": codes,
        "tickvals": list(range(len(ticks))),
        "ticktext": ticks,
        "range": [0, max(len(ticks) - 1, 1)],
    }


def parcoords_figure(
    run_labels: Sequence[str],
    columns: Mapping[str, Sequence[object]],
    *,
    color_by: str | None = None,
) -> go.Figure:
    """Plot a parallel-coordinates chart: one line per run, one axis per column.

    Args:
        run_labels: The runs, in the order of every column's values.
        columns: Axis label (e.g. ``"params.lr"``, ``"metrics.acc"``) -> one value per run
            (None where the run lacks it).
        color_by: The column whose values colour the lines (numeric columns only); defaults to
            the last numeric column.
    """
    import plotly.graph_objects as go

    dims = [parcoords_dimension(label, values) for label, values in columns.items()]
    numeric = [d for d, v in zip(dims, columns.values(), strict=True) if not is_categorical(v)]
    by = next((d for d in dims if d["label"] == color_by), numeric[-1] if numeric else None)
    line: dict[str, object] = {"color": "#1f77b4"}
    if by is not None:
        line = {"color": by["values"], "colorscale": "Viridis", "showscale": True}
        line["colorbar"] = {"title": {"text": str(by["label"])}}
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line, meta={"runs": list(run_labels)}))
    fig.update_layout(
        template="plotly_white", height=380, margin={"l": 80, "r": 80, "t": 60, "b": 30}
    )
    return fig
