"""What the live plot draws: a plotly figure as plain JSON, an inline SVG, and a text line.

Nothing here imports plotly: the figure is the JSON of ``application/vnd.plotly.v1+json``, drawn by
the front end's own plotly renderer (JupyterLab, Notebook 7, VS Code, Voila), so no copy of
plotly.js travels with a cell. Each metric gets a small panel of its own (values of different
scales never squash each other) with axis titles and a legend entry, and every series is thinned
(LTTB, or min/max when it holds NaN/inf) so one figure stays well under 100 KB whatever the
history length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

__all__ = [
    "FIGURE_POINTS",
    "MAX_PANELS",
    "SVG_POINTS",
    "Series",
    "plotly_figure",
    "svg_html",
    "text_summary",
    "thin",
]

#: A series is its steps (x) and values (y), in logging order.
Series = tuple[Sequence[int], Sequence[float]]

#: Points drawn per series in the plotly figure (split between series, at least 200 each).
FIGURE_POINTS = 3000
_SERIES_POINTS = (200, 1000)
#: Points per series in the SVG: about one per horizontal pixel of a panel.
SVG_POINTS = 240
#: Panels drawn; later metrics are named in the title instead.
MAX_PANELS = 12
_COLUMNS = 3
# plotly's default colour sequence, so the live plot and the widgets agree.
_PALETTE = (
    "#636efa",
    "#EF553B",
    "#00cc96",
    "#ab63fa",
    "#FFA15A",
    "#19d3f3",
    "#FF6692",
    "#B6E880",
    "#FF97FF",
    "#FECB52",
)
# Readable on light and dark notebook themes alike (the renderer cannot follow the theme).
_NEUTRAL = "#808080"
_GRID = "rgba(128,128,128,0.25)"


def x_values(steps: Sequence[int]) -> Sequence[int]:
    """Return the steps, or the positions when every step is 0 (metrics logged without one)."""
    return steps if any(steps) else range(len(steps))


def thin(x: Sequence[float], y: Sequence[float], n_out: int) -> tuple[list[float], list[float]]:
    """Return at most ``n_out`` points of the series (first and last kept), as lists."""
    if len(x) <= n_out:
        return list(x), list(y)
    from jupyter_mltrack.widgets._downsample import downsample  # numpy; only for long series

    xs, ys = downsample(x, y, n_out)
    # Steps are whole numbers: "12" is shorter JSON than "12.0".
    kept: list[float] = [int(v) if v.is_integer() else float(v) for v in xs.tolist()]
    return kept, ys.tolist()


def _rounded(values: Sequence[float]) -> list[float | None]:
    # Six significant digits are more than a plot shows and halve the JSON; NaN/inf are gaps.
    return [float(f"{v:.6g}") if math.isfinite(v) else None for v in values]


def _shown(series: Mapping[str, Series]) -> tuple[list[str], int]:
    keys = list(series)
    return keys[:MAX_PANELS], max(0, len(keys) - MAX_PANELS)


def plotly_figure(series: Mapping[str, Series], *, title: str = "") -> dict[str, Any]:
    """Return the plotly figure JSON: one panel per metric in a grid, one legend entry each."""
    keys, hidden = _shown(series)
    if not keys:
        return {"data": [], "layout": {}}
    per_series = max(_SERIES_POINTS[0], min(_SERIES_POINTS[1], FIGURE_POINTS // len(keys)))
    columns = min(_COLUMNS, len(keys))
    rows = -(-len(keys) // columns)
    data: list[dict[str, Any]] = []
    layout: dict[str, Any] = {
        "height": 70 + 200 * rows,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "grid": {"rows": rows, "columns": columns, "pattern": "independent"},
        "showlegend": True,
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": _NEUTRAL, "size": 11},
    }
    if title or hidden:
        more = f" (+{hidden} more metrics)" if hidden else ""
        layout["title"] = {"text": escape(title + more), "font": {"size": 12}, "x": 1}
    for n, key in enumerate(keys, 1):
        steps, values = series[key]
        x, y = thin(x_values(steps), values, per_series)
        suffix = "" if n == 1 else str(n)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers" if len(x) == 1 else "lines",
                "name": key,
                "x": x,
                "y": _rounded(y),
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "line": {"color": _PALETTE[(n - 1) % len(_PALETTE)], "width": 1.5},
                "showlegend": True,
            }
        )
        layout[f"xaxis{suffix}"] = _axis("step")
        layout[f"yaxis{suffix}"] = _axis(key)
    return {"data": data, "layout": layout}


def _axis(title: str) -> dict[str, Any]:
    return {"title": {"text": escape(title)}, "gridcolor": _GRID, "zeroline": False}


# -- SVG ------------------------------------------------------------------------------------------
_W, _H = 290, 170  # one panel
_LEFT, _RIGHT, _TOP, _BOTTOM = 46, 8, 22, 34


def svg_html(series: Mapping[str, Series]) -> str:
    """Return the same panels as a small inline SVG (the live view, and a static fallback)."""
    keys, hidden = _shown(series)
    if not keys:
        return ""
    columns = min(_COLUMNS, len(keys))
    rows = -(-len(keys) // columns)
    panels = "".join(
        _svg_panel(key, series[key], n, (n % columns) * _W, (n // columns) * _H)
        for n, key in enumerate(keys)
    )
    more = f"<div>+{hidden} more metrics</div>" if hidden else ""
    width, height = columns * _W, rows * _H
    return (
        f'<div class="mltrack-live-plot">{more}<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10" '
        f'fill="currentColor">{panels}</svg></div>'
    )


def _svg_panel(key: str, series: Series, n: int, left: int, top: int) -> str:
    steps, values = series
    x, y = thin(x_values(steps), values, SVG_POINTS)
    finite = [(a, b) for a, b in zip(x, y, strict=True) if math.isfinite(b)]
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    color = _PALETTE[n % len(_PALETTE)]
    parts = [
        f'<g transform="translate({left},{top})">',
        f'<path d="M{_LEFT} {_TOP}V{_TOP + plot_h}H{_LEFT + plot_w}" stroke="currentColor" '
        'stroke-opacity="0.4" fill="none"/>',
        f'<line x1="{_LEFT + 4}" x2="{_LEFT + 20}" y1="9" y2="9" stroke="{color}" '
        'stroke-width="2"/>',
        f'<text x="{_LEFT + 24}" y="12">{escape(key)}</text>',
        f'<text x="{_LEFT + plot_w / 2}" y="{_H - 4}" text-anchor="middle">step</text>',
        f'<text transform="translate(10,{_TOP + plot_h / 2}) rotate(-90)" '
        f'text-anchor="middle">{escape(_clip(key, 24))}</text>',
    ]
    if finite:
        x0, x1 = min(a for a, _ in finite), max(a for a, _ in finite)
        y0, y1 = min(b for _, b in finite), max(b for _, b in finite)
        sx = plot_w / ((x1 - x0) or 1)
        sy = plot_h / ((y1 - y0) or 1)
        points = " ".join(
            f"{_LEFT + (a - x0) * sx:.1f},{_TOP + plot_h - (b - y0) * sy:.1f}" for a, b in finite
        )
        parts += [
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.5"/>',
            f'<text x="{_LEFT - 3}" y="{_TOP + 4}" text-anchor="end">{_number(y1)}</text>',
            f'<text x="{_LEFT - 3}" y="{_TOP + plot_h}" text-anchor="end">{_number(y0)}</text>',
            f'<text x="{_LEFT}" y="{_TOP + plot_h + 12}">{_number(x0)}</text>',
            f'<text x="{_LEFT + plot_w}" y="{_TOP + plot_h + 12}" '
            f'text-anchor="end">{_number(x1)}</text>',
        ]
    parts.append("</g>")
    return "".join(parts)


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _number(value: float) -> str:
    return f"{value:.4g}"


def text_summary(series: Mapping[str, Series]) -> str:
    """Return one line naming each metric's last value, for front ends that show only text."""
    parts = []
    for key, (steps, values) in series.items():
        if values:
            parts.append(f"{key}={_number(values[-1])} (step {steps[-1]}, {len(values)} points)")
    return "live plot: " + ("; ".join(parts) or "no metrics")
