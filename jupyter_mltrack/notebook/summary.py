"""The inline summary a tracked cell shows at its end: one light HTML block, and plain text.

Numbers are rounded, the status is coloured, and two buttons open the run, or compare it with
the previous run of the same cell, in the JupyterLab extension (through Lab's command linker:
``data-commandlinker-command`` on a trusted output runs that command on click). Outside Lab the
buttons' tooltips give the widget call that does the same in a cell.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from jupyter_mltrack.entities import Run
from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["STATUS_COLORS", "RunSummary", "summarize"]

#: Background colour of each run status badge (white text on each).
STATUS_COLORS = {
    "FINISHED": "#2e7d32",
    "FAILED": "#c62828",
    "RUNNING": "#1565c0",
    "SCHEDULED": "#6a1b9a",
    "KILLED": "#6d4c41",
}
_SHOWN_ITEMS = 8
_VALUE_CHARS = 40
_STYLE = (
    "font-family:var(--jp-ui-font-family,sans-serif);font-size:12px;line-height:1.7;"
    "color:var(--jp-ui-font-color1,inherit)"
)
_BUTTON = (
    "font-size:11px;padding:0 6px;margin-right:4px;cursor:pointer;border-radius:3px;"
    "border:1px solid var(--jp-border-color1,#999);background:var(--jp-layout-color2,#eee);"
    "color:var(--jp-ui-font-color1,inherit)"
)


def format_value(value: object) -> str:
    """Return a number with 4 significant digits (ints whole), anything else clipped."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    text = str(value)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


@dataclass(frozen=True)
class RunSummary:
    """What a tracked cell did: rendered by Jupyter through ``_repr_html_`` / ``__repr__``."""

    run_name: str
    run_id: str
    status: str
    duration_s: float
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    artifact_count: int = 0
    #: The previous run of the same cell, when this run is a re-run.
    previous_run_id: str | None = None

    def _items(self, values: Mapping[str, object]) -> str:
        keys = sorted(values)
        shown = [f"{k}={format_value(values[k])}" for k in keys[:_SHOWN_ITEMS]]
        more = len(keys) - _SHOWN_ITEMS
        return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "") if shown else "-"

    def __repr__(self) -> str:
        return (
            f"mltrack run {self.run_name} ({self.run_id}) {self.status} in "
            f"{self.duration_s:.2f}s | params: {self._items(self.params)} | "
            f"metrics: {self._items(self.metrics)} | artifacts: {self.artifact_count}"
        )

    def _repr_html_(self) -> str:
        color = STATUS_COLORS.get(self.status, "#616161")
        badge = (
            f"<span style='background:{color};color:#fff;border-radius:3px;padding:0 5px;"
            f"font-size:11px'>{html.escape(self.status)}</span>"
        )
        head = (
            f"<b>{html.escape(self.run_name)}</b> {badge} in {self.duration_s:.2f} s · "
            f"<code title='{self.run_id}'>{self.run_id[:8]}</code> · "
            f"{self.artifact_count} artifact{'s' if self.artifact_count != 1 else ''}"
        )
        rows = "".join(
            f"<div><span style='opacity:.7'>{label}</span> {html.escape(self._items(values))}</div>"
            for label, values in (("params", self.params), ("metrics", self.metrics))
            if values
        )
        return (
            f"<div class='mltrack-summary' style='{_STYLE}'><div>{head}</div>{rows}"
            f"<div>{self._buttons()}</div></div>"
        )

    def _buttons(self) -> str:
        buttons = [
            _button(
                "Open run",
                "mltrack:open-run",
                {"runId": self.run_id},
                f"jupyter_mltrack.widgets.RunView({self.run_id!r})",
            )
        ]
        if self.previous_run_id:
            ids = [self.previous_run_id, self.run_id]
            buttons.append(
                _button(
                    "Compare with previous run",
                    "mltrack:compare",
                    {"runIds": ids},
                    f"jupyter_mltrack.widgets.RunComparison({ids!r})",
                )
            )
        return "".join(buttons)


def _button(label: str, command: str, args: Mapping[str, object], code: str) -> str:
    tip = f"Opens in the jupyter_mltrack JupyterLab extension; in a cell: {code}"
    return (
        f"<button class='mltrack-summary-action' style='{_BUTTON}' "
        f"data-commandlinker-command='{command}' "
        f"data-commandlinker-args='{html.escape(json.dumps(args), quote=True)}' "
        f"title='{html.escape(tip, quote=True)}'>{label}</button>"
    )


def _count_artifacts(client: TrackingClient, run: Run) -> int:
    from jupyter_mltrack.tracking.client_artifacts import artifact_repository

    repo = artifact_repository(run.info.artifact_uri, getattr(client, "tracking_uri", None))
    count = 0
    folders: list[str | None] = [None]
    while folders:
        for info in repo.list_artifacts(folders.pop()):
            if info.is_dir:
                folders.append(info.path)
            else:
                count += 1
    return count


def summarize(client: TrackingClient, run: Run, *, previous: str | None = None) -> RunSummary:
    """Build the summary of a finished run from the store (``previous``: the cell's last run)."""
    info = run.info
    end = info.end_time or info.start_time
    return RunSummary(
        run_name=info.run_name or "",
        run_id=info.run_id,
        status=info.status.value,
        duration_s=max(0.0, (end - info.start_time) / 1000) if info.start_time else 0.0,
        params=dict(run.data.params),
        metrics=dict(run.data.metrics),
        artifact_count=_count_artifacts(client, run),
        previous_run_id=previous,
    )
