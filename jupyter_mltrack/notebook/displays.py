"""Rich notebook displays for entities: Experiment, Run, metric histories and registry models.

Formatters are registered on the shell (``display_formatter.formatters``), so the entities stay
plain dataclasses. Every value is HTML-escaped: params and tags are user data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.entities import Experiment, Metric, Run
from jupyter_mltrack.entities.registry import ModelVersion, RegisteredModel

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = [
    "experiment_html",
    "format_duration",
    "format_time",
    "install_rich_displays",
    "metric_history_html",
    "model_version_html",
    "registered_model_html",
    "run_html",
    "sparkline_svg",
]

_STYLE = "font-family:var(--jp-ui-font-family,sans-serif);font-size:13px"
_TABLE_POINTS = 12


def install_rich_displays(ipython: InteractiveShell) -> None:
    """Register HTML and plain-text formatters for the entities on ``ipython`` (idempotent)."""
    if ipython.display_formatter is None:
        return
    formatters = ipython.display_formatter.formatters
    html = formatters["text/html"]
    html.for_type(Experiment, experiment_html)
    html.for_type(Run, run_html)
    html.for_type(ModelVersion, model_version_html)
    html.for_type(RegisteredModel, registered_model_html)
    html.for_type(Metric, lambda metric: metric_history_html([metric]))
    previous = html.lookup_by_type(list) if list in html.type_printers else None
    if getattr(previous, "_mltrack", False):
        previous = None
    html.for_type(list, _list_html(previous))
    plain = formatters["text/plain"]
    plain.for_type(Run, _pretty(_run_text))
    plain.for_type(Experiment, _pretty(lambda e: f"<Experiment {e.name!r} id={e.experiment_id}>"))


def _list_html(previous: Callable[[Any], str | None] | None) -> Callable[[Any], str | None]:
    def list_html(value: list[Any]) -> str | None:
        if value and all(isinstance(item, Metric) for item in value):
            return metric_history_html(value)
        return previous(value) if previous is not None else None

    list_html._mltrack = True  # type: ignore[attr-defined]
    return list_html


def _pretty(render: Callable[[Any], str]) -> Callable[[Any, Any, bool], None]:
    def pretty(obj: Any, printer: Any, cycle: bool) -> None:
        printer.text(render(obj))

    return pretty


# -- formatting helpers -------------------------------------------------------------------------
def format_time(ms: int | None) -> str:
    """Return a millisecond timestamp as local ``YYYY-MM-DD HH:MM:SS`` ('-' when missing)."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_duration(start_ms: int | None, end_ms: int | None) -> str:
    """Return a human duration such as ``0.42s``, ``3m 05s`` or ``2h 01m`` ('-' if unknown)."""
    if start_ms is None or end_ms is None or end_ms < start_ms:
        return "-"
    seconds = (end_ms - start_ms) / 1000
    if seconds < 60:
        return f"{seconds:.2f}s" if seconds < 10 else f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _number(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)


def _table(rows: Iterable[tuple[str, str]], header: tuple[str, str] = ("key", "value")) -> str:
    body = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    if not body:
        return "<p><em>none</em></p>"
    head = f"<tr><th>{escape(header[0])}</th><th>{escape(header[1])}</th></tr>"
    return f"<table>{head}{body}</table>"


def _mapping_table(values: Mapping[str, object]) -> str:
    return _table((key, escape(str(values[key]))) for key in sorted(values))


def _section(title: str, body: str, *, open_: bool = True) -> str:
    attr = " open" if open_ else ""
    return f"<details{attr}><summary><b>{escape(title)}</b></summary>{body}</details>"


# -- entities -----------------------------------------------------------------------------------
def experiment_html(experiment: Experiment) -> str:
    """Return the HTML view of an experiment."""
    rows = [
        ("id", escape(experiment.experiment_id)),
        ("artifact location", escape(experiment.artifact_location)),
        ("lifecycle stage", escape(experiment.lifecycle_stage.value)),
        ("created", escape(format_time(experiment.creation_time))),
    ]
    tags = _section("Tags", _mapping_table(experiment.tags), open_=False) if experiment.tags else ""
    title = f"<b>Experiment</b> {escape(experiment.name)}"
    return f'<div style="{_STYLE}">{title}{_table(rows, ("", ""))}{tags}</div>'


