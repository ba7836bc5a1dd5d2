"""RunView: one run — info, params, metrics with sparklines, tags, source cell, and artifacts.

The HTML of each section is built by pure functions (testable without a kernel). Metric
sparklines are tiny inline SVG polylines of the history downsampled to :data:`SPARK_POINTS`
points: the store first reduces long histories to a min/max envelope (in the database for SQL
stores), then LTTB picks the drawn points. Light, and rendered by every frontend without
JavaScript.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import ipywidgets

from jupyter_mltrack.entities import FileInfo, Metric, Run, SourceType
from jupyter_mltrack.entities.metric import MetricHistoryArrays
from jupyter_mltrack.errors import NotFoundError
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.widgets._app_mode import app_mode, shown_path
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children, reporting

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.widgets.artifacts import ArtifactBrowser

__all__ = [
    "CELL_SOURCE_ARTIFACT",
    "RunView",
    "info_html",
    "metrics_html",
    "source_html",
    "sparkline",
    "tags_html",
]

#: The artifact ``%%track`` writes with the cell's source (notebook/cell_run.py).
CELL_SOURCE_ARTIFACT = "cell.py"
SLICE_ARTIFACT = "slice.py"
CELL_ID_TAG = "mltrack.notebook.cellId"
EXECUTION_COUNT_TAG = "mltrack.notebook.executionCount"
ERROR_TAG = "mltrack.error"
SPARK_POINTS = 60
#: Points fetched per sparkline: the store's envelope, from which LTTB picks SPARK_POINTS.
SPARK_FETCH_POINTS = 4 * SPARK_POINTS
#: Metrics with a sparkline; histories of the rest are not fetched (one query per key).
MAX_SPARKLINES = 40
_SOURCE_LIMIT = 256 * 1024
_SYSTEM_PREFIXES = ("mltrack.", "mlflow.")


def sparkline(history: Sequence[Metric] | MetricHistoryArrays) -> str:
    """Return an inline SVG line of a metric history, downsampled; ``""`` for < 2 points.

    Takes what ``get_metric_history`` or ``get_metric_history_arrays`` returns.
    """
    import numpy as np

    from jupyter_mltrack.notebook.displays import sparkline_svg
    from jupyter_mltrack.widgets._downsample import downsample

    if len(history) < 2:
        return ""
    if isinstance(history, MetricHistoryArrays):
        ys = history.values  # already ordered by step, then timestamp
    else:
        ordered = sorted(history, key=lambda m: (m.step, m.timestamp))
        ys = np.array([m.value for m in ordered], dtype=float)
    if len(ys) > SPARK_POINTS:
        _, ys = downsample(np.arange(len(ys)), ys, SPARK_POINTS)
    return sparkline_svg([float(v) for v in ys])


def _table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...] = (), css: str = "") -> str:
    if not rows:
        return "<p><em>none</em></p>"
    head = (
        "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>" if header else ""
    )
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css}">{head}{body}</table>'


def _section(title: str, body: str, css: str, *, open_: bool = True) -> str:
    flag = " open" if open_ else ""
    return (
        f'<details class="{css}"{flag}><summary><b>{html.escape(title)}</b></summary>'
        f"{body}</details>"
    )


def info_html(run: Run, experiment_name: str | None = None) -> str:
    """Return the run's attributes (id, status, experiment, times, user, artifact root) as HTML."""
    from jupyter_mltrack.notebook.displays import format_duration, format_time

    info = run.info
    experiment = (
        f"{experiment_name} (id {info.experiment_id})" if experiment_name else info.experiment_id
    )
    parent = run.data.tags.get(t.PARENT_RUN_ID)
    rows = [
        ("run id", info.run_id),
        ("name", info.run_name),
        ("status", info.status.value),
        ("experiment", experiment),
        ("user", info.user_id or "-"),
        ("started", format_time(info.start_time)),
        ("ended", format_time(info.end_time)),
        ("duration", format_duration(info.start_time, info.end_time)),
        # A server path: never on a page served to visitors (app mode).
        *([] if app_mode() else [("artifact root", info.artifact_uri)]),
        *([("parent run", parent)] if parent else []),
        *(
            [("lifecycle", info.lifecycle_stage.value)]
            if info.lifecycle_stage.value != "active"
            else []
        ),
    ]
    status = html.escape(info.status.value)
    badge = f'<span class="mltrack-status mltrack-status-{status.lower()}">{status}</span>'
    title = f"<h3>{html.escape(info.run_name or info.run_id)} {badge}</h3>"
    body = _table([(html.escape(k), html.escape(v)) for k, v in rows], css="mltrack-run-info")
    return title + body


def params_html(params: Mapping[str, str]) -> str:
    """Return the params as a sorted, escaped table inside a section."""
    rows = [(html.escape(k), html.escape(params[k])) for k in sorted(params)]
    return _section(f"Params ({len(rows)})", _table(rows, ("param", "value")), "mltrack-params")


def metrics_html(latest: Mapping[str, float], sparklines: Mapping[str, str]) -> str:
    """Return the metrics' last values with their sparklines (where given) inside a section."""
    rows = [
        (html.escape(k), html.escape(f"{latest[k]:.6g}"), sparklines.get(k, ""))
        for k in sorted(latest)
    ]
    return _section(
        f"Metrics ({len(rows)})", _table(rows, ("metric", "last", "history")), "mltrack-metrics"
    )


