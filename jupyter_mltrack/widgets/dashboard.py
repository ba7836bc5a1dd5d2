"""Dashboard: the tracking store in three tabs — Experiments, Runs and Models.

Experiments lists every experiment with its run count and best run
(:class:`~jupyter_mltrack.widgets.ExperimentsList`); opening one shows its runs in the Runs tab
(:class:`~jupyter_mltrack.widgets.RunsTable`, whose Compare button opens a
:class:`~jupyter_mltrack.widgets.RunComparison`); Models is the
:class:`~jupyter_mltrack.widgets.RegistryPanel`, read-only for stakeholders. The Runs and Models
tabs are built when first shown, so the first page of a Voila dashboard costs one query per
experiment only.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets

from jupyter_mltrack.entities import Experiment
from jupyter_mltrack.errors import ExperimentNotFound, InvalidParameterError, NotFoundError
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children, reporting

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.widgets.experiments import ExperimentsList
    from jupyter_mltrack.widgets.registry_panel import RegistryPanel
    from jupyter_mltrack.widgets.runs_table import RunsTable

__all__ = ["TAB_TITLES", "Dashboard"]

TAB_TITLES = ("Experiments", "Runs", "Models")
EXPERIMENTS_TAB, RUNS_TAB, MODELS_TAB = range(3)


class Dashboard(TrackedWidget):
    """Experiments, runs and registered models of one store, in tabs.

    Args:
        experiment: Open on the runs of this experiment (a name, or an id).
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
        self.refresh()
        if experiment is not None:
            self.open_experiment(experiment)
        self.tabs.observe(self._on_tab, names="selected_index")

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> None:
        if self.experiments_list is None:
            from jupyter_mltrack.widgets.experiments import ExperimentsList

            self.experiments_list = ExperimentsList(client=self.tracking)
            self.experiments_list.on_open(self.open_experiment)
            self._boxes[EXPERIMENTS_TAB].children = (self.experiments_list,)
            return
        for child in (self.experiments_list, self.runs_table, self.registry_panel):
            if child is not None:
                child.refresh()

    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == MODELS_TAB and self.registry_panel is None:
            self.show_models()
        elif change["new"] == RUNS_TAB and self.runs_table is None:
            self.notice.clear()
            with reporting(self.notice, "load the runs"):
                self._show_runs(None)

    def show_models(self) -> None:
        """Build (on first use) and select the Models tab."""
        if self.registry_panel is None:
            from jupyter_mltrack.widgets.registry_panel import RegistryPanel

            with reporting(self.notice, "open the model registry"):
                panel = RegistryPanel(read_only=self.read_only, client=self.tracking)
                self.registry_panel = panel
                self._boxes[MODELS_TAB].children = (panel,)
        self.tabs.selected_index = MODELS_TAB

    def open_experiment(self, experiment: Experiment | str) -> None:
        """Show the runs of an experiment (an Experiment, a name or an id) in the Runs tab."""
        self.notice.clear()
        with reporting(self.notice, "open the experiment"):
            found = experiment if isinstance(experiment, Experiment) else self._find(experiment)
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

    def _find(self, name_or_id: str) -> Experiment:
        found = self.tracking.get_experiment_by_name(name_or_id)
        if found is not None:
            return found
        try:
            return self.tracking.get_experiment(name_or_id)
        except (NotFoundError, InvalidParameterError):  # not an id either: report the name
            raise ExperimentNotFound(
                f"No experiment named {name_or_id!r}; pick one in the Experiments tab or "
                "check the name (mltrack experiments list)",
                experiment_id=None,
            ) from None
