"""Colours that follow the JupyterLab theme: the widgets' shared CSS and a plotly template.

JupyterLab (and Voila, Notebook 7) define the ``--jp-*`` CSS variables for the active theme, so
HTML that takes its colours from them reads well in the light and the dark theme alike; every
colour here falls back to a VS Code variable and then to a light-theme value.

Plotly cannot read CSS variables (plotly.js parses colours itself), and the ``jupyterlab-plotly``
renderer ignores the theme. So :func:`plotly_template` makes the figure itself neutral —
transparent paper and plot area, a mid-grey font and translucent grid lines, which read on
white and on near-black — and :data:`THEME_CSS` then paints the text and grid lines of figures
shown inside a widget in the theme's own colours (a stylesheet rule with ``!important`` wins over
the inline ``fill``/``stroke`` plotly writes). Hover labels keep plotly's colours: they sit on
the trace's colour, not on the page.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ERROR_COLOR",
    "FONT_COLOR",
    "MUTED_COLOR",
    "THEME_CSS",
    "plotly_template",
    "style_html",
]

FONT_COLOR = "var(--jp-ui-font-color1, var(--vscode-editor-foreground, #1f1f1f))"
MUTED_COLOR = "var(--jp-ui-font-color2, var(--vscode-descriptionForeground, #616161))"
ERROR_COLOR = "var(--jp-error-color1, var(--vscode-errorForeground, #d32f2f))"
# The notebook's own background (JupyterLab paints the notebook with layout-color0), and a tab
# panel's (ipywidgets' Tab, as in the dashboard): pinned cells are painted with what is behind.
_SURFACE = "var(--jp-layout-color0, var(--vscode-editor-background, #fff))"
_PANEL = "var(--jp-layout-color1, var(--vscode-editor-background, #fff))"
_BORDER = "var(--jp-border-color2, rgba(128,128,128,.35))"
_BUTTON = "var(--jp-layout-color2, #eee)"  # ipywidgets' own button background
_ACCENT = "var(--jp-brand-color1, #1976d2)"
# Mid-grey on white is 4.5:1 at #767676; it stays readable (about 4:1) on JupyterLab's dark #111.
_PLOT_FONT = "#767676"
_PLOT_GRID = "rgba(128,128,128,0.28)"
_PLOT_LINE = "rgba(128,128,128,0.6)"
# Plotly's default trace colours: mid-tones that read on both backgrounds.
_COLORWAY = (
    "#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a",
    "#19d3f3", "#ff6692", "#b6e880", "#ff97ff", "#fecb52",
)  # fmt: skip

#: Scoped to ``.mltrack-widget`` (every widget's root), so it never restyles the rest of the page.
THEME_CSS = f"""
.mltrack-widget {{color:{FONT_COLOR};--mltrack-surface:{_SURFACE}}}
.widget-tab-contents .mltrack-widget {{--mltrack-surface:{_PANEL}}}
.mltrack-widget .mltrack-rows {{background:var(--mltrack-surface)}}
.mltrack-widget .mltrack-pager {{justify-content:flex-start}}
.mltrack-widget .mltrack-header {{overflow:visible}}
.mltrack-widget .mltrack-rows > .mltrack-select, .mltrack-widget .mltrack-select-all,
.mltrack-widget .mltrack-rows > .mltrack-expander, .mltrack-widget .mltrack-pin-expander,
.mltrack-widget .mltrack-cell-sticky, .mltrack-widget .mltrack-pin-run {{
  position:sticky;z-index:1;background:var(--mltrack-surface)}}
.mltrack-widget .mltrack-rows > .mltrack-select, .mltrack-widget .mltrack-select-all {{left:0;
  box-shadow:0 0 0 2px var(--mltrack-surface)}}
.mltrack-widget .mltrack-rows > .mltrack-expander, .mltrack-widget .mltrack-pin-expander {{
  left:28px;box-shadow:0 0 0 2px var(--mltrack-surface)}}
.mltrack-widget .mltrack-cell-sticky {{left:30px;
  box-shadow:-4px 0 0 var(--mltrack-surface),1px 0 0 {_BORDER}}}
.mltrack-widget .mltrack-pin-run {{left:28px;z-index:2;background:{_BUTTON}}}
.mltrack-widget .mltrack-nested .mltrack-cell-sticky {{left:50px}}
.mltrack-widget .mltrack-nested .mltrack-pin-run {{left:48px}}
.mltrack-widget .mltrack-muted {{color:{MUTED_COLOR}}}
.mltrack-widget .mltrack-error-text {{color:{ERROR_COLOR}}}
.mltrack-widget .mltrack-filter-error {{background:rgba(229,57,53,.08);color:{FONT_COLOR};
  border-left:3px solid {ERROR_COLOR}}}
.mltrack-widget .mltrack-filter-message {{white-space:normal;overflow-wrap:anywhere;
  color:{ERROR_COLOR};padding:2px 4px;max-width:100%;font-size:12px}}
.mltrack-widget .mltrack-filter-message code {{background:rgba(128,128,128,.18);
  color:{FONT_COLOR};padding:0 3px;border-radius:3px}}
.mltrack-widget .mltrack-column-list {{max-height:260px;overflow-y:auto;
  border:1px solid {_BORDER};padding:2px 4px}}
.mltrack-widget .mltrack-expander button, .mltrack-widget button.mltrack-expander {{
  background:transparent;color:{MUTED_COLOR};border:none;box-shadow:none;padding:0}}
.mltrack-widget .mltrack-rerun {{color:{_ACCENT};font-size:11px}}
.mltrack-widget .js-plotly-plot .main-svg text:not(.hoverlayer *) {{fill:{FONT_COLOR} !important}}
.mltrack-widget .js-plotly-plot .gridlayer path {{stroke:{_BORDER} !important}}
.mltrack-widget .js-plotly-plot .modebar-btn path {{fill:{MUTED_COLOR} !important}}
"""


def style_html() -> str:
    """The ``<style>`` element carrying :data:`THEME_CSS`, for an ``ipywidgets.HTML``."""
    return f"<style>{THEME_CSS}</style>"


def plotly_template() -> dict[str, Any]:
    """A plotly layout template that reads well in JupyterLab's light and dark theme.

    Pass it as ``layout.template`` (``fig.update_layout(template=plotly_template())``). It keeps
    plotly's default trace colours and only neutralises what would paint a white box: the paper
    and plot backgrounds are transparent, text is mid-grey, grid and axis lines translucent.
    Inside a widget the shared CSS then gives text and grid the theme's exact colours.

    Example:
        >>> fig = go.Figure(layout={"template": plotly_template()})  # doctest: +SKIP
    """
    axis = {
        "gridcolor": _PLOT_GRID,
        "linecolor": _PLOT_LINE,
        "zerolinecolor": _PLOT_LINE,
        "tickcolor": _PLOT_LINE,
        "automargin": True,
        "title": {"standoff": 8},
    }
    return {
        "layout": {
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"color": _PLOT_FONT},
            "xaxis": axis,
            "yaxis": dict(axis),
            "legend": {"bgcolor": "rgba(0,0,0,0)"},
            "colorway": list(_COLORWAY),
            "hovermode": "closest",
        }
    }
