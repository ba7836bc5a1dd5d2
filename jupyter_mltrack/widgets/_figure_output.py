"""Show a plotly figure inside a widget tree, as a static plotly mime bundle in an ``Output``.

Why not ``go.FigureWidget``: under plotly >= 6 every FigureWidget instance ships the plotly.js
bundle (~5 MB) as its anywidget module over the comm, which alone breaks the 5 MB budget of a
metric plot and multiplies with every plot of a comparison. A static figure travels as its JSON
only (numpy arrays as base64 typed arrays) and is drawn by the ``jupyterlab-plotly`` mime renderer
that the plotly wheel installs, in JupyterLab 4, Notebook 7, VS Code and Voila alike.

Why plain dicts: the figure builders of this package return ``{"data": [...], "layout": {...}}``
dicts, not ``go.Figure`` objects. Building a ``go.Figure`` imports and runs plotly's validators
for every property and, with a named template, for every trace type plotly knows: about 0.2 s of
CPU (and a second or more on a busy machine) in the first comparison of a fresh kernel, for
checks our own tests already make. :attr:`FigureOutput.figure` still gives a ``go.Figure`` (built
on first access) to anyone who wants to inspect one.

The output messages are assigned to ``Output.outputs`` directly rather than through
``with output: display(...)``: that works from button callbacks and background threads (live
plots) alike and leaves the figure inspectable in tests.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["PLOTLY_MIME", "FigureOutput", "figure_bundle", "figure_json"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
_CONFIG = {"displaylogo": False, "responsive": True}


def _encode(value: Any) -> Any:
    """Numpy arrays become plotly.js typed-array specs (``{"dtype", "bdata"}``), recursively."""
    if isinstance(value, Mapping):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    dtype = getattr(value, "dtype", None)
    if dtype is not None and getattr(value, "ndim", 0) == 1:
        if dtype.kind == "f":
            array = value.astype("<f8", copy=False)
            return {"dtype": "f8", "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
        if dtype.kind in "iub":
            array = value.astype("<i4", copy=False)
            return {"dtype": "i4", "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
        return [_encode(v) for v in value.tolist()]
    if dtype is not None:  # a numpy scalar
        return value.item()
    return value


def figure_json(fig: go.Figure | Mapping[str, Any]) -> dict[str, Any]:
    """Return the figure as the JSON plotly.js draws (a ``go.Figure`` or a figure dict)."""
    if isinstance(fig, Mapping):
        payload = {"data": _encode(fig.get("data", [])), "layout": _encode(fig.get("layout", {}))}
    else:
        payload = fig.to_plotly_json()
    payload.setdefault("config", dict(_CONFIG))
    return payload


def figure_bundle(fig: go.Figure | Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``display_data`` output message that shows ``fig``."""
    payload = figure_json(fig)
    return {
        "output_type": "display_data",
        "data": {
            PLOTLY_MIME: payload,
            "text/plain": f"<plotly figure: {len(payload['data'])} traces>",
        },
        "metadata": {},
    }


class FigureOutput(ipywidgets.Output):  # type: ignore[misc]
    """An ``Output`` that shows one plotly figure.

    :attr:`spec` is the figure last shown as given (a dict or a ``go.Figure``); :attr:`figure`
    is the same as a ``go.Figure``.
    """

    outputs: tuple[dict[str, Any], ...]  # the synced trait of ipywidgets.Output

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec: go.Figure | Mapping[str, Any] | None = None
        self._figure: go.Figure | None = None
        self.sent_bytes = 0

    @property
    def figure(self) -> go.Figure | None:
        """The figure last shown, as a ``go.Figure`` (built on first access), or None."""
        if self.spec is None:
            return None
        if self._figure is None:
            import plotly.graph_objects as go  # only for inspection: showing needs no plotly

            spec = self.spec
            # skip_invalid: a saved figure may carry properties of another plotly version.
            self._figure = (
                spec if isinstance(spec, go.Figure) else go.Figure(spec, skip_invalid=True)
            )
        return self._figure

    def show(self, fig: go.Figure | Mapping[str, Any]) -> int:
        """Replace the shown figure with ``fig``; return the size of its JSON in bytes."""
        bundle = figure_bundle(fig)
        self.sent_bytes = len(json.dumps(bundle["data"][PLOTLY_MIME], separators=(",", ":")))
        self.spec, self._figure = fig, None
        self.outputs = (bundle,)
        return self.sent_bytes

    def clear(self) -> None:
        """Remove the figure."""
        self.spec, self._figure = None, None
        self.sent_bytes = 0
        self.outputs = ()
