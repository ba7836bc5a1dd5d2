"""Notebook widgets: runs table, run comparison, metric plots, run view, artifacts, registry.

Importing this package is cheap: each widget's module (and ipywidgets/plotly with it) is imported
on first access of its name::

    from jupyter_mltrack.widgets import RunsTable
    RunsTable(experiment="churn")

Every widget takes an optional ``client`` / ``tracking_uri``, has a refresh button and a
``refresh()`` method, and shows a one-line message instead of a traceback when the store is empty,
unreachable, or an id is unknown.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mltrack.widgets.artifacts import ArtifactBrowser
    from jupyter_mltrack.widgets.comparison import RunComparison
    from jupyter_mltrack.widgets.dashboard import Dashboard
    from jupyter_mltrack.widgets.experiments import ExperimentsList
    from jupyter_mltrack.widgets.metric_plot import MetricPlot
    from jupyter_mltrack.widgets.overview import ExperimentOverview
    from jupyter_mltrack.widgets.registry_panel import RegistryPanel
    from jupyter_mltrack.widgets.run_view import RunView
    from jupyter_mltrack.widgets.runs_table import RunsTable

__all__ = [
    "ArtifactBrowser",
    "Dashboard",
    "ExperimentOverview",
    "ExperimentsList",
    "MetricPlot",
    "RegistryPanel",
    "RunComparison",
    "RunView",
    "RunsTable",
]

# name -> module (relative to this package) that defines it
_EXPORTS = {
    "ArtifactBrowser": "artifacts",
    "Dashboard": "dashboard",
    "ExperimentOverview": "overview",
    "ExperimentsList": "experiments",
    "MetricPlot": "metric_plot",
    "RegistryPanel": "registry_panel",
    "RunComparison": "comparison",
    "RunView": "run_view",
    "RunsTable": "runs_table",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
