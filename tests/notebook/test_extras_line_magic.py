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


def _runs_html(ip: InteractiveShell, line: str) -> str:
    with capture_output() as captured:
        ip.run_line_magic("mltrack", line)
    (output,) = captured.outputs
    return str(output.data["text/html"])


def test_runs_shows_a_compact_table_of_the_current_experiment(ip: InteractiveShell) -> None:
    _run(ip, "experiment table")
    for name, acc in (("low", 0.5), ("high", 0.95)):
        with mlt.start_run(run_name=name) as run:
            mlt.log_metric("acc", acc)
            mlt.log_params({"model": "rf", "depth": 3 if acc < 0.9 else 5})
    with mlt.start_run(run_name="bare"):
        mlt.log_param("model", "rf")  # no metric, no depth: blank cells
    html = _runs_html(ip, "runs")
    assert "Experiment 'table'" in html and "3 runs" in html
    assert html.count("FINISHED") == 3 and "background:#2e7d32" in html  # coloured status
    assert ">acc<" in html and ">depth<" in html
    assert ">model<" not in html, "a param with the same value everywhere tells nothing"
    assert run.info.run_id[:8] in html and f">{run.info.run_id}<" not in html
    assert "nan" not in html.lower()
    assert "<td style='padding:1px 8px;text-align:left;white-space:nowrap'></td>" in html
    filtered = _runs_html(ip, "runs metrics.acc > 0.9")
    assert filtered.count("FINISHED") == 1 and "matching 'metrics.acc &gt; 0.9'" in filtered


def test_runs_numbers_are_rounded(ip: InteractiveShell) -> None:
    _run(ip, "experiment rounded")
    with mlt.start_run():
        mlt.log_metric("loss", 0.123456789)
    html = _runs_html(ip, "runs")
    assert ">0.1235<" in html and "0.123456789" not in html


def test_runs_after_a_tracked_cell_looks_in_its_experiment(ip: InteractiveShell) -> None:
    from jupyter_mltrack.notebook import load_ipython_extension

    load_ipython_extension(ip)
    ip.run_cell("%%track --quiet --no-live --experiment elsewhere\nx = 1")
    html = _runs_html(ip, "runs")
    assert "Experiment 'elsewhere'" in html and html.count("FINISHED") == 1
    assert "Experiment 'Default'" in _runs_html(ip, "runs --experiment Default") or (
        "no runs" in _run(ip, "runs --experiment Default")
    )
    with pytest.raises(UsageError, match="no experiment named 'nope'"):
        ip.run_line_magic("mltrack", "runs --experiment nope")


def test_runs_with_no_match_says_so(ip: InteractiveShell) -> None:
    out = _run(ip, "runs metrics.acc > 2")
    assert "no runs" in out and "experiment 'Default'" in out


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
