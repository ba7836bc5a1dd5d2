"""The landing summary's chart: the objective of the best runs, best at the top, as a dot plot.

A dot plot rather than bars: the values of a sweep differ in the third decimal, and bars that do
not start at zero would exaggerate the gaps. The figure is a static plotly figure (shown through
:class:`~jupyter_mltrack.widgets._figure_output.FigureOutput`, no plotly.js bundle per widget)
with the shared theme-following template.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_mltrack.widgets._objective import objective_value
from jupyter_mltrack.widgets._overview_facts import Overview
from jupyter_mltrack.widgets._overview_html import format_value, run_name
from jupyter_mltrack.widgets._theme import plotly_template

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["objective_figure"]

# Two colours that read on light and dark backgrounds: the served model stands out.
_RUN_COLOR = "#4c78a8"
_HELD_COLOR = "#f58518"


def objective_figure(overview: Overview) -> go.Figure | None:
    """A dot plot of the objective of the best runs, best at the top; holders marked."""
    objective = overview.objective
    if objective is None or not overview.best:
        return None
    import plotly.graph_objects as go

    runs = overview.best
    held = {h.run.info.run_id: h for h in overview.holders if h.run is not None}
    names = [run_name(run) for run in runs]
    values = [objective_value(run, objective) for run in runs]
    labels = [
        f"{format_value(v)}  ◀ {held[r.info.run_id].place} v{held[r.info.run_id].version.version}"
        if r.info.run_id in held
        else format_value(v)
        for r, v in zip(runs, values, strict=True)
    ]
    sizes = [18 if r.info.run_id in held else 11 for r in runs]
    symbols = ["star" if r.info.run_id in held else "circle" for r in runs]
    colors = [_HELD_COLOR if r.info.run_id in held else _RUN_COLOR for r in runs]
    figure = go.Figure(
        go.Scatter(
            x=values,
            y=names,
            mode="markers+text",
            text=labels,
            textposition="middle right",
            marker={"size": sizes, "symbol": symbols, "color": colors},
            hovertemplate="%{y}: %{x}<extra></extra>",
            cliponaxis=False,
        )
    )
    shown = (
        f"the best {len(runs)} of {overview.trials:,} runs"
        if overview.trials > len(runs)
        else "each run"
    )
    way = "higher" if objective.higher_is_better else "lower"
    figure.update_layout(
        title={"text": f"{objective.metric} of {shown} ({way} is better)", "x": 0},
        height=120 + 28 * len(runs),
        margin={"l": 10, "r": 160, "t": 50, "b": 40},
        yaxis={"autorange": "reversed", "automargin": True, "title": None},
        xaxis={"title": {"text": objective.metric}},
        showlegend=False,
    )
    figure.update_layout(template=plotly_template())
    return figure
