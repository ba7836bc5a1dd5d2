"""DisplayCapture on a real InteractiveShell: displayed figures and DataFrames become artifacts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import jupyter_mltrack as mlt
from jupyter_mltrack.notebook.capture import DisplayCapture

matplotlib.use("Agg")


@pytest.fixture
def ip(tmp_path: Path) -> Iterator[InteractiveShell]:
    mlt.set_tracking_uri(tmp_path / "mlruns.db")
    shell = InteractiveShell.instance()
    yield shell
    shell.run_cell("import matplotlib.pyplot as plt; plt.close('all')")


def _run_cell(ip: InteractiveShell, source: str) -> tuple[str, list[str]]:
    with mlt.start_run() as run, capture_output(), DisplayCapture(run.info.run_id, ipython=ip):
        ip.run_cell(source).raise_error()
    client = mlt.TrackingClient()
    names = sorted(f.path for f in client.list_artifacts(run.info.run_id, "cell_outputs"))
    return run.info.run_id, names


def _read(run_id: str, path: str, dst: Path) -> str:
    local = mlt.TrackingClient().download_artifacts(run_id, path, dst)
    return Path(local).read_text(encoding="utf-8")


def test_dataframes_displayed_and_returned_are_saved(ip: InteractiveShell, tmp_path: Path) -> None:
    run_id, names = _run_cell(
        ip,
        "import pandas as pd\n"
        "df = pd.DataFrame({'a': [1, 2], 'b': ['<x>', 'y']})\n"
        "display(df)\n"
        "df['a'] = 99\n"
        "df",
    )
    assert names == [
        "cell_outputs/001_dataframe.html",
        "cell_outputs/001_dataframe.json",
        "cell_outputs/002_dataframe.html",
        "cell_outputs/002_dataframe.json",
    ]
    first = json.loads(_read(run_id, names[1], tmp_path / "d1"))
    assert first["columns"] == ["a", "b"] and [row[0] for row in first["data"]] == [1, 2]
    assert "&lt;x&gt;" in _read(run_id, names[0], tmp_path / "d0")


def test_each_display_is_an_output(ip: InteractiveShell, tmp_path: Path) -> None:
    run_id, names = _run_cell(
        ip,
        "import pandas as pd\n"
        "df = pd.DataFrame({'a': [1, 2], 'b': ['<x>', 'y']})\n"
        "display(df)\n"
        "df['a'] = 99\n"
        "df",
    )
    second = json.loads(_read(run_id, names[3], tmp_path / "d3"))
    assert [row[0] for row in second["data"]] == [99, 99]


def test_matplotlib_figures_are_saved_as_png(ip: InteractiveShell, tmp_path: Path) -> None:
    run_id, names = _run_cell(
        ip,
        "import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\n"
        "ax.plot([1, 2, 3])\n"
        "display(fig)\n"  # shown explicitly and still open at the end: saved once
        "plt.figure(); plt.plot([3, 2, 1])\n",  # only drawn by the inline backend after the cell
    )
    assert names == ["cell_outputs/001_figure.png", "cell_outputs/002_figure.png"]
    local = mlt.TrackingClient().download_artifacts(run_id, names[0], tmp_path)
    assert Path(local).read_bytes().startswith(b"\x89PNG")


def test_figures_open_before_the_cell_are_not_saved(ip: InteractiveShell) -> None:
    ip.run_cell("import matplotlib.pyplot as plt\nplt.figure()")
    _, names = _run_cell(ip, "x = 1")
    assert names == []


def test_plotly_figures_are_saved_as_html_and_json(ip: InteractiveShell, tmp_path: Path) -> None:
    run_id, names = _run_cell(
        ip, "import plotly.graph_objects as go\ngo.Figure(go.Scatter(y=[1, 3, 2]))"
    )
    assert names == ["cell_outputs/001_plotly.html", "cell_outputs/001_plotly.json"]
    figure = json.loads(_read(run_id, names[1], tmp_path))
    assert figure["data"][0]["y"] == [1, 3, 2]


def test_widgets_and_other_objects_are_ignored(ip: InteractiveShell) -> None:
    _, names = _run_cell(
        ip, "import plotly.graph_objects as go\ndisplay(go.FigureWidget())\ndisplay([1, 2])\n'x'"
    )
    assert names == []


def test_hook_is_removed_and_outputs_saved_when_the_cell_fails(ip: InteractiveShell) -> None:
    assert ip.display_formatter is not None
    before = ip.display_formatter.format
    with (
        mlt.start_run() as run,
        capture_output(),
        pytest.raises(ZeroDivisionError),
        DisplayCapture(run.info.run_id, ipython=ip),
    ):
        ip.run_cell("import pandas as pd\ndisplay(pd.DataFrame({'a': [1]}))\n1/0").raise_error()
    assert ip.display_formatter.format == before
    assert "format" not in vars(ip.display_formatter)
    files = mlt.TrackingClient().list_artifacts(run.info.run_id, "cell_outputs")
    assert len(files) == 2


def test_a_failing_save_does_not_break_the_cell(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_mltrack.notebook import capture

    def broken(*_: object) -> list[str]:
        raise OSError("disk full")

    monkeypatch.setattr(capture, "_save_dataframe", broken)
    _, names = _run_cell(ip, "import pandas as pd\npd.DataFrame({'a': [1]})")
    assert names == []
