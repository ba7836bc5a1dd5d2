"""%mltrack: subcommands in-process on a real InteractiveShell, errors as one-line UsageError."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import jupyter_mltrack as mlt
from jupyter_mltrack.notebook.config import CONFIG
from jupyter_mltrack.notebook.line_magic import register_line_magic


@pytest.fixture
def ip(tmp_path: Path) -> Iterator[InteractiveShell]:
    mlt.set_tracking_uri(tmp_path / "mlruns.db")
    shell = InteractiveShell.instance()
    register_line_magic(shell)
    register_line_magic(shell)  # idempotent
    yield shell
    CONFIG.reset()


def _run(ip: InteractiveShell, line: str) -> str:
    with capture_output() as captured:
        ip.run_line_magic("mltrack", line)
    texts = [output.data.get("text/plain", "") for output in captured.outputs]
    return "\n".join(texts) + captured.stdout


def test_status_shows_uri_experiment_and_active_runs(ip: InteractiveShell) -> None:
    assert "(none)" in _run(ip, "status")
    with mlt.start_run() as run:
        out = _run(ip, "status")
    assert mlt.get_tracking_uri() in out
    assert "Default" in out
    assert run.info.run_id in out


def test_empty_line_is_status(ip: InteractiveShell) -> None:
    assert "tracking URI" in _run(ip, "")


def test_experiment_sets_and_shows(ip: InteractiveShell) -> None:
    assert "churn" in _run(ip, "experiment churn")
    assert "churn" in _run(ip, "experiment")
    with mlt.start_run() as run:
        pass
    assert mlt.get_experiment(run.info.experiment_id).name == "churn"


def test_experiment_name_with_spaces_is_quoted(ip: InteractiveShell) -> None:
    assert "my exp" in _run(ip, "experiment 'my exp'")


def test_runs_shows_a_table_of_the_current_experiment(ip: InteractiveShell) -> None:
    _run(ip, "experiment table")
    for acc in (0.5, 0.95):
        with mlt.start_run():
            mlt.log_metric("acc", acc)
    with capture_output() as captured:
        ip.run_line_magic("mltrack", "runs")
    html = captured.outputs[0].data["text/html"]
    assert "metrics.acc" in html and html.count("FINISHED") == 2
    with capture_output() as captured:
        ip.run_line_magic("mltrack", "runs metrics.acc > 0.9")
    assert captured.outputs[0].data["text/html"].count("FINISHED") == 1


def test_runs_with_no_match_says_so(ip: InteractiveShell) -> None:
    assert "no runs" in _run(ip, "runs metrics.acc > 2")


def test_show_displays_the_run(ip: InteractiveShell) -> None:
    with mlt.start_run(run_name="shown") as run:
        mlt.log_param("lr", 0.1)
    assert "shown" in _run(ip, f"show {run.info.run_id}")


def test_uri_shows_and_sets(ip: InteractiveShell, tmp_path: Path) -> None:
    target = tmp_path / "other.db"
    out = _run(ip, f"uri {target}")
    assert "other.db" in out and "other.db" in mlt.get_tracking_uri()


def test_config_sets_and_lists(ip: InteractiveShell) -> None:
    out = _run(ip, "config live=false save_notebook=yes")
    assert CONFIG.live is False and CONFIG.save_notebook is True
    assert "live = false" in out and "quiet = false" in out


def test_help_lists_every_command(ip: InteractiveShell) -> None:
    out = _run(ip, "help")
    for command in ("status", "experiment", "runs", "show", "uri", "config", "help"):
        assert f"%mltrack {command}" in out


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("frobnicate", "unknown command 'frobnicate'"),
        ("show", "show takes one RUN_ID"),
        ("show a b", "show takes one RUN_ID"),
        ("show 0123456789abcdef0123456789abcdef", "show:"),
        ("status extra", "at most 0"),
        ("experiment a b", "at most 1"),
        ("config live", "KEY=VALUE"),
        ("config nope=1", "Unknown setting 'nope'"),
        ("config live=maybe", "true or false"),
        ("experiment 'unclosed", "No closing quotation"),
        ("runs metrics.acc >>> 1", "runs:"),
    ],
)
def test_bad_arguments_raise_one_line_usage_error(
    ip: InteractiveShell, line: str, message: str
) -> None:
    with pytest.raises(UsageError, match=r"^%mltrack") as info:
        ip.run_line_magic("mltrack", line)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert info.value.__cause__ is None
