"""Dashboard: the tracking store in four tabs — Summary, Experiments, Runs and Models.

Summary, the landing tab, explains one experiment to a manager
(:class:`~jupyter_mltrack.widgets.ExperimentOverview`: what was tried, the best runs by the
experiment's objective, the model in Production and how it compares). Experiments lists every
experiment with its run count and best run by its objective
(:class:`~jupyter_mltrack.widgets.ExperimentsList`); opening one shows its runs in the Runs tab
(:class:`~jupyter_mltrack.widgets.RunsTable`, whose Compare button opens a
:class:`~jupyter_mltrack.widgets.RunComparison`) and its summary; Models is the
:class:`~jupyter_mltrack.widgets.RegistryPanel`, read-only for stakeholders. Only the Summary is
built with the page: the other tabs are built when first shown, so a Voila page opens fast.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets

from jupyter_mltrack.entities import Experiment
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children, reporting
from jupyter_mltrack.widgets.overview import ExperimentOverview, find_experiment

if TYPE_CHECKING:
    from jupyter_mltrack.entities import ModelVersion
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.widgets.experiments import ExperimentsList
    from jupyter_mltrack.widgets.registry_panel import RegistryPanel
    from jupyter_mltrack.widgets.runs_table import RunsTable

__all__ = ["TAB_TITLES", "Dashboard"]

TAB_TITLES = ("Summary", "Experiments", "Runs", "Models")
SUMMARY_TAB, EXPERIMENTS_TAB, RUNS_TAB, MODELS_TAB = range(4)


class Dashboard(TrackedWidget):
    """Experiments, runs and registered models of one store, in tabs.

    Args:
        experiment: Open on the summary (and runs) of this experiment (a name, or an id); by
            default the experiment whose model went to Production last.
        read_only: Show the registry without any action button (stakeholder mode).
        client: A tracking client; by default one for ``tracking_uri`` or the current URI.
        tracking_uri: The store to read when no client is given.
        registry: A registry client to use as is.

    Example:
        >>> from jupyter_mltrack.widgets import Dashboard
        >>> Dashboard(experiment="churn", read_only=True)  # doctest: +SKIP
    """

    css_name = "dashboard"

    def __init__(
        self,
        experiment: str | None = None,
        read_only: bool = False,
        *,
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
    ) -> None:
        super().__init__(client=client, tracking_uri=tracking_uri, registry=registry)
        self.read_only = read_only
        #: The experiment whose runs the Runs tab shows, once one is opened.
        self.experiment: Experiment | None = None
        self.overview: ExperimentOverview | None = None
        self.experiments_list: ExperimentsList | None = None
        self.runs_table: RunsTable | None = None
        self.registry_panel: RegistryPanel | None = None
        self.runs_title = ipywidgets.HTML("")
        self.runs_title.add_class("mltrack-runs-title")
        self._boxes = [ipywidgets.VBox() for _ in TAB_TITLES]
        self.tabs = ipywidgets.Tab(children=self._boxes)
        for index, title in enumerate(TAB_TITLES):
            self.tabs.set_title(index, title)
        self.tabs.add_class("mltrack-dashboard-tabs")
        self.body.children = [self.tabs]
        self._wanted = experiment
        self.refresh()
        self.tabs.observe(self._on_tab, names="selected_index")

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> None:
        if self.overview is None:
            overview = ExperimentOverview(
                self._wanted, read_only=self.read_only, client=self.tracking
            )
            overview.refresh_button.layout.display = "none"  # the dashboard's refreshes all
            overview.on_open_runs(self.open_experiment)
            overview.on_open_model(self.show_model)
            self.overview = overview
            self._boxes[SUMMARY_TAB].children = (overview,)
            if overview.notice.kind == "error":  # e.g. an unknown experiment: say it up here
                self.notice.error(overview.notice.message)
            self.experiment = overview.experiment
            return
        for child in (self.overview, self.experiments_list, self.runs_table, self.registry_panel):
            if child is not None:
                child.refresh()

    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == MODELS_TAB and self.registry_panel is None:
            self.show_models()
        elif change["new"] == EXPERIMENTS_TAB and self.experiments_list is None:
            self._show_experiments()
        elif change["new"] == RUNS_TAB:
            # The runs follow the experiment the summary shows (its chooser may have changed).
            shown = self.overview.experiment if self.overview is not None else None
            wanted = shown or self.experiment
            if self.runs_table is None or wanted != self.experiment:
                self.notice.clear()
                with reporting(self.notice, "load the runs"):
                    self._show_runs(wanted)

    def _show_experiments(self) -> None:
        from jupyter_mltrack.widgets.experiments import ExperimentsList

        self.experiments_list = ExperimentsList(client=self.tracking)
        self.experiments_list.on_open(self.open_experiment)
        self._boxes[EXPERIMENTS_TAB].children = (self.experiments_list,)

    def show_models(self) -> None:
        """Build (on first use) and select the Models tab."""
        if self.registry_panel is None:
            from jupyter_mltrack.widgets.registry_panel import RegistryPanel

            with reporting(self.notice, "open the model registry"):
                panel = RegistryPanel(read_only=self.read_only, client=self.tracking)
                self.registry_panel = panel
                self._boxes[MODELS_TAB].children = (panel,)
        self.tabs.selected_index = MODELS_TAB

    def show_model(self, version: ModelVersion) -> None:
        """Select the Models tab on ``version`` of its registered model."""
        self.show_models()
        if self.registry_panel is not None:
            self.registry_panel.select_model(version.name, version=version.version)

    def open_experiment(self, experiment: Experiment | str) -> None:
        """Show the runs of an experiment (an Experiment, a name or an id) in the Runs tab.

        The Summary tab switches to the same experiment.
        """
        self.notice.clear()
        with reporting(self.notice, "open the experiment"):
            found = (
                experiment
                if isinstance(experiment, Experiment)
                else find_experiment(self.tracking, experiment)
            )
            if self.overview is not None and self.overview.experiment != found:
                self.overview.show_experiment(found)
            self._show_runs(found)

    def _show_runs(self, experiment: Experiment | None) -> None:
        """Put a RunsTable of ``experiment`` (None: every experiment) into the Runs tab."""
        from jupyter_mltrack.widgets.runs_table import RunsTable

        self.experiment = experiment
        if experiment is None:
            self.runs_title.value = "<h3>Runs of all experiments</h3>"
        else:
            self.runs_title.value = (
                f"<h3>Runs of {html.escape(experiment.name)} "
                f"<small>(id {html.escape(experiment.experiment_id)})</small></h3>"
            )
        name = None if experiment is None else experiment.name
        # The previous table (and everything in it) is closed: no comms leak per experiment.
        self.runs_table = RunsTable(experiment=name, client=self.tracking)
        replace_children(self._boxes[RUNS_TAB], (self.runs_title, self.runs_table))
        self.tabs.selected_index = RUNS_TAB
