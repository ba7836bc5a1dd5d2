"""Shared plumbing of the widgets: client resolution, the notice line and the widget base class.

Every widget is a :class:`TrackedWidget`: a ``VBox`` with a toolbar (holding the refresh button), a
:class:`Notice` that shows one-line messages, and a body the subclass fills in :meth:`_build`.
Store access runs inside :func:`reporting`, so an empty, unreachable or misaddressed store shows
a sentence in the widget instead of a traceback in the notebook.
"""

from __future__ import annotations

import html
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets

from jupyter_mltrack.errors import MltrackError
from jupyter_mltrack.widgets._app_mode import app_mode
from jupyter_mltrack.widgets._theme import ERROR_COLOR, MUTED_COLOR, style_html

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "Notice",
    "TrackedWidget",
    "close_tree",
    "describe_error",
    "is_expected_error",
    "mask_uri",
    "replace_children",
    "reporting",
    "resolve_clients",
    "resolve_registry",
    "resolve_tracking",
    "theme_style",
]

logger = logging.getLogger(__name__)

# Third-party exception bases that mean "the store could not be reached or answered badly".
# They are looked up in sys.modules only, so checking never imports a heavy library.
_TRANSPORT_ERRORS = (
    ("sqlalchemy.exc", "SQLAlchemyError"),
    ("urllib3.exceptions", "HTTPError"),
    ("httpx", "HTTPError"),
    ("requests.exceptions", "RequestException"),
    ("http.client", "HTTPException"),
)
_MAX_MESSAGE = 400
_PASSWORD = re.compile(r"(://[^/:@]+:)[^/@]+@")


def resolve_tracking(
    client: TrackingClient | None = None,
    tracking_uri: str | None = None,
    registry: RegistryClient | None = None,
) -> TrackingClient:
    """Return ``client``, else the registry's tracking client, else a client for ``tracking_uri``.

    With neither given, the current tracking URI (:func:`~jupyter_mltrack.get_tracking_uri`) is
    used.
    """
    if client is not None:
        return client
    if registry is not None and tracking_uri is None:
        return registry.tracking
    from jupyter_mltrack.tracking.client import TrackingClient

    return TrackingClient(tracking_uri)


def resolve_registry(
    client: TrackingClient | None = None,
    tracking_uri: str | None = None,
    registry: RegistryClient | None = None,
) -> RegistryClient:
    """Return ``registry``, else a registry client on the tracking client's store or URI.

    Raises:
        InvalidStateError: The store has no model registry.
    """
    if registry is not None:
        return registry
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.store.registry_base import RegistryStore

    if client is not None and isinstance(client.store, RegistryStore):
        return RegistryClient(store=client.store)
    if client is not None:
        return RegistryClient(client.tracking_uri)
    return RegistryClient(tracking_uri)


def resolve_clients(
    client: TrackingClient | None = None,
    tracking_uri: str | None = None,
    registry: RegistryClient | None = None,
) -> tuple[TrackingClient, RegistryClient]:
    """Return the tracking and registry clients a widget should use.

    Args:
        client: A tracking client to use as is.
        tracking_uri: A store URI, used when ``client`` is not given.
        registry: A registry client to use as is.

    Example:
        >>> tracking, registry = resolve_clients(tracking_uri="sqlite:///m.db")  # doctest: +SKIP
    """
    tracking = resolve_tracking(client, tracking_uri, registry)
    return tracking, resolve_registry(tracking, tracking_uri, registry)


def is_expected_error(exc: BaseException) -> bool:
    """Tell whether ``exc`` is a user-facing condition rather than a bug.

    Expected are the library's own errors, OS and connection errors, and the transport errors
    of SQLAlchemy, urllib3, httpx and requests (checked only if those are already imported).
    """
    if isinstance(exc, MltrackError | OSError | TimeoutError):
        return True
    for module_name, class_name in _TRANSPORT_ERRORS:
        module = sys.modules.get(module_name)
        base = getattr(module, class_name, None) if module is not None else None
        if isinstance(base, type) and isinstance(exc, base):
            return True
    return False


