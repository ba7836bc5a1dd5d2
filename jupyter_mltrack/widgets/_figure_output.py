"""Show a plotly figure inside a widget tree, as a static plotly mime bundle in an ``Output``.

Why not ``go.FigureWidget``: under plotly >= 6 every FigureWidget instance ships the plotly.js
bundle (~5 MB) as its anywidget module over the comm, which alone breaks the 5 MB budget of a
metric plot and multiplies with every plot of a comparison. A static figure travels as its JSON
only (numpy arrays as base64 typed arrays) and is drawn by the ``jupyterlab-plotly`` mime renderer
that the plotly wheel installs, in JupyterLab 4, Notebook 7, VS Code and Voila alike.

The output messages are assigned to ``Output.outputs`` directly rather than through
``with output: display(...)``: that works from button callbacks and background threads (live
plots) alike and leaves the figure inspectable in tests.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import ipywidgets

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["PLOTLY_MIME", "FigureOutput", "figure_bundle"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"


def figure_bundle(fig: go.Figure) -> dict[str, Any]:
    """Return the ``display_data`` output message that shows ``fig``."""
    payload = fig.to_plotly_json()
    payload.setdefault("config", {"displaylogo": False, "responsive": True})
    return {
        "output_type": "display_data",
        "data": {PLOTLY_MIME: payload, "text/plain": f"<plotly figure: {len(fig.data)} traces>"},
        "metadata": {},
    }


class FigureOutput(ipywidgets.Output):  # type: ignore[misc]
    """An ``Output`` that shows one plotly figure; :attr:`figure` is the figure last shown."""

    outputs: tuple[dict[str, Any], ...]  # the synced trait of ipywidgets.Output

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.figure: go.Figure | None = None
        self.sent_bytes = 0

    def show(self, fig: go.Figure) -> int:
        """Replace the shown figure with ``fig``; return the size of its JSON in bytes."""
        bundle = figure_bundle(fig)
        self.sent_bytes = len(json.dumps(bundle["data"][PLOTLY_MIME], separators=(",", ":")))
        self.figure = fig
        self.outputs = (bundle,)
        return self.sent_bytes

    def clear(self) -> None:
        """Remove the figure."""
        self.figure = None
        self.sent_bytes = 0
        self.outputs = ()