def run_html(run: Run) -> str:
    """Return the HTML view of a run: info, params, latest metrics and tags."""
    info, data = run.info, run.data
    rows = [
        ("run id", escape(info.run_id)),
        ("status", escape(info.status.value)),
        ("experiment id", escape(info.experiment_id)),
        ("started", escape(format_time(info.start_time))),
        ("duration", escape(format_duration(info.start_time, info.end_time))),
        ("artifacts", escape(info.artifact_uri)),
    ]
    user_tags = {k: v for k, v in data.tags.items() if not k.startswith(("mltrack.", "mlflow."))}
    system_tags = {k: v for k, v in data.tags.items() if k not in user_tags}
    metrics = _table((k, escape(_number(data.metrics[k]))) for k in sorted(data.metrics))
    parts = [
        f"<b>Run</b> {escape(info.run_name)}",
        _table(rows, ("", "")),
        _section("Params", _mapping_table(data.params)),
        _section("Metrics (latest)", metrics),
        _section("Tags", _mapping_table(user_tags)),
        _section("System tags", _mapping_table(system_tags), open_=False) if system_tags else "",
    ]
    return f'<div style="{_STYLE}">{"".join(parts)}</div>'


def _run_text(run: Run) -> str:
    info = run.info
    duration = format_duration(info.start_time, info.end_time)
    return f"<Run {info.run_name!r} id={info.run_id} status={info.status.value} {duration}>"


def sparkline_svg(values: Sequence[float], *, width: int = 120, height: int = 24) -> str:
    """Return a small inline SVG line of ``values`` (non-finite values are skipped)."""
    points = [(i, v) for i, v in enumerate(values) if math.isfinite(v)]
    if len(points) < 2:
        return ""
    low = min(v for _, v in points)
    span = (max(v for _, v in points) - low) or 1.0
    last = max(len(values) - 1, 1)
    coords = " ".join(
        f"{i * (width - 2) / last + 1:.1f},{height - 1 - (v - low) * (height - 2) / span:.1f}"
        for i, v in points
    )
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{coords}"/></svg>'
    )


def metric_history_html(history: Sequence[Metric]) -> str:
    """Return the HTML view of metric points: per key a sparkline, or a table when short."""
    by_key: dict[str, list[Metric]] = {}
    for metric in history:
        by_key.setdefault(metric.key, []).append(metric)
    parts = []
    for key, points in by_key.items():
        points.sort(key=lambda m: (m.step, m.timestamp))
        values = [m.value for m in points]
        summary = (
            f"{len(points)} point(s), last {_number(values[-1])} at step {points[-1].step}, "
            f"min {_number(min(values))}, max {_number(max(values))}"
        )
        if len(points) <= _TABLE_POINTS:
            body = _table(((str(m.step), escape(_number(m.value))) for m in points), ("step", key))
        else:
            body = sparkline_svg(values)
        parts.append(f"<div><b>{escape(key)}</b>: {escape(summary)}{body}</div>")
    return f'<div style="{_STYLE}">{"".join(parts)}</div>'


def model_version_html(version: ModelVersion) -> str:
    """Return the HTML view of a registered model version."""
    rows = [
        ("stage", escape(version.current_stage.value)),
        ("aliases", escape(", ".join(version.aliases) or "-")),
        ("run id", escape(version.run_id or "-")),
        ("source", escape(version.source)),
        ("status", escape(version.status)),
        ("created", escape(format_time(version.creation_timestamp))),
        ("description", escape(version.description or "-")),
    ]
    title = f"<b>Model</b> {escape(version.name)} <b>version</b> {version.version}"
    tags = _section("Tags", _mapping_table(version.tags), open_=False) if version.tags else ""
    return f'<div style="{_STYLE}">{title}{_table(rows, ("", ""))}{tags}</div>'


def registered_model_html(model: RegisteredModel) -> str:
    """Return the HTML view of a registered model and its latest version per stage."""
    latest = _table(
        (
            (v.current_stage.value, f"{v.version} ({escape(v.run_id or '-')})")
            for v in model.latest_versions
        ),
        ("stage", "version (run)"),
    )
    aliases = {alias: str(number) for alias, number in model.aliases.items()}
    parts = [
        f"<b>Registered model</b> {escape(model.name)}",
        f"<p>{escape(model.description)}</p>" if model.description else "",
        _section("Latest versions", latest),
        _section("Aliases", _mapping_table(aliases)) if aliases else "",
        _section("Tags", _mapping_table(model.tags), open_=False) if model.tags else "",
    ]
    return f'<div style="{_STYLE}">{"".join(parts)}</div>'
