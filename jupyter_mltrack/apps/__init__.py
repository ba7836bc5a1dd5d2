"""Packaged notebooks served by Voila, and the settings they read from the environment.

``mltrack dashboard`` starts Voila on :data:`DASHBOARD_NOTEBOOK` and hands its options to the
notebook's kernel through environment variables (Voila passes its own environment on to the
kernels it starts): :data:`ENV_TRACKING_URI`, :data:`ENV_EXPERIMENT` and :data:`ENV_READ_ONLY`.
The notebook itself is two lines that call :func:`show_dashboard`, so the logic stays testable
without a browser and no code is worth showing to the stakeholders who open the page.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mltrack.errors import InvalidParameterError

if TYPE_CHECKING:
    from jupyter_mltrack.widgets.dashboard import Dashboard

__all__ = [
    "DASHBOARD_NOTEBOOK",
    "ENV_EXPERIMENT",
    "ENV_READ_ONLY",
    "ENV_TRACKING_URI",
    "DashboardSettings",
    "header_html",
    "show_dashboard",
]

#: The notebook ``mltrack dashboard`` serves; shipped inside the wheel next to this module.
DASHBOARD_NOTEBOOK = Path(__file__).with_name("dashboard.ipynb")

ENV_TRACKING_URI = "MLTRACK_TRACKING_URI"
ENV_EXPERIMENT = "MLTRACK_DASHBOARD_EXPERIMENT"
ENV_READ_ONLY = "MLTRACK_DASHBOARD_READ_ONLY"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardSettings:
    """What the dashboard app shows: which store, which experiment first, and whether it may act.

    Attributes:
        tracking_uri: The store to read; ``None`` means the library's default resolution.
        experiment: Name (or id) of the experiment whose runs open first; ``None``: all.
        read_only: Hide every action (stage transitions, aliases, promotions).
    """

    tracking_uri: str | None = None
    experiment: str | None = None
    read_only: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DashboardSettings:
        """Read the settings ``mltrack dashboard`` put in the environment.

        Read-only is the default: a dashboard only acts when told so explicitly.

        Raises:
            InvalidParameterError: ``MLTRACK_DASHBOARD_READ_ONLY`` is not a boolean word.
        """
        env = os.environ if environ is None else environ
        return cls(
            tracking_uri=env.get(ENV_TRACKING_URI) or None,
            experiment=env.get(ENV_EXPERIMENT) or None,
            read_only=_parse_bool(env.get(ENV_READ_ONLY, ""), default=True),
        )

    def to_env(self) -> dict[str, str]:
        """Return the environment variables that carry these settings to the app's kernel."""
        env = {ENV_READ_ONLY: "true" if self.read_only else "false"}
        if self.tracking_uri:
            env[ENV_TRACKING_URI] = self.tracking_uri
        if self.experiment:
            env[ENV_EXPERIMENT] = self.experiment
        return env


def header_html(settings: DashboardSettings) -> str:
    """Return the page header: a title, the experiment shown first and the mode.

    The store is never named: its URI is a server file path or a database address (maybe with
    credentials), and the visitors of the page have no business with either.
    """
    mode = "read-only" if settings.read_only else "actions enabled"
    facts = [f"<span class='mltrack-app-mode'>{mode}</span>"]
    if settings.experiment:
        facts.insert(0, f"experiment <b>{html.escape(settings.experiment)}</b>")
    return (
        "<div class='mltrack-app-header'>"
        "<h1 style='margin:0 0 4px 0'>Experiment dashboard</h1>"
        f"<div class='mltrack-app-facts'>{' · '.join(facts)}</div>"
        "</div>"
    )


def show_dashboard(settings: DashboardSettings | None = None) -> Dashboard:
    """Display the header and a :class:`~jupyter_mltrack.widgets.Dashboard`; return the widget.

    This is what the packaged ``dashboard.ipynb`` runs, with the settings from the environment.
    It puts the kernel into app mode (``widgets/_app_mode.py``): no widget of the page writes a
    file on the server or shows a server path.
    """
    from IPython.display import HTML, display

    from jupyter_mltrack.widgets._app_mode import enable_app_mode

    # Before any widget exists: visitors of the page may never write on the server.
    enable_app_mode()
    settings = DashboardSettings.from_env() if settings is None else settings
    display(HTML(header_html(settings)))  # type: ignore[no-untyped-call]
    from jupyter_mltrack.widgets import Dashboard

    dashboard = Dashboard(
        experiment=settings.experiment,
        read_only=settings.read_only,
        tracking_uri=settings.tracking_uri,
    )
    display(dashboard)  # type: ignore[no-untyped-call]
    return dashboard


def _parse_bool(text: str, *, default: bool) -> bool:
    word = text.strip().lower()
    if not word:
        return default
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InvalidParameterError(f"{ENV_READ_ONLY}={text!r} is not a boolean; use true or false")
