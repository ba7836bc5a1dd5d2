"""The registry panel's HTML: a model, its versions (with run names and key metric), history.

Every version names the run it came from by the run's name (the id only as a tooltip) and shows
the value of the key metric — the objective of the run's experiment
(:mod:`~jupyter_mltrack.widgets._objective`). Tables share one style with left-aligned text,
right-aligned numbers and fixed columns, so rows line up whatever their content.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jupyter_mltrack.entities import ModelVersion, ModelVersionEvent, RegisteredModel, Run
from jupyter_mltrack.widgets._app_mode import shown_path
from jupyter_mltrack.widgets._markdown import render_markdown
from jupyter_mltrack.widgets._objective import Objective, objective_value

__all__ = [
    "REGISTRY_STYLE",
    "VersionRun",
    "history_html",
    "model_html",
    "run_label",
    "version_html",
    "versions_html",
]

REGISTRY_STYLE = """<style>
.mltrack-registry-table { border-collapse: collapse; table-layout: auto; margin: 4px 0 8px 0; }
.mltrack-registry-table th, .mltrack-registry-table td { padding: 3px 10px; text-align: left;
  vertical-align: top; border-bottom: 1px solid var(--jp-border-color2, #e0e0e0);
  white-space: nowrap; }
.mltrack-registry-table th { font-weight: 600; border-bottom-width: 2px; }
.mltrack-registry-table td.mltrack-num, .mltrack-registry-table th.mltrack-num {
  text-align: right; font-variant-numeric: tabular-nums; }
.mltrack-registry-table td.mltrack-wrap { white-space: normal; max-width: 28em; }
.mltrack-empty-description { color: var(--jp-content-font-color2, #616161); font-style: italic; }
</style>"""

EMPTY_DESCRIPTION = "No description yet."


@dataclass(frozen=True, slots=True)
class VersionRun:
    """A version's source run and the objective of its experiment (for the key metric)."""

    run: Run | None
    objective: Objective | None = None

    @property
    def value(self) -> float | None:
        """The run's value of the key metric."""
        if self.run is None or self.objective is None:
            return None
        return objective_value(self.run, self.objective)

    def metric_text(self) -> str:
        """``"roc_auc 0.9934"``, or ``"-"``."""
        value = self.value
        if value is None or self.objective is None:
            return "-"
        return f"{self.objective.metric} {value:.4g}"


def _e(value: object) -> str:
    return html.escape(str(value))


def _time(ms: int | None) -> str:
    from jupyter_mltrack.notebook.displays import format_time

    return format_time(ms)


def run_label(run_id: str | None, runs: Mapping[str, VersionRun]) -> str:
    """A run as people know it: its name (``trial-4``), else the start of its id."""
    if not run_id:
        return "-"
    found = runs.get(run_id)
    if found is None or found.run is None or not found.run.info.run_name:
        return f"{run_id[:8]}…"
    return found.run.info.run_name


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], css: str, numeric: int = -1) -> str:
    """A styled table; cells are already-escaped HTML; column ``numeric`` is right-aligned."""

    def cell(tag: str, index: int, content: str) -> str:
        num = ' class="mltrack-num"' if index == numeric else ""
        return f"<{tag}{num}>{content}</{tag}>"

    header = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        f'<tr class="{css}-row">' + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<table class="mltrack-registry-table {css}"><tr>{header}</tr>{body}</table>'


def _pairs(label: str, values: dict[str, str], css: str) -> str:
    """A block of its own: ``label: none``, or the label above a key/value table."""
    if not values:
        return f'<div class="{css}"><b>{label}:</b> <em>none</em></div>'
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(values[k])}</td></tr>" for k in sorted(values))
    return f'<div class="{css}"><b>{label}:</b><table>{rows}</table></div>'


def _description(text: str | None) -> str:
    if not text or not text.strip():
        return f'<span class="mltrack-empty-description">{EMPTY_DESCRIPTION}</span>'
    return render_markdown(text)


