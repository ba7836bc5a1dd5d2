"""``%mltrack dashboard``: displays the Dashboard widget, with an experiment and --read-only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from ipywidgets.widgets.widget import _instances

import jupyter_mltrack as mlt
from jupyter_mltrack.notebook.line_magic import USAGE, register_line_magic
from jupyter_mltrack.widgets import Dashboard

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def ip(tmp_path: Path) -> Iterator[InteractiveShell]:
    mlt.set_tracking_uri(tmp_path / "mlruns.db")
    shell = InteractiveShell.instance()
    register_line_magic(shell)
    yield shell


def _shown(ip: InteractiveShell, line: str) -> Dashboard:
    with capture_output() as captured:
        ip.run_line_magic("mltrack", line)
    (output,) = captured.outputs
    widget = _instances[output.data[WIDGET_MIME]["model_id"]]
    assert isinstance(widget, Dashboard)
    return widget


def test_dashboard_is_displayed_on_the_current_store(ip: InteractiveShell) -> None:
    mlt.set_experiment("churn")
    with mlt.start_run(run_name="first"):
        mlt.log_metric("acc", 0.9)
    dashboard = _shown(ip, "dashboard")
    assert dashboard.tabs.selected_index == 0 and not dashboard.read_only
    summary = dashboard.overview.overview if dashboard.overview is not None else None
    assert summary is not None  # it lands on the summary of the experiment with the newest run
    assert (summary.experiment.name, summary.total_runs) == ("churn", 1)


def test_dashboard_with_an_experiment_and_read_only(ip: InteractiveShell) -> None:
    mlt.set_experiment("my exp")
    dashboard = _shown(ip, "dashboard 'my exp' --read-only")
    assert dashboard.read_only
    assert dashboard.experiment is not None and dashboard.experiment.name == "my exp"


def test_dashboard_usage_errors(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="dashboard does not know '--bogus'"):
        ip.run_line_magic("mltrack", "dashboard --bogus")
    with pytest.raises(UsageError, match="at most 1 argument"):
        ip.run_line_magic("mltrack", "dashboard a b")
    assert "%mltrack dashboard [EXPERIMENT] [--read-only]" in USAGE