def tags_html(tags: Mapping[str, str]) -> str:
    """Return user tags (open) and system tags (``mltrack.``/``mlflow.``, collapsed)."""
    user = {k: v for k, v in tags.items() if not k.startswith(_SYSTEM_PREFIXES)}
    system = {k: v for k, v in tags.items() if k not in user}

    def rows(values: Mapping[str, str]) -> list[tuple[str, str]]:
        return [(html.escape(k), html.escape(values[k])) for k in sorted(values)]

    # System tags hold paths (notebook, source file); app mode shows only their last part.
    system = {k: shown_path(v) or "" for k, v in system.items()}

    parts = [_section(f"Tags ({len(user)})", _table(rows(user), ("tag", "value")), "mltrack-tags")]
    if system:
        parts.append(
            _section(
                f"System tags ({len(system)})",
                _table(rows(system), ("tag", "value")),
                "mltrack-system-tags",
                open_=False,
            )
        )
    return "".join(parts)


def source_html(tags: Mapping[str, str], cell_source: str | None, slice_source: str | None) -> str:
    """Return where the run came from: notebook path, cell id/count, git, and the cell's code."""
    source_type = tags.get(t.SOURCE_TYPE, "")
    label = "notebook" if source_type == SourceType.NOTEBOOK.value else "source"
    rows = [
        (label, shown_path(tags.get(t.SOURCE_NAME))),
        ("source type", source_type or None),
        ("cell id", tags.get(CELL_ID_TAG)),
        ("execution count", tags.get(EXECUTION_COUNT_TAG)),
        ("git commit", tags.get(t.GIT_COMMIT)),
        ("git branch", tags.get(t.GIT_BRANCH)),
        ("error", tags.get(ERROR_TAG)),
    ]
    shown = [(html.escape(k), html.escape(v)) for k, v in rows if v]
    parts = [_table(shown, css="mltrack-source-info")] if shown else []
    if cell_source is not None:
        parts.append(
            f'<b>Cell</b><pre class="mltrack-cell-source">{html.escape(cell_source)}</pre>'
        )
    if slice_source is not None:
        parts.append(
            _section(
                "Execution slice",
                f'<pre class="mltrack-slice-source">{html.escape(slice_source)}</pre>',
                "mltrack-slice",
                open_=False,
            )
        )
    if not parts:
        parts.append("<p><em>No notebook or source recorded for this run.</em></p>")
    return _section("Source", "".join(parts), "mltrack-source")


class RunView(TrackedWidget):
    """Everything about one run, with its artifacts, in one widget.

    Args:
        run_id: The run to show.
        client: A tracking client; by default one for ``tracking_uri`` or the current URI.
        tracking_uri: The store to read when no client is given.
        registry: Unused; accepted so every widget takes the same client arguments.
        artifacts: Include the :class:`~jupyter_mltrack.widgets.ArtifactBrowser`.

    Example:
        >>> from jupyter_mltrack.widgets import RunView
        >>> RunView(run_id)  # doctest: +SKIP
    """

    css_name = "run-view"

    def __init__(
        self,
        run_id: str,
        *,
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
        artifacts: bool = True,
    ) -> None:
        super().__init__(client=client, tracking_uri=tracking_uri, registry=registry)
        self.run_id = run_id
        self.run: Run | None = None
        self.details = ipywidgets.HTML("")
        self.details.add_class("mltrack-run-details")
        self.artifact_browser: ArtifactBrowser | None = None
        self._with_artifacts = artifacts
        self.refresh()

    def _build(self) -> None:
        self.details.value = ""
        self.run = None
        try:
            run = self.tracking.get_run(self.run_id)
        except NotFoundError:
            replace_children(self.body, ())
            self.artifact_browser = None
            raise
        self.run = run
        root = {f.path: f for f in self.tracking.list_artifacts(self.run_id)}
        self.details.value = "".join(
            [
                info_html(run, self._experiment_name(run)),
                params_html(run.data.params),
                metrics_html(run.data.metrics, self._sparklines(run)),
                tags_html(run.data.tags),
                source_html(
                    run.data.tags,
                    self._text(root, CELL_SOURCE_ARTIFACT),
                    self._text(root, SLICE_ARTIFACT),
                ),
            ]
        )
        children: list[ipywidgets.Widget] = [self.details]
        if self._with_artifacts:
            from jupyter_mltrack.widgets.artifacts import ArtifactBrowser

            self.artifact_browser = ArtifactBrowser(self.run_id, client=self.tracking)
            title = ipywidgets.HTML("<b>Artifacts</b>")
            children += [title, self.artifact_browser]
        replace_children(self.body, children)

    def _experiment_name(self, run: Run) -> str | None:
        try:
            return self.tracking.get_experiment(run.info.experiment_id).name
        except NotFoundError:
            return None

    def _sparklines(self, run: Run) -> dict[str, str]:
        lines = {}
        for key in sorted(run.data.metrics)[:MAX_SPARKLINES]:
            with reporting(self.notice, f"load the history of {key!r}"):
                history = self.tracking.get_metric_history_arrays(
                    self.run_id, key, max_points=SPARK_FETCH_POINTS
                )
                lines[key] = sparkline(history)
        return lines

    def _text(self, root: Mapping[str, FileInfo], artifact: str) -> str | None:
        """Return a small text artifact of the run (the cell source), or None if absent."""
        from jupyter_mltrack.tracking.client_artifacts import artifact_repository

        assert self.run is not None
        info = root.get(artifact)
        if info is None or info.is_dir:
            return None
        if info.file_size is not None and info.file_size > _SOURCE_LIMIT:
            return f"# {artifact} is {info.file_size} bytes: open it in the artifact browser"
        repo = artifact_repository(self.run.info.artifact_uri, self.tracking.tracking_uri)
        data = repo.read_bytes(artifact)
        return data.decode("utf-8", errors="replace")
