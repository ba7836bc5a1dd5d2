"""ExperimentOverview: the dashboard's landing page — one experiment explained to a manager.

It says what was tried (runs, swept params and their ranges), what "best" means here (the
experiment's objective, :mod:`~jupyter_mltrack.widgets._objective`), which run is best and which
comes second, which registered model from the experiment is in Production or holds an alias —
since when, moved by whom, and how it compares with the runner-up and with the version that held
the place before — and charts the objective across the runs. When the objective was guessed, a
chooser lets the user pick the metric and direction; the pick is remembered per experiment (an
experiment tag, or only in this kernel when read-only, since a stakeholder page never writes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets

from jupyter_mltrack.entities import Experiment, ModelVersion
from jupyter_mltrack.errors import (
    ExperimentNotFound,
    InvalidParameterError,
    InvalidStateError,
    NotFoundError,
)
from jupyter_mltrack.widgets._base import TrackedWidget, reporting
from jupyter_mltrack.widgets._figure_output import FigureOutput
from jupyter_mltrack.widgets._objective import Direction, set_objective
from jupyter_mltrack.widgets._overview_chart import objective_figure
from jupyter_mltrack.widgets._overview_facts import Overview, gather
from jupyter_mltrack.widgets._overview_html import overview_html

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["ExperimentOverview", "find_experiment"]

MAX_EXPERIMENTS = 500


def find_experiment(client: TrackingClient, name_or_id: str) -> Experiment:
    """Return the experiment named ``name_or_id``, else the one with that id.

    Raises:
        ExperimentNotFound: Neither a name nor an id of an experiment.
    """
    found = client.get_experiment_by_name(name_or_id)
    if found is not None:
        return found
    try:
        return client.get_experiment(name_or_id)
    except (NotFoundError, InvalidParameterError):  # not an id either: report the name
        raise ExperimentNotFound(
            f"No experiment named {name_or_id!r}; pick one in the Experiments tab or "
            "check the name (mltrack experiments list)",
            experiment_id=None,
        ) from None


class ExperimentOverview(TrackedWidget):
    """A summary of one experiment: what was tried, the best runs, the model in production.

    Args:
        experiment: The experiment to show (a name or an id); by default the one whose model
            was put in Production last, else the one with the newest run.
        read_only: Remember a picked objective only in this kernel (never write to the store).
        client: A tracking client; by default one for ``tracking_uri`` or the current URI.
        tracking_uri: The store to read when no client is given.
        registry: A registry client to use as is.

    Example:
        >>> from jupyter_mltrack.widgets import ExperimentOverview
        >>> ExperimentOverview("demo-sweep")  # doctest: +SKIP
    """

    css_name = "overview"

    def __init__(
        self,
        experiment: str | None = None,
        *,
        read_only: bool = False,
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
    ) -> None:
        super().__init__(client=client, tracking_uri=tracking_uri, registry=registry)
        self.read_only = read_only
        #: The facts shown, once an experiment is loaded.
        self.overview: Overview | None = None
        self._wanted = experiment
        self._callbacks: dict[str, list[Callable[..., Any]]] = {"runs": [], "model": []}
        self._loading = False
        self.experiment_dropdown = ipywidgets.Dropdown(options=[], description="Experiment")
        self.experiment_dropdown.add_class("mltrack-overview-experiment")
        self.toolbar.children = (*self.toolbar.children, self.experiment_dropdown)
        self.summary = ipywidgets.HTML("")
        self.summary.add_class("mltrack-overview-summary")
        self.metric_dropdown = ipywidgets.Dropdown(options=[], description="Rank by")
        self.direction_toggle = ipywidgets.ToggleButtons(
            options=[("higher is better", "max"), ("lower is better", "min")], value="max"
        )
        self.pick_button = ipywidgets.Button(description="Use this objective", icon="check")
        self.pick_button.on_click(lambda _b: self.pick_objective())
        self.pick_box = ipywidgets.HBox(
            [self.metric_dropdown, self.direction_toggle, self.pick_button]
        )
        self.pick_box.add_class("mltrack-objective-pick")
        self.chart = FigureOutput()
        self.chart.add_class("mltrack-overview-chart")
        self.runs_button = ipywidgets.Button(description="See all runs", icon="table")
        self.runs_button.add_class("mltrack-open-runs")
        self.runs_button.on_click(lambda _b: self._notify("runs", self.experiment))
        self.model_button = ipywidgets.Button(description="Open the model", icon="cube")
        self.model_button.add_class("mltrack-open-model")
        self.model_button.on_click(lambda _b: self._notify("model", self._main_version()))
        buttons = ipywidgets.HBox([self.runs_button, self.model_button])
        self.body.children = [self.summary, self.pick_box, self.chart, buttons]
        self.refresh()
        self.experiment_dropdown.observe(self._on_experiment, names="value")

    # -- public API -----------------------------------------------------------------------------
    @property
    def experiment(self) -> Experiment | None:
        """The experiment shown."""
        return None if self.overview is None else self.overview.experiment

    def on_open_runs(self, callback: Callable[[Experiment], Any]) -> None:
        """Call ``callback(experiment)`` when "See all runs" is pressed."""
        self._callbacks["runs"].append(callback)

    def on_open_model(self, callback: Callable[[ModelVersion], Any]) -> None:
        """Call ``callback(version)`` when "Open the model" is pressed."""
        self._callbacks["model"].append(callback)

    def show_experiment(self, experiment: Experiment | str) -> None:
        """Show the summary of an experiment (an Experiment, a name or an id)."""
        self.notice.clear()
        with reporting(self.notice, "summarize the experiment"):
            found = (
                experiment
                if isinstance(experiment, Experiment)
                else find_experiment(self.tracking, experiment)
            )
            self._show(found)

    def pick_objective(self, metric: str | None = None, direction: str | None = None) -> None:
        """Rank this experiment by ``metric`` (default: the chooser's), remembered."""
        experiment = self.experiment
        if experiment is None:
            return
        chosen: Direction = "min" if (direction or self.direction_toggle.value) == "min" else "max"
        with reporting(self.notice, "remember the objective"):
            set_objective(
                self.tracking,
                experiment.experiment_id,
                metric or self.metric_dropdown.value or "",
                chosen,
                persist=not self.read_only,
            )
            self._show(experiment)

    # -- building -------------------------------------------------------------------------------
    def _build(self) -> None:
        experiments = list(self.tracking.search_experiments(max_results=MAX_EXPERIMENTS))
        current = self.experiment
        self._loading = True
        try:
            self.experiment_dropdown.options = [(e.name, e.experiment_id) for e in experiments]
        finally:
            self._loading = False
        if current is not None:
            self._show(self.tracking.get_experiment(current.experiment_id))
        elif self._wanted is not None:
            self._show(find_experiment(self.tracking, self._wanted))
        elif (landing := self._landing_experiment(experiments)) is not None:
            self._show(landing)
        else:
            self.summary.value = "<p>No experiments in this store yet.</p>"

    def _landing_experiment(self, experiments: list[Experiment]) -> Experiment | None:
        """The experiment of the version put in Production last, else of the newest run."""
        if not experiments:
            return None
        by_id = {e.experiment_id: e for e in experiments}
        registry = self._registry_or_none()
        production = (
            []
            if registry is None
            else list(
                registry.search_model_versions(
                    "current_stage = 'Production'",
                    max_results=1,
                    order_by=["last_updated_timestamp DESC"],
                )
            )
        )
        for version in production:
            if version.experiment_id in by_id:
                return by_id[version.experiment_id]
        newest = self.tracking.search_runs(
            list(by_id), max_results=1, order_by=["attributes.start_time DESC"]
        )
        return by_id[newest[0].info.experiment_id] if newest else experiments[0]

    def _show(self, experiment: Experiment) -> None:
        overview = gather(self.tracking, self._registry_or_none(), experiment)
        self.overview = overview
        self._loading = True
        try:
            if experiment.experiment_id in dict(self.experiment_dropdown.options).values():
                self.experiment_dropdown.value = experiment.experiment_id
            self._fill_pick(overview)
        finally:
            self._loading = False
        self.summary.value = overview_html(overview)
        figure = objective_figure(overview)
        if figure is None:
            self.chart.clear()
        else:
            self.chart.show(figure)
        self.model_button.layout.display = None if overview.holders else "none"

    def _registry_or_none(self) -> RegistryClient | None:
        try:
            return self.registry
        except InvalidStateError:  # a store without a registry still has a summary
            return None

    def _fill_pick(self, overview: Overview) -> None:
        objective = overview.objective
        # The sweep's recorded objective is what was optimised: it is not up for a vote.
        hidden = not overview.metrics or (objective is not None and objective.source == "sweep")
        self.pick_box.layout.display = "none" if hidden else None
        self.metric_dropdown.options = overview.metrics
        if objective is not None and objective.metric in overview.metrics:
            self.metric_dropdown.value = objective.metric
            self.direction_toggle.value = objective.direction

    def _on_experiment(self, change: dict[str, Any]) -> None:
        if self._loading or not change["new"]:
            return
        self.show_experiment(self.tracking.get_experiment(change["new"]))

    def _main_version(self) -> ModelVersion | None:
        holders = [] if self.overview is None else self.overview.holders
        return holders[0].version if holders else None

    def _notify(self, kind: str, value: Any) -> None:
        if value is None:
            return
        for callback in self._callbacks[kind]:
            callback(value)