def mask_uri(uri: str) -> str:
    """Hide the password of a URI such as ``postgresql://user:secret@host/db``."""
    return _PASSWORD.sub(r"\1***@", uri)


def describe_error(exc: BaseException, store: str | None = None) -> str:
    """Return a one-line description of ``exc`` for the notice line.

    Args:
        exc: The error.
        store: The store's URI; transport errors (not the library's own) then read
            "Cannot reach the tracking store at <uri>: ..." (with any password masked).
    """
    message = exc.message if isinstance(exc, MltrackError) else str(exc)
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    if not isinstance(exc, MltrackError) or not first:
        first = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        if store and is_expected_error(exc) and not app_mode():
            first = f"Cannot reach the tracking store at {mask_uri(store)!r}: {first}"
    if len(first) > _MAX_MESSAGE:
        first = first[: _MAX_MESSAGE - 1] + "…"
    return first


def _widgets_in(value: object) -> Iterator[ipywidgets.Widget]:
    if isinstance(value, ipywidgets.Widget):
        yield value
    elif isinstance(value, list | tuple):
        yield from (v for v in value if isinstance(v, ipywidgets.Widget))


def close_tree(*widgets: ipywidgets.Widget) -> None:
    """Close ``widgets`` and every widget they reference, so no comm outlives a rebuild.

    Follows the synced widget-valued traits (``children``, ``layout``, ``style`` and the like),
    so a replaced subtree releases its comms in the kernel and its views in the page; a widget's
    own ``close`` runs (a live :class:`~jupyter_mltrack.widgets.MetricPlot` stops its thread).
    Do not use it on a subtree sharing a layout or style with widgets that stay shown.
    """
    seen: set[int] = set()
    stack = list(widgets)
    while stack:
        widget = stack.pop()
        if id(widget) in seen:
            continue
        seen.add(id(widget))
        for name in widget.keys:
            stack.extend(_widgets_in(getattr(widget, name, None)))
        widget.close()


def replace_children(box: ipywidgets.Box, children: Iterable[ipywidgets.Widget]) -> None:
    """Show ``children`` in ``box`` and :func:`close_tree` the children it no longer holds."""
    old = box.children
    box.children = tuple(children)
    kept = {id(child) for child in box.children}
    close_tree(*(child for child in old if id(child) not in kept))


class Notice:
    """A one-line message area (an ``ipywidgets.HTML``) for information and errors.

    The widget carries the CSS class ``mltrack-notice`` and, while showing a message,
    ``mltrack-notice-info`` or ``mltrack-notice-error`` on the inner element.
    """

    def __init__(self) -> None:
        self.widget = ipywidgets.HTML(value="")
        self.widget.add_class("mltrack-notice")
        self.widget.layout.display = "none"
        self.kind: str | None = None
        self.message: str = ""

    def _show(self, kind: str, message: str, color: str) -> None:
        self.kind, self.message = kind, message
        self.widget.value = (
            f'<div class="mltrack-notice-{kind}" style="color:{color};padding:2px 4px;'
            f'white-space:normal;overflow-wrap:anywhere">{html.escape(message)}</div>'
        )
        self.widget.layout.display = None

    def error(self, message: str) -> None:
        """Show an error message (the theme's error colour)."""
        self._show("error", message, ERROR_COLOR)

    def info(self, message: str) -> None:
        """Show an informational message (the theme's muted text colour), e.g. "No runs yet"."""
        self._show("info", message, MUTED_COLOR)

    def clear(self) -> None:
        """Hide the message."""
        self.kind, self.message = None, ""
        self.widget.value = ""
        self.widget.layout.display = "none"


@contextmanager
def reporting(
    notice: Notice, action: str | None = None, *, store: str | None = None
) -> Iterator[None]:
    """Run a block that talks to the store; show what went wrong in ``notice``.

    Expected errors (:func:`is_expected_error`) are swallowed after showing a one-line message
    (prefixed with ``"Could not <action>: "`` when ``action`` is given; ``store`` is the URI
    named when the store cannot be reached). Anything else is a bug: it is shown too, then
    re-raised so it is not hidden.
    """
    try:
        yield
    except Exception as exc:
        text = describe_error(exc, store)
        if action:
            text = f"Could not {action}: {text}"
        notice.error(text)
        if not is_expected_error(exc):
            logger.exception("Unexpected error in a jupyter_mltrack widget")
            raise


