"""Parallel coordinates of runs as a plotly figure dict: one axis per param or metric, one line
per run, coloured by the objective.

Drawn with scatter lines rather than plotly's ``parcoords`` trace, for three reasons: parcoords
lines have no hover, so a run could not be named; its axis titles sit side by side above the axes
and overlap as soon as the names are long; and it draws with WebGL, blank where WebGL is off.
Here each axis is a position on the x axis and the axis titles are its tick labels, which plotly
tilts when they would collide; every point names its run and value on hover.

Pure functions: values in, figure dict out (see ``_figure_output``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from jupyter_mltrack.widgets._figures import base_layout

__all__ = [
    "VIRIDIS",
    "axis_title",
    "color_scale",
    "is_categorical",
    "parcoords_dimension",
    "parcoords_figure",
]

# Viridis without its darkest purples, which vanish on JupyterLab's dark theme.
VIRIDIS = (
    "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
)  # fmt: skip
_MISSING_TICK = "∅"
_TITLE_CHARS = 22
_MAX_VALUE_TICKS = 5
_AXIS_COLOR = "rgba(128,128,128,0.6)"
_DATA_REF = {"xref": "x", "yref": "y"}
# Tick labels of an axis: small text left of the axis line.
_TICK = {"showarrow": False, "xanchor": "right", "xshift": -4, "font": {"size": 10}}


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


def parcoords_dimension(label: str, values: Sequence[object]) -> dict[str, Any]:
    """One axis: its ``values`` (positions), ``tickvals``/``ticktext`` and ``range``.

    Non-numeric values become ticks of a categorical axis. Missing values are drawn at a "∅"
    tick below the others so every run keeps its line.
    """
    numbers = [_as_number(v) for v in values]
    present = [n for n in numbers if n is not None]
    if not is_categorical(values):
        low, high = min(present), max(present)
        has_missing = len(present) < len(numbers)
        missing = low - (high - low or 1.0) * 0.15
        distinct = sorted(set(present))
        # A few distinct values (a swept param) are the ticks; else the ends and the middle.
        ticks = distinct if len(distinct) <= _MAX_VALUE_TICKS else [low, (low + high) / 2, high]
        return {
            "label": label,
            "values": [missing if n is None else n for n in numbers],
            "tickvals": ([missing] if has_missing else []) + ticks,
            "ticktext": ([_MISSING_TICK] if has_missing else []) + [f"{t:.4g}" for t in ticks],
            "range": [missing if has_missing else low, high if high > low else high + 1],
        }
    categories = sorted({str(v) for v in values if v is not None})
    names = ([_MISSING_TICK] if any(v is None for v in values) else []) + categories
    return {
        "label": label,
        "values": [names.index(_MISSING_TICK if v is None else str(v)) for v in values],
        "tickvals": list(range(len(names))),
        "ticktext": names,
        "range": [0, max(len(names) - 1, 1)],
    }


def axis_title(name: str) -> str:
    """The title of axis ``params.<key>``/``metrics.<key>``: the key, shortened; metrics bold."""
    kind, _, key = name.partition(".")
    if kind not in ("params", "metrics") or not key:
        kind, key = "", name
    short = key if len(key) <= _TITLE_CHARS else key[: _TITLE_CHARS - 1] + "…"
    return f"<b>{short}</b>" if kind == "metrics" else short


def color_scale(values: Sequence[float | None]) -> list[str]:
    """A Viridis colour per value (low: purple, high: yellow); grey where a value is missing."""
    present = [v for v in values if v is not None]
    low, high = (min(present), max(present)) if present else (0.0, 1.0)
    out = []
    for value in values:
        if value is None:
            out.append("#9e9e9e")
            continue
        t = (value - low) / (high - low) if high > low else 1.0
        out.append(_interpolate(t))
    return out


def _interpolate(t: float) -> str:
    pos = min(max(t, 0.0), 1.0) * (len(VIRIDIS) - 1)
    i = min(int(pos), len(VIRIDIS) - 2)
    a, b = VIRIDIS[i], VIRIDIS[i + 1]
    mix = [round(int(a[k : k + 2], 16) * (1 - (pos - i)) + int(b[k : k + 2], 16) * (pos - i))
           for k in (1, 3, 5)]  # fmt: skip
    return "#" + "".join(f"{c:02x}" for c in mix)


def _normalise(dim: Mapping[str, Any]) -> list[float]:
    low, high = dim["range"]
    span = (high - low) or 1.0
    return [(v - low) / span for v in dim["values"]]


def parcoords_figure(
    run_labels: Sequence[str],
    columns: Mapping[str, Sequence[object]],
    *,
    color_by: str | None = None,
    run_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Plot a parallel-coordinates chart: one line per run, one axis per column.

    Args:
        run_labels: The runs' names, in the order of every column's values.
        columns: Axis name (``"params.lr"``, ``"metrics.acc"``) -> one value per run (None
            where the run lacks it).
        color_by: The column whose values colour the lines (numeric only); default the last
            numeric column.
        run_ids: The runs' ids, kept in each line's ``meta``.
    """
    names = list(columns)
    dims = [parcoords_dimension(name, columns[name]) for name in names]
    numeric = [n for n in names if not is_categorical(columns[n])]
    by = color_by if color_by in numeric else (numeric[-1] if numeric else None)
    raw = [_as_number(v) for v in columns[by]] if by else [None] * len(run_labels)
    colors = color_scale(raw) if by else ["#1f77b4"] * len(run_labels)
    ys = [_normalise(d) for d in dims]
    data: list[dict[str, Any]] = []
    for i, label in enumerate(run_labels):
        shown = [_value_text(columns[n][i]) for n in names]
        data.append(
            {
                "type": "scatter",
                "x": list(range(len(names))),
                "y": [y[i] for y in ys],
                "mode": "lines+markers",
                "name": label,
                "line": {"color": colors[i], "width": 2},
                "marker": {"color": colors[i], "size": 7},
                "customdata": [[axis_title(n), text] for n, text in zip(names, shown, strict=True)],
                "hovertemplate": f"<b>{label}</b><br>%{{customdata[0]}}: %{{customdata[1]}}"
                "<extra></extra>",
                "meta": {"run_id": run_ids[i] if run_ids else None, "values": shown},
            }
        )
    if by is not None:
        data.append(_colorbar(by, [v for v in raw if v is not None]))
    return {"data": data, "layout": _layout(names, dims)}


