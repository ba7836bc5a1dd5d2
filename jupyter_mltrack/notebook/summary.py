"""The inline summary a tracked cell shows at its end (HTML and plain text)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

from jupyter_mltrack.entities import Run
from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["RunSummary", "summarize"]


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

    def _items(self, values: Mapping[str, object]) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(values.items())) or "-"

    def __repr__(self) -> str:
        return (
            f"mltrack run {self.run_name} ({self.run_id}) {self.status} in "
            f"{self.duration_s:.2f}s | params: {self._items(self.params)} | "
            f"metrics: {self._items(self.metrics)} | artifacts: {self.artifact_count}"
        )

    def _repr_html_(self) -> str:
        def row(label: str, value: str) -> str:
            return f"<tr><th style='text-align:left'>{label}</th><td>{html.escape(value)}</td></tr>"

        return (
            "<table class='mltrack-summary'>"
            + row("run", f"{self.run_name} ({self.run_id})")
            + row("status", self.status)
            + row("duration", f"{self.duration_s:.2f} s")
            + row("params", self._items(self.params))
            + row("metrics", self._items(self.metrics))
            + row("artifacts", str(self.artifact_count))
            + "</table>"
        )


def _count_artifacts(client: TrackingClient, run_id: str, path: str | None = None) -> int:
    count = 0
    for info in client.list_artifacts(run_id, path):
        count += _count_artifacts(client, run_id, info.path) if info.is_dir else 1
    return count


def summarize(client: TrackingClient, run: Run) -> RunSummary:
    """Build the summary of a finished run from the store."""
    info = run.info
    end = info.end_time or info.start_time
    return RunSummary(
        run_name=info.run_name or "",
        run_id=info.run_id,
        status=info.status.value,
        duration_s=max(0.0, (end - info.start_time) / 1000) if info.start_time else 0.0,
        params=dict(run.data.params),
        metrics=dict(run.data.metrics),
        artifact_count=_count_artifacts(client, info.run_id),
    )
