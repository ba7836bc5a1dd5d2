"""Shared widget plumbing: client resolution, the notice line, error reporting, lazy exports."""

from __future__ import annotations

import subprocess
import sys

import ipywidgets
import pytest

import jupyter_mltrack.widgets as widgets
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.errors import InvalidStateError, RunNotFound
from jupyter_mltrack.registry.client import RegistryClient
from jupyter_mltrack.widgets._base import (
    Notice,
    TrackedWidget,
    describe_error,
    is_expected_error,
    mask_uri,
    reporting,
    resolve_clients,
)


class Probe(TrackedWidget):
    """A minimal widget: counts builds and reads the experiment list."""

    css_name = "probe"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.builds = 0
        self.experiments: list[str] = []
        self.refresh()

    def _build(self) -> None:
        self.builds += 1
        self.experiments = [e.name for e in self.tracking.search_experiments()]


def test_resolve_clients_reuses_the_given_client_and_shares_its_store(tmp_path):
    client = TrackingClient(f"sqlite:///{tmp_path / 'a.db'}")
    tracking, registry = resolve_clients(client)
    assert tracking is client
    assert isinstance(registry, RegistryClient)
    assert registry.store is client.store


def test_resolve_clients_from_uri_and_from_registry(tmp_path):
    uri = f"sqlite:///{tmp_path / 'b.db'}"
    tracking, registry = resolve_clients(tracking_uri=uri)
    assert tracking.tracking_uri == uri
    assert registry.tracking_uri == uri
    given = RegistryClient(uri)
    tracking2, registry2 = resolve_clients(registry=given)
    assert registry2 is given
    assert tracking2.tracking_uri == uri


def test_notice_shows_escaped_messages_and_hides_when_cleared():
    notice = Notice()
    assert notice.widget.layout.display == "none"
    notice.error("Run <b> failed")
    assert notice.kind == "error"
    assert "mltrack-notice-error" in notice.widget.value
    assert "&lt;b&gt;" in notice.widget.value
    assert notice.widget.layout.display is None
    notice.info("No runs yet")
    assert notice.kind == "info" and "mltrack-notice-info" in notice.widget.value
    notice.clear()
    assert (notice.kind, notice.widget.value, notice.widget.layout.display) == (None, "", "none")
    assert "mltrack-notice" in notice.widget._dom_classes


def test_reporting_swallows_expected_errors_with_a_one_line_message():
    notice = Notice()
    with reporting(notice, "load runs"):
        raise RunNotFound("Run 'abc' not found\nmore detail")
    assert notice.message == "Could not load runs: Run 'abc' not found"
    with reporting(notice):
        raise ConnectionRefusedError("refused")
    assert notice.message == "ConnectionRefusedError: refused"


def test_reporting_shows_and_reraises_bugs():
    notice = Notice()
    with pytest.raises(ZeroDivisionError), reporting(notice):
        _ = 1 / 0
    assert notice.kind == "error" and "ZeroDivisionError" in notice.message


def test_transport_errors_name_the_store_with_the_password_masked():
    import sqlalchemy.exc

    exc = sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert is_expected_error(exc)
    text = describe_error(exc, "postgresql://me:s3cret@db.example/x")
    assert text.startswith("Cannot reach the tracking store at 'postgresql://me:***@db.example/x'")
    assert "s3cret" not in text
    assert mask_uri("sqlite:///a.db") == "sqlite:///a.db"
    assert not is_expected_error(KeyError("x"))


def test_tracked_widget_has_css_class_refresh_button_and_reloads(tmp_path):
    client = TrackingClient(f"sqlite:///{tmp_path / 'c.db'}")
    probe = Probe(client=client)
    assert isinstance(probe, ipywidgets.VBox)
    assert "mltrack-probe" in probe._dom_classes
    assert probe.builds == 1 and probe.experiments == ["Default"]
    client.create_experiment("new")
    probe.refresh_button.click()
    assert probe.builds == 2
    assert sorted(probe.experiments) == ["Default", "new"]
    assert probe.notice.kind is None


def test_unreachable_postgres_shows_a_message_instead_of_a_traceback(closed_port_uri):
    probe = Probe(tracking_uri=closed_port_uri)
    assert probe.notice.kind == "error"
    assert probe.notice.message.startswith("Cannot reach the tracking store at")
    assert "127.0.0.1" in probe.notice.message


def test_unserved_http_uri_shows_a_message(monkeypatch, closed_port):
    monkeypatch.setenv("MLTRACK_HTTP_REQUEST_MAX_RETRIES", "0")
    probe = Probe(tracking_uri=f"http://127.0.0.1:{closed_port}")
    assert probe.notice.kind == "error"
    assert f"127.0.0.1:{closed_port}" in probe.notice.message


def test_registry_property_explains_a_store_without_registry(tmp_path):
    class NoRegistry(TrackedWidget):
        def _build(self) -> None:
            raise InvalidStateError("The tracking store has no model registry")

    widget = NoRegistry(client=TrackingClient(f"sqlite:///{tmp_path / 'd.db'}"))
    widget.refresh()
    assert widget.notice.message == "The tracking store has no model registry"


def test_lazy_exports_name_every_widget():
    assert set(widgets.__all__) >= {
        "RunsTable",
        "RunComparison",
        "MetricPlot",
        "RunView",
        "ArtifactBrowser",
        "RegistryPanel",
        "Dashboard",
        "ExperimentsList",
    }
    from jupyter_mltrack.widgets.runs_table import RunsTable

    assert widgets.RunsTable is RunsTable
    with pytest.raises(AttributeError, match="NoSuchWidget"):
        _ = widgets.NoSuchWidget


def test_importing_the_package_loads_neither_ipywidgets_nor_plotly():
    code = (
        "import sys, jupyter_mltrack.widgets\n"
        "print(sorted(m for m in ('ipywidgets', 'plotly', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
