"""Every widget kind stays light on the wire: its comm payload is measured against a budget.

The payload of a widget is what the kernel sends a front end to show it: the serialised state
(``comm_open`` data, binary buffers included) of the widget and of every widget it references,
transitively (children, layouts, styles, outputs), plus anything it displays while being built.
A plotly ``FigureWidget`` under plotly >= 6 carries the whole plotly.js bundle (~5 MB) in its
state, so one slipping into any widget tree fails here at once. Budgets are measured figures on
the small seeded store (``conftest``) with about 2x headroom, never megabytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from IPython.utils.capture import capture_output
from ipywidgets.widgets.widget import Widget, _instances, _remove_buffers
from registry_seed import seed_registry
from widget_seed import Seeded

from jupyter_mltrack import widgets
from jupyter_mltrack.widgets._base import close_tree

_REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]{32})")

#: kind -> KB; measured on the seeded store, with headroom (see the module docstring).
BUDGETS_KB = {
    "ArtifactBrowser": 80,  # measured 21 KB (27 widgets)
    "Dashboard": 200,  # 62 KB (67 widgets), opened on an experiment
    "ExperimentOverview": 120,  # 42 KB (42 widgets)
    "ExperimentsList": 120,  # 44 KB (58 widgets)
    "MetricPlot": 80,  # 24 KB (26 widgets)
    "RegistryPanel": 200,  # 79 KB (109 widgets)
    "RunComparison": 200,  # 71 KB (81 widgets), three runs
    "RunView": 120,  # 40 KB (48 widgets)
    "RunsTable": 250,  # 107 KB (128 widgets: a fixed pool of row widgets)
}


def payload(widget: Widget) -> tuple[int, int]:
    """Return the bytes of ``widget``'s state and its descendants' states, and the widget count."""
    seen: set[str] = set()
    pending = [widget.model_id]
    total = 0
    while pending:
        model_id = pending.pop()
        if model_id in seen or model_id not in _instances:
            continue
        seen.add(model_id)
        state, _paths, buffers = _remove_buffers(_instances[model_id].get_state())
        text = json.dumps(state, default=str)
        total += len(text) + sum(memoryview(b).nbytes for b in buffers)
        pending.extend(_REFERENCE.findall(text))
    return total, len(seen)


def _displayed_bytes(outputs: list[Any]) -> int:
    return sum(len(json.dumps(o.data, default=str)) for o in outputs)


def _builders(seeded: Seeded) -> dict[str, Callable[[], Widget]]:
    client, runs = seeded.client, seeded.runs
    return {
        "RunsTable": lambda: widgets.RunsTable(experiment="churn", client=client),
        "RunComparison": lambda: widgets.RunComparison(
            [runs["rf-1"], runs["rf-2"], runs["gbm-1"]], client=client
        ),
        "MetricPlot": lambda: widgets.MetricPlot(
            [runs["rf-1"], runs["rf-2"]], keys=["acc", "loss"], client=client
        ),
        "RunView": lambda: widgets.RunView(runs["cell-1"], client=client),
        "ArtifactBrowser": lambda: widgets.ArtifactBrowser(runs["cell-1"], client=client),
        "RegistryPanel": lambda: widgets.RegistryPanel(registry=seed_registry(seeded)),
        "ExperimentsList": lambda: widgets.ExperimentsList(client=client),
        "Dashboard": lambda: widgets.Dashboard(experiment="churn", client=client),
        "ExperimentOverview": lambda: widgets.ExperimentOverview("churn", client=client),
    }


def test_every_widget_kind_has_a_budget() -> None:
    assert set(BUDGETS_KB) == set(widgets.__all__)


@pytest.mark.parametrize("kind", sorted(BUDGETS_KB))
def test_widget_payload_stays_within_its_budget(kind: str, seeded: Seeded) -> None:
    with capture_output() as shown:
        widget = _builders(seeded)[kind]()
    try:
        size, count = payload(widget)
        size += _displayed_bytes(shown.outputs)
        assert count > 1, "the widget tree was walked"
        assert size <= BUDGETS_KB[kind] * 1000, (
            f"{kind} sends {size / 1000:.1f} KB in {count} widgets (budget {BUDGETS_KB[kind]} KB)"
        )
    finally:
        close_tree(widget)


def test_a_figure_widget_would_break_any_budget() -> None:
    """The measure sees what the budgets guard against: plotly.js inside a widget's state."""
    go = pytest.importorskip("plotly.graph_objects")
    figure = go.FigureWidget()
    try:
        size, _ = payload(figure)
    finally:
        figure.close()
    assert size > max(BUDGETS_KB.values()) * 1000
