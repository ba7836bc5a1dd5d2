"""The packaged dashboard app: its settings, its header, and the notebook run in a real kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import jupyter_mltrack as mlt
from jupyter_mltrack.apps import (
    DASHBOARD_NOTEBOOK,
    ENV_EXPERIMENT,
    ENV_READ_ONLY,
    ENV_TRACKING_URI,
    DashboardSettings,
    header_html,
)
from jupyter_mltrack.errors import InvalidParameterError

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_settings_default_to_read_only_and_the_current_store() -> None:
    assert DashboardSettings.from_env({}) == DashboardSettings(
        tracking_uri=None, experiment=None, read_only=True
    )


@pytest.mark.parametrize(
    ("word", "read_only"),
    [("true", True), ("1", True), ("YES", True), ("false", False), ("0", False), ("off", False)],
)
def test_read_only_accepts_boolean_words(word: str, read_only: bool) -> None:
    assert DashboardSettings.from_env({ENV_READ_ONLY: word}).read_only is read_only


def test_a_malformed_read_only_flag_says_what_to_write() -> None:
    with pytest.raises(InvalidParameterError, match="MLTRACK_DASHBOARD_READ_ONLY='maybe'"):
        DashboardSettings.from_env({ENV_READ_ONLY: "maybe"})


def test_settings_travel_through_the_environment_unchanged() -> None:
    settings = DashboardSettings(
        tracking_uri="sqlite:////data/t.db", experiment="churn", read_only=False
    )
    env = settings.to_env()
    assert env == {
        ENV_TRACKING_URI: "sqlite:////data/t.db",
        ENV_EXPERIMENT: "churn",
        ENV_READ_ONLY: "false",
    }
    assert DashboardSettings.from_env(env) == settings


def test_header_escapes_names_and_never_shows_the_store() -> None:
    settings = DashboardSettings(
        tracking_uri="https://ann:s3cret@mltrack.example.com/", experiment="<b>x</b>"
    )
    header = header_html(settings)
    assert "s3cret" not in header and "ann" not in header
    assert "mltrack.example.com" not in header  # the store is not the visitors' business
    assert "&lt;b&gt;x&lt;/b&gt;" in header
    assert "read-only" in header
    assert "actions enabled" in header_html(DashboardSettings(read_only=False))


def test_the_notebook_ships_next_to_the_module_and_only_calls_show_dashboard() -> None:
    notebook = nbformat.read(DASHBOARD_NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert len(code) == 1
    statements = [line for line in code[0].splitlines() if line and not line.startswith("#")]
    assert statements == [
        "from jupyter_mltrack.apps import show_dashboard",
        "dashboard = show_dashboard()",
    ]
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    assert notebook.metadata["title"] == "Experiment dashboard"


@pytest.mark.kernel
def test_the_notebook_renders_the_dashboard_in_a_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    client = mlt.TrackingClient(uri)
    run = client.create_run(client.create_experiment("churn"), run_name="first")
    client.set_terminated(run.info.run_id)
    notebook = nbformat.read(DASHBOARD_NOTEBOOK, as_version=4)
    # The kernel inherits the environment, as under Voila.
    for key, value in DashboardSettings(tracking_uri=uri, experiment="churn").to_env().items():
        monkeypatch.setenv(key, value)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute(
        cwd=str(DASHBOARD_NOTEBOOK.parent)
    )
    outputs = notebook.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "display_data"]
    assert "experiment <b>churn</b>" in outputs[0].data["text/html"]
    assert WIDGET_VIEW in outputs[1].data