def theme_style() -> ipywidgets.HTML:
    """A hidden ``HTML`` holding the shared stylesheet (:data:`~._theme.THEME_CSS`).

    ipywidgets has no other way to ship CSS to Voila, Notebook 7 and VS Code alike; a ``<style>``
    applies wherever it sits in the page, even inside an element that is not displayed. Each
    widget carries its own copy (about 2 KB), so closing one never unstyles another.
    """
    style = ipywidgets.HTML(value=style_html(), layout=ipywidgets.Layout(display="none"))
    style.add_class("mltrack-style")
    return style


class TrackedWidget(ipywidgets.VBox):  # type: ignore[misc]
    """Base class of the widgets: clients, a notice line, a refresh button and a body.

    Every widget's root carries the CSS classes ``mltrack-widget`` (the scope of the shared
    theme CSS, shipped in a hidden ``<style>`` at the start of the toolbar) and
    ``mltrack-<css_name>``. Subclasses set ``css_name``, put their controls into
    ``self.toolbar`` / ``self.body`` and implement :meth:`_build`, which reloads from the store.
    They call ``self.refresh()`` at the end of their ``__init__``.

    The clients are resolved on first use, inside :meth:`refresh`, so a store that is down when
    the widget is created shows a message and a later refresh can still succeed.
    """

    css_name: ClassVar[str] = "widget"

    def __init__(
        self,
        *,
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
        **kwargs: Any,
    ) -> None:
        self.notice = Notice()
        self.refresh_button = ipywidgets.Button(
            description="",
            icon="refresh",
            tooltip="Reload from the tracking store",
            layout=ipywidgets.Layout(width="36px"),
        )
        self.refresh_button.add_class("mltrack-refresh")
        self.refresh_button.on_click(lambda _button: self.refresh())
        self.theme_style = theme_style()
        self.toolbar = ipywidgets.HBox([self.theme_style, self.refresh_button])
        self.toolbar.add_class("mltrack-toolbar")
        self.body = ipywidgets.VBox()
        super().__init__(children=[self.toolbar, self.notice.widget, self.body], **kwargs)
        self.add_class("mltrack-widget")
        self.add_class(f"mltrack-{self.css_name}")
        self._client_args = (client, tracking_uri, registry)
        self._tracking: TrackingClient | None = client
        self._registry: RegistryClient | None = registry

    @property
    def tracking(self) -> TrackingClient:
        """The tracking client (resolved on first use)."""
        if self._tracking is None:
            self._tracking = resolve_tracking(*self._client_args)
        return self._tracking

    @property
    def registry(self) -> RegistryClient:
        """The registry client (resolved on first use; raises if the store has no registry)."""
        if self._registry is None:
            client, tracking_uri, registry = self._client_args
            self._registry = resolve_registry(self._tracking or client, tracking_uri, registry)
        return self._registry

    @property
    def store_uri(self) -> str:
        """The URI of the store the widget reads (for messages; may hold a password)."""
        if self._tracking is not None:
            return str(self._tracking.tracking_uri)
        _client, tracking_uri, registry = self._client_args
        if tracking_uri is not None:
            return tracking_uri
        if registry is not None:
            return str(registry.tracking_uri)
        from jupyter_mltrack.tracking.uri import get_tracking_uri

        return get_tracking_uri()

    def report(self, action: str | None = None) -> AbstractContextManager[None]:
        """``with self.report("load runs"):`` — :func:`reporting` into this widget's notice."""
        return reporting(self.notice, action, store=self.store_uri)

    def refresh(self) -> None:
        """Reload everything from the store; problems show in the notice line."""
        self.notice.clear()
        with self.report():
            self._build()

    def _build(self) -> None:
        """Reload from the store and update the body; subclasses override."""
