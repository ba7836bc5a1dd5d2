"""Pure figure builders: metric histories and per-run bars as plotly figure dicts.

Nothing here touches a store or a widget: the functions take arrays and mappings and return a
plotly figure as a dict (``data``, ``layout``; see ``_figure_output`` for why not a ``go.Figure``),
so tests check the figure dicts without a browser. Numeric arrays are numpy arrays,
which plotly >= 6 sends to the browser as base64 typed arrays (8 bytes a value, not ~20 as text).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from jupyter_mltrack.widgets._downsample import downsample

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Metric

__all__ = [
    "MAX_POINTS",
    "PALETTE",
    "History",
    "Series",
    "XAxis",
    "bar_figure",
    "base_layout",
    "ema",
    "metric_figure",
    "plotly_template",
    "run_colors",
    "subplot_layout",
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


def base_layout(**layout: Any) -> dict[str, Any]:
    """A figure layout on the package's plotly template, updated with ``layout``.

    The template is a plain dict (see ``_figure_output`` for why not a named plotly template):
    the theme module's when it offers one, else transparent backgrounds and mid-grey text and
    grid lines, which read on JupyterLab's light and dark themes alike.
    """
    return {"template": plotly_template(), **layout}


def plotly_template() -> dict[str, Any]:
    """The plotly template (a dict) the package's figures use."""
    try:
        theme = importlib.import_module("jupyter_mltrack.widgets._theme")
    except ImportError:  # the theme module is optional: fall back on the neutral template
        return _NEUTRAL_TEMPLATE
    make = getattr(theme, "plotly_template", None)
    if callable(make):
        found = make()
        if isinstance(found, dict):
            return found
    return _NEUTRAL_TEMPLATE


_GRID = "rgba(128,128,128,0.25)"
_NEUTRAL_TEMPLATE: dict[str, Any] = {
    "layout": {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": "#888888"},
        "colorway": list(PALETTE),
        "xaxis": {"gridcolor": _GRID, "zerolinecolor": _GRID, "linecolor": _GRID},
        "yaxis": {"gridcolor": _GRID, "zerolinecolor": _GRID, "linecolor": _GRID},
        "hoverlabel": {"align": "left"},
    }
}


def _axis_name(kind: str, row: int) -> str:
    """``x``, ``x2``, ... as traces name their axes (layout keys are ``xaxis``, ``xaxis2``)."""
    return kind if row == 1 else f"{kind}{row}"


def subplot_layout(titles: Sequence[str], *, spacing: float = 0.08) -> dict[str, Any]:
    """Axes and title annotations of ``len(titles)`` stacked subplots sharing the x axis."""
    rows = max(len(titles), 1)
    height = (1.0 - spacing * (rows - 1)) / rows
    layout: dict[str, Any] = {"annotations": []}
    for row in range(1, rows + 1):
        top = 1.0 - (row - 1) * (height + spacing)
        x, y = _axis_name("x", row), _axis_name("y", row)
        xaxis: dict[str, Any] = {"anchor": y, "domain": [0.0, 1.0]}
        if row > 1:
            xaxis["matches"] = "x"
        if row < rows:
            xaxis["showticklabels"] = False
        layout[f"xaxis{row if row > 1 else ''}"] = xaxis
        domain = [max(round(top - height, 6), 0.0), min(round(top, 6), 1.0)]
        layout[f"yaxis{row if row > 1 else ''}"] = {"anchor": x, "domain": domain}
        if row <= len(titles):
            layout["annotations"].append(
                {
                    "text": titles[row - 1],
                    "x": 0.5,
                    "y": top,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 14},
                }
            )
    return layout


def metric_figure(
    series: Sequence[Series],
    *,
    keys: Sequence[str] | None = None,
    x: XAxis = "step",
    smoothing: float = 0.0,
    log_y: bool = False,
    max_points: int = MAX_POINTS,
    height_per_metric: int = 280,
) -> dict[str, Any]:
    """Plot metric histories: one subplot per metric, one trace per run and metric.

    Each trace is smoothed (:func:`ema`) on the full series, then downsampled to ``max_points``
    (:func:`~jupyter_mltrack.widgets._downsample.downsample`). A run keeps its colour across
    subplots and appears once in the legend. Returns a plotly figure dict (``data``, ``layout``).
    """
    keys = list(keys) if keys is not None else sorted({s.key for s in series})
    rows = max(len(keys), 1)
    colors = run_colors(s.run_id for s in series)
    shown: set[str] = set()
    data: list[dict[str, Any]] = []
    for s in series:
        if s.key not in keys:
            continue
        y = ema(s.y, smoothing) if smoothing else s.y
        xs, ys = downsample(s.x, y, max_points)
        row = keys.index(s.key) + 1
        data.append(
            {
                "type": "scattergl" if len(xs) > 5_000 else "scatter",  # only if max_points rises
                "x": xs,
                "y": ys,
                "xaxis": _axis_name("x", row),
                "yaxis": _axis_name("y", row),
                "mode": "lines+markers" if len(xs) == 1 else "lines",
                "name": s.run_label,
                "legendgroup": s.run_id,
                "showlegend": s.run_id not in shown,
                "line": {"color": colors[s.run_id], "width": 1.5},
                "hovertemplate": f"{s.run_label}<br>{s.key}=%{{y:.6g}}<br>{x}=%{{x}}"
                "<extra></extra>",
                "meta": {"run_id": s.run_id, "key": s.key, "points": s.total_points},
            }
        )
        shown.add(s.run_id)
    layout = base_layout(
        height=max(height_per_metric * rows, 300),
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.08 if rows > 1 else -0.2},
        uirevision="mltrack",  # keep zoom when live updates replace the data
        **subplot_layout(keys),
    )
    for row in range(1, rows + 1):
        suffix = row if row > 1 else ""
        if log_y:
            layout[f"yaxis{suffix}"]["type"] = "log"
        if x == "timestamp":
            layout[f"xaxis{suffix}"]["type"] = "date"  # epoch milliseconds on a date axis
    layout[f"xaxis{rows if rows > 1 else ''}"]["title"] = {"text": _X_TITLES[x]}
    return {"data": data, "layout": layout}


def bar_figure(
    run_ids: Sequence[str], run_labels: Sequence[str], key: str, values: Sequence[float | None]
) -> dict[str, Any]:
    """Plot one value per run as bars (a metric logged once per run has no history to draw)."""
    colors = run_colors(run_ids)
    shown = [
        (i, lab, v) for i, lab, v in zip(run_ids, run_labels, values, strict=True) if v is not None
    ]
    trace = {
        "type": "bar",
        "x": [label for _i, label, _v in shown],
        "y": [v for _i, _l, v in shown],
        "marker": {"color": [colors[i] for i, _l, _v in shown]},
        "text": [f"{v:.4g}" for _i, _l, v in shown],
        "textposition": "auto",
        "hovertemplate": f"%{{x}}<br>{key}=%{{y:.6g}}<extra></extra>",
        "meta": {"key": key},
    }
    layout = base_layout(
        height=320,
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        title={"text": f"{key} (one value per run)", "font": {"size": 14}},
        yaxis={"title": {"text": key}},
        showlegend=False,
    )
    return {"data": [trace], "layout": layout}


def run_colors(run_ids: Iterable[str]) -> dict[str, str]:
    colors: dict[str, str] = {}
    for run_id in run_ids:
        if run_id not in colors:
            colors[run_id] = PALETTE[len(colors) % len(PALETTE)]
    return colors
