"""RegistryPanel: registered models, their versions, stages, aliases, lineage and history.

The left column lists the registered models; choosing one shows its description (markdown,
rendered safely), tags, aliases and versions; choosing a version shows its details, its source
run (a button opening :class:`~jupyter_mltrack.widgets.RunView`), its transition history, and —
unless ``read_only`` — the action bar (``widgets/_registry_actions.py``). With ``read_only=True``
no action widget is created at all, so none can be found in the page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets

from jupyter_mltrack.entities import ModelVersion, ModelVersionEvent, RegisteredModel
from jupyter_mltrack.widgets._app_mode import shown_path
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children, reporting
from jupyter_mltrack.widgets._markdown import render_markdown

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.widgets._registry_actions import ActionBar

__all__ = ["RegistryPanel", "history_html", "model_html", "version_html", "versions_html"]

MAX_MODELS = 200
MAX_VERSIONS = 200


def _time(ms: int | None) -> str:
    from jupyter_mltrack.notebook.displays import format_time

    return format_time(ms)


def _pairs(label: str, values: dict[str, str], css: str) -> str:
    """A block of its own: ``label: none``, or the label above a key/value table."""
    if not values:
        return f'<div class="{css}"><b>{label}:</b> <em>none</em></div>'
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(values[k])}</td></tr>"
        for k in sorted(values)
    )
    return f'<div class="{css}"><b>{label}:</b><table>{rows}</table></div>'


def model_html(model: RegisteredModel) -> str:
    """Return a registered model's name, description (rendered markdown), tags and aliases."""
    aliases = {alias: f"version {number}" for alias, number in model.aliases.items()}
    description = render_markdown(model.description) if model.description else "<em>none</em>"
    created = html.escape(_time(model.creation_timestamp))
    updated = html.escape(_time(model.last_updated_timestamp))
    return "".join(
        [
            f"<h3>{html.escape(model.name)}</h3>",
            f'<div class="mltrack-model-description">{description}</div>',
            _pairs("Tags", dict(model.tags), "mltrack-model-tags"),
            _pairs("Aliases", aliases, "mltrack-model-aliases"),
            f"<div><small>created {created}, updated {updated}</small></div>",
        ]
    )


def versions_html(versions: Sequence[ModelVersion]) -> str:
    """Return a table of versions: number, stage, aliases, created, source run."""
    if not versions:
        return "<p><em>This model has no versions yet.</em></p>"
    rows = "".join(
        f'<tr class="mltrack-version-row"><td>{v.version}</td>'
        f'<td><span class="mltrack-stage-label">{html.escape(v.current_stage.value)}</span></td>'
        f"<td>{html.escape(', '.join(v.aliases) or '-')}</td>"
        f"<td>{html.escape(_time(v.creation_timestamp))}</td>"
        f"<td>{html.escape(v.run_id or '-')}</td></tr>"
        for v in versions
    )
    head = "<tr><th>version</th><th>stage</th><th>aliases</th><th>created</th><th>run</th></tr>"
    return f'<table class="mltrack-versions">{head}{rows}</table>'


def version_html(version: ModelVersion) -> str:
    """Return one version's details: stage, aliases, lineage, flavors, tags and description."""
    rows = {
        "stage": version.current_stage.value,
        "aliases": ", ".join(version.aliases) or "-",
        "status": version.status,
        "source": shown_path(version.source) or "-",  # a server path: not in app mode
        "source run": version.run_id or "-",
        "experiment": version.experiment_id or "-",
        "flavors": ", ".join(version.flavors) or "-",
        "created": _time(version.creation_timestamp),
        "updated": _time(version.last_updated_timestamp),
        "user": version.user_id or "-",
    }
    table = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows.items()
    )
    description = render_markdown(version.description) if version.description else "<em>none</em>"
    return (
        f"<h4>{html.escape(version.name)} version {version.version}</h4>"
        f'<table class="mltrack-version-info">{table}</table>'
        f'<b>Description</b><div class="mltrack-version-description">{description}</div>'
        + _pairs("Tags", dict(version.tags), "mltrack-version-tags")
    )


def _event_text(event: ModelVersionEvent) -> tuple[str, str]:
    if event.kind == "stage":
        return "stage", f"{event.from_value or '-'} → {event.to_value or '-'}"
    target = f"version {event.to_value}" if event.to_value else "removed"
    source = f" (was version {event.from_value})" if event.from_value else ""
    return f"alias {event.alias or ''}", f"{target}{source}"


def history_html(events: Sequence[ModelVersionEvent]) -> str:
    """Return the transition history (stage moves, alias moves), newest first."""
    if not events:
        return '<div class="mltrack-history"><em>No transitions yet.</em></div>'
    rows = []
    for event in reversed(events):
        what, change = _event_text(event)
        evidence = event.evidence_uri or ""
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(event.metrics.items()))
        cells = (_time(event.timestamp), what, change, event.user_id, event.comment or "")
        rows.append(
            "<tr>"
            + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
            + f"<td>{html.escape(' '.join(p for p in (evidence, metrics) if p))}</td></tr>"
        )
    head = (
        "<tr><th>when</th><th>what</th><th>change</th><th>who</th><th>comment</th>"
        "<th>evidence</th></tr>"
    )
    return f'<table class="mltrack-history">{head}{"".join(rows)}</table>'


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
            self.model_box.value = model_html(model) + versions_html(versions)
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
            button = ipywidgets.Button(
                description=f"v{v.version} {v.current_stage.value}",
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
            children: list[ipywidgets.Widget] = [ipywidgets.HTML(version_html(mv))]
            if mv.run_id:
                children.append(self._run_link(mv.run_id))
            history = ipywidgets.HTML(f"<b>History</b>{history_html(events)}")
            history.add_class("mltrack-history-box")
            children.append(history)
            previous = self.actions.result.value if self.actions is not None else ""
            self.actions = None
            if not self.read_only:
                from jupyter_mltrack.widgets._registry_actions import ActionBar

                self.actions = ActionBar(self.registry, mv, self.notice, self._after_action)
                self.actions.result.value = previous if self._keep_result else ""
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
            description=f"Open source run {run_id[:12]}…",
            tooltip=run_id,
            icon="external-link",
            layout=ipywidgets.Layout(width="auto"),
        )
        button.add_class("mltrack-run-link")
        button.on_click(lambda _b: self.open_run(run_id))
        return button

    def open_run(self, run_id: str) -> None:
        """Show the :class:`~jupyter_mltrack.widgets.RunView` of ``run_id`` below the version."""
        from jupyter_mltrack.widgets.run_view import RunView

        close = ipywidgets.Button(description="Close run", icon="times")
        close.add_class("mltrack-close-run")
        close.on_click(lambda _b: replace_children(self.run_area, ()))
        replace_children(self.run_area, (close, RunView(run_id, client=self.tracking)))