def _value_text(value: object) -> str:
    number = _as_number(value)
    if value is None:
        return "—"
    return f"{number:.6g}" if number is not None and not isinstance(value, str) else str(value)


def _colorbar(name: str, values: Sequence[float]) -> dict[str, Any]:
    """An invisible trace that draws the colour scale of the lines, titled by ``name``."""
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "markers",
        "showlegend": False,
        "hoverinfo": "skip",
        "marker": {
            "color": [low, high],
            "colorscale": [[i / (len(VIRIDIS) - 1), c] for i, c in enumerate(VIRIDIS)],
            "showscale": True,
            "cmin": low,
            "cmax": high if high > low else low + 1,
            "colorbar": {"title": {"text": axis_title(name)}, "thickness": 12, "len": 0.8},
        },
        "meta": {"colorbar": name},
    }


def _layout(names: Sequence[str], dims: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    shapes, notes = [], []
    for x, dim in enumerate(dims):
        line = {"color": _AXIS_COLOR, "width": 1}
        shapes.append(
            {**_DATA_REF, "type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "line": line}
        )
        low, high = dim["range"]
        for value, text in zip(dim["tickvals"], dim["ticktext"], strict=True):
            y = (value - low) / ((high - low) or 1.0)
            notes.append({**_DATA_REF, **_TICK, "x": x, "y": y, "text": text})
    missing = any(_MISSING_TICK in d["ticktext"] for d in dims)
    return base_layout(
        height=460,
        margin={"l": 70, "r": 30, "t": 40, "b": 30},
        hovermode="closest",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        shapes=shapes,
        annotations=notes,
        xaxis={
            "tickvals": list(range(len(names))),
            "ticktext": [axis_title(n) for n in names],
            "range": [-0.5, len(names) - 0.5],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
            "automargin": True,
            "tickfont": {"size": 12},
        },
        yaxis={
            "visible": False,
            "range": [-0.25 if missing else -0.08, 1.08],
            "fixedrange": True,
        },
    )
