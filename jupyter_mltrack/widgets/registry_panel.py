"""RegistryPanel: registered models, their versions, stages, aliases, lineage and history.

The left column lists the registered models; choosing one shows its description (markdown,
rendered safely), tags, aliases and versions — each with its source run's name and key metric
(``widgets/_registry_html.py``); choosing a version shows its details, its source run (a button
opening :class:`~jupyter_mltrack.widgets.RunView`), its transition history, and — unless
``read_only`` — the action bar (``widgets/_registry_actions.py``). With ``read_only=True`` no
action widget is created at all, so none can be found in the page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets

from jupyter_mltrack.entities import ModelVersion, RegisteredModel, Run
from jupyter_mltrack.errors import NotFoundError
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children, reporting
from jupyter_mltrack.widgets._objective import Objective, experiment_objective
from jupyter_mltrack.widgets._registry_html import (
    VersionRun,
    history_html,
    model_html,
    run_label,
    version_html,
    versions_html,
)

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.widgets._registry_actions import ActionBar

__all__ = ["RegistryPanel", "history_html", "model_html", "version_html", "versions_html"]

MAX_MODELS = 200
MAX_VERSIONS = 200
_RUN_IDS_PER_QUERY = 100


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class RegistryPanel(TrackedWidget):
    """Browse the model registry and, unless read-only, move versions between stages and aliases.

    Args:
        read_only: Build no action widget at all (for stakeholders' dashboards).
        client: A tracking client on the store; by default one for ``tracking_uri``.
        tracking_uri: The store to read when no client is given.
        registry: A registry client to use as is.
        filter_string: A registered-model filter, e.g. ``"name LIKE 'churn%'"``.

    Example:
        >>> from jupyter_mltrack.widgets import RegistryPanel
        >>> panel = RegistryPanel()  # doctest: +SKIP
        >>> panel.select_model("churn"); panel.select_version(3)  # doctest: +SKIP
        >>> panel.actions.stage_buttons[ModelStage.PRODUCTION].click()  # doctest: +SKIP
        >>> panel.actions.confirm_button.click()  # doctest: +SKIP
    """

    css_name = "registry-panel"

    def __init__(
        self,
        read_only: bool = False,
        *,
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
        filter_string: str = "",
    ) -> None:
        super().__init__(client=client, tracking_uri=tracking_uri, registry=registry)
        self.read_only = read_only
        self.models: list[RegisteredModel] = []
        self.versions: list[ModelVersion] = []
        #: The source run (and key metric) of each version shown, by run id.
        self.version_runs: dict[str, VersionRun] = {}
        self.selected_model: str | None = None
        self.selected_version: int | None = None
        #: The action bar of the selected version; always None when read-only.
        self.actions: ActionBar | None = None
        self.filter_text = ipywidgets.Text(
            value=filter_string, placeholder="name LIKE 'churn%'", continuous_update=False
        )
        self.filter_text.add_class("mltrack-filter")
        self.toolbar.children = (*self.toolbar.children, self.filter_text)
        self.model_list = ipywidgets.VBox(layout=ipywidgets.Layout(width="25%"))
        self.model_list.add_class("mltrack-model-list")
        self.model_box = ipywidgets.HTML("")
        self.model_box.add_class("mltrack-model-details")
        self.version_buttons = ipywidgets.HBox(layout=ipywidgets.Layout(flex_flow="row wrap"))
        self.version_box = ipywidgets.VBox()
        self.version_box.add_class("mltrack-version-details")
        self.run_area = ipywidgets.VBox()
        self.run_area.add_class("mltrack-run-area")
        details = ipywidgets.VBox(
            [self.model_box, self.version_buttons, self.version_box, self.run_area],
            layout=ipywidgets.Layout(width="75%"),
        )
        self.body.children = [ipywidgets.HBox([self.model_list, details])]
        self.refresh()
        # Observed after the first load; with continuous_update off, it fires on Enter or blur.
        self.filter_text.observe(lambda _change: self.refresh(), names="value")

    # -- models -----------------------------------------------------------------------------
    def _build(self) -> None:
        page = self.registry.search_registered_models(
            self.filter_text.value.strip(), max_results=MAX_MODELS, order_by=["name"]
        )
        self.models = list(page)
        buttons = []
        for model in self.models:
            button = ipywidgets.Button(description=model.name, tooltip=model.name)
            button.add_class("mltrack-model")
            button.on_click(lambda _b, name=model.name: self.select_model(name))
            buttons.append(button)
        if page.token:
            buttons.append(ipywidgets.HTML(f"<i>first {MAX_MODELS} models; filter to narrow</i>"))
        replace_children(self.model_list, buttons)
        names = [m.name for m in self.models]
        if not names:
            self._clear_details()
            filtered = " matching the filter" if self.filter_text.value.strip() else ""
            self.notice.info(f"No registered models{filtered} yet.")
            return
        keep = self.selected_model if self.selected_model in names else names[0]
        self.select_model(keep, version=self.selected_version)

    def _clear_details(self) -> None:
        self.model_box.value = ""
        for box in (self.version_buttons, self.version_box, self.run_area):
            replace_children(box, ())
        self.selected_model = self.selected_version = None
        self.actions = None

    def select_model(self, name: str, *, version: int | None = None) -> None:
        """Show a registered model and its versions; select ``version`` (default: the newest)."""
        with reporting(self.notice, f"load model {name!r}"):
            model = self.registry.get_registered_model(name)
            versions = list(
                self.registry.search_model_versions(
                    f"name = {_quote(name)}",
                    max_results=MAX_VERSIONS,
                    order_by=["version_number DESC"],
                )
            )
            self.selected_model, self.versions = name, versions
            self.version_runs = self._runs_of(versions)
            self.model_box.value = model_html(model) + versions_html(versions, self.version_runs)
            self._version_buttons(versions)
            numbers = [v.version for v in versions]
            if not numbers:
                replace_children(self.version_box, ())
                self.actions, self.selected_version = None, None
                return
            self.select_version(version if version in numbers else numbers[0])

    def _version_buttons(self, versions: Sequence[ModelVersion]) -> None:
        buttons = []
        for v in versions:
            run = run_label(v.run_id, self.version_runs)
            button = ipywidgets.Button(
                description=f"v{v.version} {v.current_stage.value} · {run}",
                tooltip=f"Version {v.version}, from run {run}",
                layout=ipywidgets.Layout(width="auto"),
            )
            button.add_class("mltrack-version")
            button.add_class(f"mltrack-version-{v.version}")
            button.on_click(lambda _b, n=v.version: self.select_version(n))
            buttons.append(button)
        replace_children(self.version_buttons, buttons)

    # -- one version ----------------------------------------------------------------------------
    def select_version(self, version: int) -> None:
        """Show one version of the selected model: details, lineage, history and actions."""
        if self.selected_model is None:
            self.notice.error("Select a registered model first")
            return
        name = self.selected_model
        with reporting(self.notice, f"load {name!r} version {version}"):
            mv = self.registry.get_model_version(name, version)
            events = self.registry.get_model_version_history(name, version)
            self.selected_version = mv.version
            for button in self.version_buttons.children:
                button.button_style = (
                    "info" if f"mltrack-version-{version}" in button._dom_classes else ""
                )
            source = self.version_runs.get(mv.run_id or "")
            children: list[ipywidgets.Widget] = [ipywidgets.HTML(version_html(mv, source))]
            if mv.run_id:
                children.append(self._run_link(mv.run_id))
            history = ipywidgets.HTML(f"<b>History</b>{history_html(events)}")
            history.add_class("mltrack-history-box")
            children.append(history)
            previous = self.actions
            self.actions = None
            if not self.read_only:
                from jupyter_mltrack.widgets._registry_actions import ActionBar

                self.actions = ActionBar(
                    self.registry, mv, self.notice, self._after_action, siblings=self.versions
                )
                if previous is not None and self._keep_result:
                    self.actions.carry_result(previous)
                children.append(self.actions)
            # Closes the previous version's widgets (its action bar too, even when this runs
            # from that bar's own Confirm click: ipywidgets is done with the message by then).
            replace_children(self.version_box, children)
            replace_children(self.run_area, ())

    _keep_result = False

    def _after_action(self) -> None:
        """Reload the model and version after an action, keeping the action's message."""
        assert self.selected_model is not None
        self._keep_result = True
        try:
            self.select_model(self.selected_model, version=self.selected_version)
        finally:
            self._keep_result = False

    def _run_link(self, run_id: str) -> ipywidgets.Widget:
        button = ipywidgets.Button(
            description=f"Open source run {run_label(run_id, self.version_runs)}",
            tooltip=run_id,
            icon="external-link",
            layout=ipywidgets.Layout(width="auto"),
        )
        button.add_class("mltrack-run-link")
        button.on_click(lambda _b: self.open_run(run_id))
        return button

    def _runs_of(self, versions: Sequence[ModelVersion]) -> dict[str, VersionRun]:
        """Load the versions' source runs (a search per experiment) and their objectives."""
        by_experiment: dict[str, list[str]] = {}
        runs: list[Run] = []
        for v in versions:
            if v.run_id and v.experiment_id:
                by_experiment.setdefault(v.experiment_id, []).append(v.run_id)
            elif v.run_id:  # registered without its experiment recorded: ask for the run
                with contextlib.suppress(NotFoundError):
                    runs.append(self.tracking.get_run(v.run_id))
        for experiment_id, run_ids in by_experiment.items():
            for start in range(0, len(run_ids), _RUN_IDS_PER_QUERY):
                chunk = ", ".join(f"'{r}'" for r in run_ids[start : start + _RUN_IDS_PER_QUERY])
                runs.extend(
                    self.tracking.search_runs(
                        [experiment_id], f"attributes.run_id IN ({chunk})", max_results=1000
                    )
                )
        objectives: dict[str, Objective | None] = {}
        found: dict[str, VersionRun] = {}
        for run in runs:
            experiment_id = run.info.experiment_id
            if experiment_id not in objectives:
                objectives[experiment_id] = experiment_objective(self.tracking, experiment_id)
            found[run.info.run_id] = VersionRun(run, objectives[experiment_id])
        return found

    def open_run(self, run_id: str) -> None:
        """Show the :class:`~jupyter_mltrack.widgets.RunView` of ``run_id`` below the version."""
        from jupyter_mltrack.widgets.run_view import RunView

        close = ipywidgets.Button(description="Close run", icon="times")
        close.add_class("mltrack-close-run")
        close.on_click(lambda _b: replace_children(self.run_area, ()))
        replace_children(self.run_area, (close, RunView(run_id, client=self.tracking)))