def model_html(model: RegisteredModel) -> str:
    """Return a registered model's name, description (rendered markdown), tags and aliases."""
    aliases = {alias: f"version {number}" for alias, number in model.aliases.items()}
    created = _e(_time(model.creation_timestamp))
    updated = _e(_time(model.last_updated_timestamp))
    return "".join(
        [
            REGISTRY_STYLE,
            f"<h3>{_e(model.name)}</h3>",
            f'<div class="mltrack-model-description">{_description(model.description)}</div>',
            _pairs("Tags", dict(model.tags), "mltrack-model-tags"),
            _pairs("Aliases", aliases, "mltrack-model-aliases"),
            f"<div><small>created {created}, updated {updated}</small></div>",
        ]
    )


def versions_html(
    versions: Sequence[ModelVersion], runs: Mapping[str, VersionRun] | None = None
) -> str:
    """Return a table of versions: number, stage, aliases, source run name, key metric, created."""
    if not versions:
        return "<p><em>This model has no versions yet.</em></p>"
    runs = runs or {}
    rows = [
        (
            str(v.version),
            f'<span class="mltrack-stage-label">{_e(v.current_stage.value)}</span>',
            _e(", ".join(v.aliases) or "-"),
            f'<span title="{_e(v.run_id or "")}">{_e(run_label(v.run_id, runs))}</span>',
            _e(runs[v.run_id].metric_text() if v.run_id and v.run_id in runs else "-"),
            _e(_time(v.creation_timestamp)),
        )
        for v in versions
    ]
    head = ("version", "stage", "aliases", "run", "key metric", "created")
    return _table(head, rows, "mltrack-versions", numeric=0)


def version_html(version: ModelVersion, source: VersionRun | None = None) -> str:
    """Return one version's details: stage, aliases, lineage, key metric, tags, description."""
    runs = {version.run_id: source} if version.run_id and source is not None else {}
    rows = {
        "stage": version.current_stage.value,
        "aliases": ", ".join(version.aliases) or "-",
        "status": version.status,
        "source": shown_path(version.source) or "-",  # a server path: not in app mode
        "source run": run_label(version.run_id, runs),
        "run id": version.run_id or "-",
        "key metric": "-" if source is None else source.metric_text(),
        "experiment": version.experiment_id or "-",
        "flavors": ", ".join(version.flavors) or "-",
        "created": _time(version.creation_timestamp),
        "updated": _time(version.last_updated_timestamp),
        "user": version.user_id or "-",
    }
    table = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows.items())
    return (
        f"<h4>{_e(version.name)} version {version.version}</h4>"
        f'<table class="mltrack-registry-table mltrack-version-info">{table}</table>'
        f"<b>Description</b>"
        f'<div class="mltrack-version-description">{_description(version.description)}</div>'
        + _pairs("Tags", dict(version.tags), "mltrack-version-tags")
    )


def _event_text(event: ModelVersionEvent) -> tuple[str, str]:
    if event.kind == "stage":
        return "stage", f"{event.from_value or '-'} → {event.to_value or '-'}"
    target = f"version {event.to_value}" if event.to_value else "removed"
    source = f" (was version {event.from_value})" if event.from_value else ""
    return f"alias {event.alias or ''}", f"{target}{source}"


def history_html(events: Sequence[ModelVersionEvent]) -> str:
    """Return the transition history (stage moves, alias moves), newest first, in columns."""
    if not events:
        return '<div class="mltrack-history"><em>No transitions yet.</em></div>'
    rows = []
    for event in reversed(events):
        what, change = _event_text(event)
        evidence = shown_path(event.evidence_uri) or ""
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(event.metrics.items()))
        cells = (_time(event.timestamp), what, change, event.user_id, event.comment or "")
        rows.append([_e(c) for c in cells] + [_e(" ".join(p for p in (evidence, metrics) if p))])
    head = ("when", "what", "change", "who", "comment", "evidence")
    return _table(head, rows, "mltrack-history")
