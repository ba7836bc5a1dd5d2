"""The action bar of the registry panel: stage transitions, aliases and gated promotion.

Every action asks first, right below the row of the button that was pressed (a confirm/cancel
row, CSS class ``mltrack-confirm-row``; with a warning when a transition would leave a stage
without any version), then calls the :class:`~jupyter_mltrack.registry.RegistryClient` — which
records the move in the version's history — and reports the outcome once, in the same place
(``mltrack-action-result``). A promotion gated by a validation notebook runs in a background
thread (a notebook takes seconds to minutes), so the kernel keeps answering while a progress
message is shown.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import ipywidgets

from jupyter_mltrack.entities import ModelStage, ModelVersion
from jupyter_mltrack.widgets._base import Notice, describe_error, is_expected_error

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient

__all__ = ["ActionBar"]

#: The stages a version can be moved to from the panel, in button order.
STAGES = (ModelStage.STAGING, ModelStage.PRODUCTION, ModelStage.ARCHIVED, ModelStage.NONE)


def _button(label: str, *css: str, style: str = "") -> ipywidgets.Button:
    button = ipywidgets.Button(description=label, button_style=style)
    for name in css:
        button.add_class(name)
    return button


class ActionBar(ipywidgets.VBox):  # type: ignore[misc]
    """Buttons acting on one model version, each behind a confirmation.

    Args:
        registry: The registry client that performs the actions.
        version: The version acted on.
        notice: The panel's notice line (kept for the panel's own messages).
        on_change: Called (with no argument) after an action changed the registry.
        siblings: The model's versions (this one included), to warn when a transition would
            leave a stage empty.
    """

    def __init__(
        self,
        registry: RegistryClient,
        version: ModelVersion,
        notice: Notice,
        on_change: Callable[[], None],
        *,
        siblings: Sequence[ModelVersion] = (),
    ) -> None:
        self._registry, self.version, self._notice = registry, version, notice
        self._siblings = list(siblings)
        self._on_change = on_change
        #: The thread of a running gated promotion, if any (join it to wait).
        self.pending: threading.Thread | None = None
        self._confirmed: Callable[[], str] | None = None
        self.stage_buttons = {
            stage: _button(
                f"→ {stage.value}", "mltrack-action", f"mltrack-stage-{stage.value.lower()}"
            )
            for stage in STAGES
        }
        for stage, button in self.stage_buttons.items():
            button.disabled = stage is version.current_stage
            button.on_click(lambda _b, s=stage: self.ask_transition(s))
        self.archive_existing = ipywidgets.Checkbox(
            value=False, description="archive existing versions in that stage", indent=False
        )
        self.archive_existing.add_class("mltrack-archive-existing")
        self.alias_text = ipywidgets.Text(placeholder="alias, e.g. champion")
        self.alias_text.add_class("mltrack-alias-name")
        self.alias_button = _button("Set alias", "mltrack-action", "mltrack-set-alias")
        self.alias_button.on_click(lambda _b: self.ask_alias(self.alias_text.value))
        self.notebook_text = ipywidgets.Text(placeholder="validation notebook path (.ipynb)")
        self.notebook_text.add_class("mltrack-validation-notebook")
        self.promote_stage = ipywidgets.Dropdown(
            options=[s.value for s in STAGES[:2]], value=ModelStage.PRODUCTION.value
        )
        self.promote_stage.add_class("mltrack-promote-stage")
        self.promote_button = _button("Validate & promote", "mltrack-action", "mltrack-promote")
        self.promote_button.on_click(
            lambda _b: self.ask_promotion(self.notebook_text.value, self.promote_stage.value)
        )
        self.question = ipywidgets.HTML("")
        self.confirm_button = _button("Confirm", "mltrack-confirm", style="warning")
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.cancel_button = _button("Cancel", "mltrack-cancel")
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.confirm_row = ipywidgets.HBox([self.question, self.confirm_button, self.cancel_button])
        self.confirm_row.add_class("mltrack-confirm-row")
        self.confirm_row.layout.display = "none"
        self.result = ipywidgets.HTML("")
        self.result.add_class("mltrack-action-result")
        self.rows = (
            ipywidgets.HBox([*self.stage_buttons.values(), self.archive_existing]),
            ipywidgets.HBox([self.alias_text, self.alias_button]),
            ipywidgets.HBox([self.notebook_text, self.promote_stage, self.promote_button]),
        )
        for row, name in zip(self.rows, ("stage", "alias", "promote"), strict=True):
            row.add_class(f"mltrack-actions-{name}")
        #: The row whose button asked last: the confirmation and the result appear below it.
        self.active_row = len(self.rows) - 1
        super().__init__()
        self._place(self.active_row)
        self.add_class("mltrack-registry-actions")

    def _place(self, row: int) -> None:
        """Put the confirmation and the result right below row ``row`` (next to its button)."""
        self.active_row = row
        rows = list(self.rows)
        self.children = [*rows[: row + 1], self.confirm_row, self.result, *rows[row + 1 :]]

    def carry_result(self, other: ActionBar) -> None:
        """Show ``other``'s result in the same place (the panel rebuilds the bar after acting)."""
        self.result.value = other.result.value
        self._place(other.active_row)

    @property
    def _label(self) -> str:
        return f"{self.version.name!r} version {self.version.version}"

    # -- asking -------------------------------------------------------------------------------
    def _ask(self, question: str, action: Callable[[], str], row: int, warning: str = "") -> None:
        self._confirmed = action
        self.result.value = ""
        warn = (
            f' <span class="mltrack-confirm-warning" style="color:var(--jp-warn-color0,#b26a00)">'
            f"⚠ {html.escape(warning, quote=False)}</span>"
            if warning
            else ""
        )
        self.question.value = f"<b>{html.escape(question, quote=False)}</b>{warn}"
        self.confirm_row.layout.display = None
        self._place(row)

    def empties_stage(self, stage: ModelStage) -> ModelStage | None:
        """The stage that moving this version to ``stage`` would leave without any version."""
        current = self.version.current_stage
        if current not in (ModelStage.STAGING, ModelStage.PRODUCTION) or current is stage:
            return None
        others = [
            v
            for v in self._siblings
            if v.version != self.version.version and v.current_stage is current
        ]
        return None if others else current

    def ask_transition(self, stage: ModelStage) -> None:
        """Ask to move the version to ``stage`` (with the "archive existing" choice)."""
        archive = bool(self.archive_existing.value) and stage in (
            ModelStage.STAGING,
            ModelStage.PRODUCTION,
        )
        extra = f", archiving the versions now in {stage.value}" if archive else ""
        emptied = self.empties_stage(stage)
        warning = f"No version will be left in {emptied.value}." if emptied is not None else ""
        self._ask(
            f"Move {self._label} to {stage.value}{extra}?",
            lambda: self._transition(stage, archive),
            0,
            warning,
        )

    def ask_alias(self, alias: str) -> None:
        """Ask to point ``alias`` at the version (moving it from another version if set)."""
        alias = alias.strip()
        if not alias:
            self._place(1)
            self._show_error("Type an alias name first, e.g. champion")
            return
        self._ask(f"Point alias {alias!r} at {self._label}?", lambda: self._set_alias(alias), 1)

    def ask_promotion(self, notebook: str, stage: str) -> None:
        """Ask to run ``notebook`` against the version and promote it to ``stage`` if it passes."""
        notebook = notebook.strip()
        if not notebook:
            self._place(2)
            self._show_error("Give the path of a validation notebook (.ipynb) first")
            return
        self._ask(
            f"Run {notebook!r} on {self._label} and move it to {stage} if it passes?",
            lambda: self._start_promotion(notebook, stage),
            2,
        )

    def cancel(self) -> None:
        """Drop the pending question."""
        self._confirmed = None
        self.confirm_row.layout.display = "none"

    def confirm(self) -> None:
        """Run the action the pending question is about, and show its result."""
        action, self._confirmed = self._confirmed, None
        self.confirm_row.layout.display = "none"
        if action is None:
            return
        try:
            message = action()
        except Exception as exc:
            self._show_error(describe_error(exc))
            if not is_expected_error(exc):
                raise
            return
        if message:
            self._show_ok(message)
            self._on_change()

    # -- doing --------------------------------------------------------------------------------
    def _transition(self, stage: ModelStage, archive: bool) -> str:
        self._registry.transition_model_version_stage(
            self.version.name, self.version.version, stage, archive_existing_versions=archive
        )
        return f"{self._label} is now in {stage.value}."

    def _set_alias(self, alias: str) -> str:
        self._registry.set_registered_model_alias(self.version.name, alias, self.version.version)
        return f"Alias {alias!r} now points at {self._label}."

    def _start_promotion(self, notebook: str, stage: str) -> str:
        self._set_busy(True)
        self._show_info(f"Running {notebook!r} on {self._label}… the kernel stays usable.")
        self.pending = threading.Thread(
            target=self._promote, args=(notebook, stage), name="mltrack-promotion", daemon=True
        )
        self.pending.start()
        return ""  # the thread reports the outcome

    def _promote(self, notebook: str, stage: str) -> None:
        try:
            self._registry.promote(
                self.version.name, self.version.version, stage=stage, validate_with=notebook
            )
        except Exception as exc:  # reported in the panel; a thread has no caller to raise to
            self._show_error(f"Promotion rejected: {describe_error(exc)}")
        else:
            self._show_ok(f"Validation passed: {self._label} is now in {stage}.")
            try:
                self._on_change()
            except Exception as exc:
                self._show_error(describe_error(exc))
        finally:
            self._set_busy(False)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a running gated promotion to finish (for scripts and tests)."""
        if self.pending is not None:
            self.pending.join(timeout)

    # -- reporting ----------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        for button in (*self.stage_buttons.values(), self.alias_button, self.promote_button):
            button.disabled = busy
        if not busy:
            self.stage_buttons[self.version.current_stage].disabled = True

    # Each outcome is shown once, below the button that asked (not repeated in the notice).
    def _show_ok(self, message: str) -> None:
        self.result.value = (
            '<span class="mltrack-result-ok" style="color:var(--jp-success-color1,#2e7d32)">'
            f"✔ {html.escape(message, quote=False)}</span>"
        )

    def _show_info(self, message: str) -> None:
        self.result.value = f'<span class="mltrack-result-busy">{html.escape(message)}</span>'

    def _show_error(self, message: str) -> None:
        self.result.value = (
            '<span class="mltrack-result-error" style="color:var(--jp-error-color1,#b00020)">'
            f"{html.escape(message)}</span>"
        )
