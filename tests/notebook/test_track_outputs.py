"""What a tracked cell shows in a real kernel: the live plot, the summary, the traceback, bytes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from track_helpers import client, tracking_uri

from jupyter_mltrack.notebook.live import PLOTLY_MIME

__all__ = ["client", "tracking_uri"]  # fixtures

pytestmark = pytest.mark.kernel

SETUP = "%load_ext jupyter_mltrack\nimport time\nimport jupyter_mltrack as mlt"
SLOW_TRAINING = (
    "%%track --name slow\n"
    "for step in range(30):\n"
    "    mlt.log_metrics({'loss': 1 / (step + 1), 'acc': step / 30}, step=step)\n"
    "    time.sleep(0.06)\n"
    "print('trained')"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Recorded:
    """An executed notebook and the iopub messages each cell produced."""

    def __init__(self, tmp_path: Path, *sources: str, allow_errors: bool = False) -> None:
        self.messages: list[list[dict[str, Any]]] = [[] for _ in sources]
        self.nb = new_notebook(cells=[new_code_cell(src) for src in sources])
        self.nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        recorded = self

        class Client(NotebookClient):  # type: ignore[misc]
            def process_message(self, msg: dict[str, Any], cell: Any, index: int) -> Any:
                if msg["msg_type"] not in ("status", "execute_input"):
                    recorded.messages[index].append(msg)
                return super().process_message(msg, cell, index)

        Client(
            self.nb,
            kernel_name="python3",
            timeout=120,
            allow_errors=allow_errors,
            resources={"metadata": {"path": str(tmp_path)}},
        ).execute()

    def sizes(self, index: int, kinds: tuple[str, ...] = ()) -> list[int]:
        """JSON bytes of the cell's messages (of ``kinds`` when given)."""
        return [
            len(json.dumps(m["content"], default=str))
            for m in self.messages[index]
            if not kinds or m["msg_type"] in kinds
        ]

    def kinds(self, index: int) -> list[str]:
        return [m["msg_type"] for m in self.messages[index]]


def test_live_plot_appears_in_its_cell_updates_and_stays_as_a_static_figure(
    tmp_path: Path, tracking_uri: str
) -> None:
    rec = Recorded(tmp_path, SETUP, SLOW_TRAINING, "%%track --quiet\nx = 1")
    kinds = rec.kinds(1)
    # Shown once (from the timer thread, yet in this cell), refreshed in place, never a widget.
    assert kinds.count("display_data") == 2  # the plot, then the summary
    assert kinds.count("update_display_data") >= 2
    assert "comm_open" not in kinds and "comm_msg" not in kinds
    assert max(rec.sizes(1, ("display_data", "update_display_data"))) < 100_000
    plot, stream, summary = rec.nb.cells[1].outputs
    assert stream.text == "trained\n"
    figure = plot.data[PLOTLY_MIME]
    assert [t["name"] for t in figure["data"]] == ["loss", "acc"]
    assert len(figure["data"][0]["x"]) == 30  # the final figure has every point
    assert "text/html" in plot.data and "<svg" in plot.data["text/html"]  # static fallback
    assert "slow" in summary.data["text/plain"]
    assert "widgets" not in rec.nb.metadata
    # A cell that logs no metric shows no plot at all.
    assert rec.kinds(2) == [] and rec.nb.cells[2].outputs == []


def test_ten_thousand_points_stay_within_the_byte_budgets(
    tmp_path: Path, tracking_uri: str
) -> None:
    body = (
        "%%track --quiet\nfor i in range(10_000):\n    mlt.log_metric('loss', 1 / (i + 1), step=i)"
    )
    rec = Recorded(tmp_path, SETUP, body, "%%track\nx = 1")
    assert sum(rec.sizes(1)) < 200_000
    saved = nbformat.writes(new_notebook(cells=[rec.nb.cells[1]]))
    assert len(saved) < 200_000
    (plot,) = rec.nb.cells[1].outputs
    x = plot.data[PLOTLY_MIME]["data"][0]["x"]
    assert x[0] == 0 and x[-1] == 9_999 and len(x) <= 1000
    assert sum(rec.sizes(2)) < 10_000  # nothing logged: the summary only


def test_summary_rounds_colours_and_offers_open_and_compare(
    tmp_path: Path, tracking_uri: str
) -> None:
    cell = "%%track --no-live --name again\nmlt.log_metric('loss', 0.123456789)"
    rec = Recorded(tmp_path, SETUP, cell, cell)
    first = rec.nb.cells[1].outputs[-1].data["text/html"]
    again = rec.nb.cells[2].outputs[-1].data["text/html"]
    assert "loss=0.1235" in first and "0.123456789" not in first
    assert "background:#2e7d32" in first and "FINISHED" in first
    assert "data-commandlinker-command='mltrack:open-run'" in first
    assert "mltrack:compare" not in first, "nothing to compare a first run with"
    assert "data-commandlinker-command='mltrack:compare'" in again
    assert len(again) < 3_000


def test_failing_cell_traceback_starts_at_the_users_code(tmp_path: Path, tracking_uri: str) -> None:
    cell = "%%track --quiet\ndef ratio(a):\n    return 1 / a\n\nratio(0)"
    rec = Recorded(tmp_path, SETUP, cell, allow_errors=True)
    (error,) = [o for o in rec.nb.cells[1].outputs if o.output_type == "error"]
    text = _ANSI.sub("", "\n".join(error.traceback))
    assert error.ename == "ZeroDivisionError"
    assert "run_cell_magic" not in text and "skipping hidden" not in text
    frames = re.findall(r"^Cell In\[\d+\], line (\d+)", text, re.M)
    assert frames[:2] == ["4", "2"], text  # ratio(0), then 1 / a


def test_error_raised_again_later_shows_its_whole_traceback(
    tmp_path: Path, tracking_uri: str
) -> None:
    cells = (
        SETUP,
        "%%track --quiet\ntry:\n    1 / 0\n"
        "except ZeroDivisionError as e:\n    saved = e\n    raise",
        "raise saved",
    )
    rec = Recorded(tmp_path, *cells, allow_errors=True)
    (error,) = [o for o in rec.nb.cells[2].outputs if o.output_type == "error"]
    assert "raise saved" in _ANSI.sub("", "\n".join(error.traceback))
