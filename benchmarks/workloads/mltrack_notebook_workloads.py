"""jupyter_mltrack's ``%%track`` workloads (issue 19): time and bytes of a tracked cell.

Every figure comes from a real kernel driven by nbclient, the way a notebook front end drives it:
each cell is sent on its own and timed from the request to the kernel's idle message. Tracked
cells alternate with untracked twins (the same body, or the same logging inside a plain
``with mlt.start_run():``) in the same kernel, so what a row reports is what ``%%track`` adds.

Bytes are counted per cell from the messages nbclient receives for it (outputs, display updates
and comm messages: the iopub channel a browser would receive), and from what the cell adds to the
saved ``.ipynb``: its outputs plus the saved widget state of the comms it opened.

Imported by ``mltrack_workloads.py`` only when one of these runs (see ``lazy_workloads``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from _common import elapsed_ms, emit, median, progress

WARM_UP_CELLS = 3  # tracked cells before measuring: imports, first store use, first plot
EARLIER_CELLS = 500  # the "long notebook" row: this many cells executed before the measured ones

SETUP = "%load_ext jupyter_mltrack\nimport jupyter_mltrack as mlt"
EMPTY_BODY = "x = 1"


def _logging_body(points: int) -> str:
    return f"for i in range({points}):\n    mlt.log_metric('loss', 1.0 / (i + 1), step=i)"


def _untracked_logging(points: int) -> str:
    # The logging itself, as an untracked cell does it: a run, the calls and the final flush.
    return "with mlt.start_run():\n    " + _logging_body(points).replace("\n", "\n    ")


def _earlier_cells(count: int) -> list[str]:
    """Cells that bind and read names, so the slice has real dependencies to follow."""
    cells = []
    for i in range(count):
        if i % 5 == 0:
            cells.append(f"v{i} = {i}")
        else:
            cells.append(f"v{i} = v{i - i % 5} + {i}\nw{i} = [v{i}] * 2")
    return cells


class _Metered:
    """An nbclient ``NotebookClient`` that times each cell and counts its iopub bytes."""

    def __init__(self, sources: list[str]) -> None:
        import nbformat
        from nbclient import NotebookClient
        from nbformat.v4 import new_code_cell, new_notebook

        self.nb = new_notebook(cells=[new_code_cell(src) for src in sources])
        self.nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        self.nbformat = nbformat
        self.iopub_bytes = [0] * len(sources)
        self.comms: list[set[str]] = [set() for _ in sources]
        self.ms = [0.0] * len(sources)
        metered = self

        class Client(NotebookClient):  # type: ignore[misc]
            def process_message(self, msg: dict[str, Any], cell: Any, index: int) -> Any:
                metered.count(msg, index)
                return super().process_message(msg, cell, index)

        self.client = Client(self.nb, kernel_name="python3", timeout=600, allow_errors=False)

    def count(self, msg: dict[str, Any], index: int) -> None:
        if msg["msg_type"] in ("status", "execute_input"):
            return  # protocol chatter every cell has, tracked or not
        size = len(json.dumps(msg["content"], default=str))
        size += sum(len(bytes(b)) for b in msg.get("buffers") or [])
        self.iopub_bytes[index] += size
        if msg["msg_type"] == "comm_open":
            self.comms[index].add(msg["content"]["comm_id"])

    def run(self) -> None:
        with self.client.setup_kernel():
            for index, cell in enumerate(self.nb.cells):
                start = time.perf_counter()
                self.client.execute_cell(cell, index)
                self.ms[index] = elapsed_ms(start)
                if index and index % 100 == 0:
                    progress(f"executed {index}/{len(self.nb.cells)} cells")
            self.client.set_widgets_metadata()

    def saved_bytes(self, index: int) -> int:
        """The cell's bytes in the saved notebook: its outputs and its widgets' saved state."""
        cell = self.nbformat.writes(self.nbformat.v4.new_notebook(cells=[self.nb.cells[index]]))
        empty = self.nbformat.writes(self.nbformat.v4.new_notebook(cells=[]))
        state = (self.nb.metadata.get("widgets") or {}).get(
            "application/vnd.jupyter.widget-state+json", {}
        )
        widgets = sum(
            len(json.dumps(value))
            for comm_id, value in state.get("state", {}).items()
            if comm_id in self.comms[index]
        )
        return len(cell) - len(empty) + widgets


def _pairs(tracked: str, untracked: str, count: int, earlier: int = 0) -> _Metered:
    """A notebook: setup, ``earlier`` cells, warm-up, then ``count`` untracked/tracked pairs."""
    sources = [SETUP, *_earlier_cells(earlier)]
    sources += [f"%%track\n{tracked}"] * WARM_UP_CELLS
    for _ in range(count):
        sources += [untracked, f"%%track\n{tracked}"]
    metered = _Metered(sources)
    metered.run()
    return metered


def _measured(metered: _Metered, count: int) -> tuple[list[int], list[int]]:
    """Indices of the measured (untracked, tracked) cells: the last ``2 * count``."""
    first = len(metered.nb.cells) - 2 * count
    return list(range(first, len(metered.nb.cells), 2)), list(
        range(first + 1, first + 2 * count, 2)
    )


def _overhead(metered: _Metered, count: int, **extra: Any) -> None:
    plain, tracked = _measured(metered, count)
    plain_ms = [metered.ms[i] for i in plain]
    tracked_ms = [metered.ms[i] for i in tracked]
    emit(
        median(tracked_ms) - median(plain_ms),
        tracked_ms=median(tracked_ms),
        untracked_ms=median(plain_ms),
        tracked_samples=tracked_ms,
        untracked_samples=plain_ms,
        **extra,
    )


def notebook_track_overhead(size: int) -> None:
    """Median time a ``%%track`` cell that logs nothing adds over the same untracked cell."""
    _overhead(_pairs(EMPTY_BODY, EMPTY_BODY, size), size, cells=size)


def notebook_track_overhead_long(size: int) -> None:
    """The same after :data:`EARLIER_CELLS` earlier cells, reading names bound by them, so the
    execution slice has a chain of cells to follow (slice, identity, artifacts)."""
    last = EARLIER_CELLS - 1
    body = f"total = v{last - last % 5} + w{last}[0]"
    metered = _pairs(body, body, size, earlier=EARLIER_CELLS)
    _overhead(metered, size, cells=size, earlier_cells=EARLIER_CELLS)


def notebook_track_1k_points(size: int) -> None:
    """Time a tracked cell logging 1,000 points over an untracked cell doing the same logging."""
    count = 10
    metered = _pairs(_logging_body(size), _untracked_logging(size), count)
    _overhead(metered, count, points=size)


def _bytes(points: int, *, saved: bool) -> None:
    count = 3
    body = _logging_body(points) if points else EMPTY_BODY
    plain_body = _untracked_logging(points) if points else EMPTY_BODY
    metered = _pairs(body, plain_body, count)
    plain, tracked = _measured(metered, count)
    figures = {}
    for name, measure in (
        ("saved", metered.saved_bytes),
        ("iopub", lambda i: metered.iopub_bytes[i]),
    ):
        figures[f"{name}_kb"] = (
            median([measure(i) for i in tracked]) - median([measure(i) for i in plain])
        ) / 1000
    value = figures["saved_kb" if saved else "iopub_kb"]
    emit(value, points=points, **figures)


def notebook_saved_bytes(size: int) -> None:
    """KB a tracked cell that logs ``size`` points (0: none) adds to the saved notebook."""
    _bytes(size, saved=True)


def notebook_iopub_bytes(size: int) -> None:
    """KB a tracked cell that logs ``size`` points sends over iopub/comm beyond its twin."""
    _bytes(size, saved=False)


notebook_saved_bytes_10k = notebook_saved_bytes
notebook_iopub_bytes_10k = notebook_iopub_bytes
