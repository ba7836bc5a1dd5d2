"""RunComparison: params, metrics with deltas, parallel coordinates, histories, source diffs."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets
import traitlets

from jupyter_mltrack.entities import Run
from jupyter_mltrack.errors import MltrackError, RunNotFound
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children
from jupyter_mltrack.widgets._baseline import (
    Baseline,
    CompareFacts,
    choose_baseline,
    metric_senses,
    read_facts,
)
from jupyter_mltrack.widgets._compare import (
    axis_choices,
    metric_rows,
    metric_table_html,
    param_rows,
    param_table_html,
    parcoords_columns,
    source_diff_html,
)
from jupyter_mltrack.widgets._direction import Direction, declare_direction
from jupyter_mltrack.widgets._figure_output import FigureOutput
from jupyter_mltrack.widgets._figures import History, Series, bar_figure, metric_figure
from jupyter_mltrack.widgets._labels import run_labels
from jupyter_mltrack.widgets._parcoords import parcoords_figure
from jupyter_mltrack.widgets.metric_plot import fetch_history

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["SOURCE_FILES", "RunComparison"]

SOURCE_FILES = ("cell.py", "slice.py")
"""Artifacts recorded by ``%%track`` whose text is diffed (the cell and its execution slice)."""
_HISTORY_PROBES = 6  # metrics probed for a history before settling for a bar chart


def _heading(text: str) -> ipywidgets.HTML:
    return ipywidgets.HTML(f'<h4 style="margin:10px 0 2px">{text}</h4>')


class RunComparison(TrackedWidget):
    """Compare runs side by side.

    Shows the params (``only_differences`` hides equal ones), the last metric values with deltas
    against the ``baseline`` run (green when better, red when worse, nothing when the change
    does not show at the displayed precision), a parallel-coordinates plot over the params that
    vary and the objective, the history of one metric for every run (a bar chart when each run
    logged it once), and diffs of the recorded cell source (``cell.py``) and execution slice
    (``slice.py``). The run buttons open a ``RunView``.

    The baseline is the run whose model is in Production (or holds an alias), else the best run
    by the experiment's objective (a sweep's metric, the user's pick, or a guess), else the first.
    Which way is better for a metric: see ``widgets/_direction.py`` (``directions=``, the
    ``mltrack.metricDirection.<key>`` tag, or the metric's name).

    Args:
        run_ids: The runs to compare.
        only_differences: Hide params whose value is the same in every run.
        directions: Metric key -> ``"min"`` or ``"max"``, for metrics whose name does not tell
            which way is better; remembered for later comparisons in this kernel.
        baseline: The run to compare against, instead of the one chosen as above.
        client, tracking_uri, registry: Where to read from (default: the current tracking URI).

    Raises:
        InvalidParameterError: A direction other than min/max.

    Example:
        >>> RunComparison([run_a, run_b, run_c], only_differences=True)  # doctest: +SKIP
    """

    css_name = "run-comparison"
    baseline = traitlets.Unicode(None, allow_none=True, help="run id deltas are computed against")
    only_differences = traitlets.Bool(False, help="hide params equal in every run")

    def __init__(
        self,
        run_ids: Sequence[str],
        *,
        only_differences: bool = False,
        directions: Mapping[str, str] | None = None,
        baseline: str | None = None,
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
    ) -> None:
        self.directions = {k: declare_direction(k, v) for k, v in (directions or {}).items()}
        super().__init__(client=client, tracking_uri=tracking_uri, registry=registry)
        self.run_ids = list(dict.fromkeys(run_ids))
        self.runs: list[Run] = []
        self.labels: dict[str, str] = {}
        self.facts = CompareFacts()
        self.senses: dict[str, Direction | None] = {}
        self.chosen = Baseline(None, "first")
        self._requested_baseline = baseline
        self.sources: dict[str, dict[str, str | None]] = {}
        self._histories: dict[tuple[str, str], tuple[History, int]] = {}
        self.run_view: Any = None
        self._build_layout()
        self.only_differences = only_differences
        self.refresh()

    def _build_layout(self) -> None:
        self.baseline_dropdown = ipywidgets.Dropdown(description="baseline", options=[])
        self.baseline_dropdown.add_class("mltrack-baseline")
        self.diff_toggle = ipywidgets.Checkbox(description="only differences", indent=False)
        self.diff_toggle.add_class("mltrack-only-differences")
        traitlets.link((self.baseline_dropdown, "value"), (self, "baseline"))
        traitlets.link((self.diff_toggle, "value"), (self, "only_differences"))
        self.baseline_note = ipywidgets.HTML()
        self.baseline_note.add_class("mltrack-baseline-note")
        self.toolbar.children = [
            *self.toolbar.children,
            self.baseline_dropdown,
            self.baseline_note,
            self.diff_toggle,
        ]
        self.run_links = ipywidgets.HBox()
        self.run_links.add_class("mltrack-run-links")
        self.params_html = ipywidgets.HTML()
        self.metrics_html = ipywidgets.HTML()
        self.dims_select = ipywidgets.SelectMultiple(
            options=[], rows=6, description="axes", layout=ipywidgets.Layout(width="420px")
        )
        self.dims_select.add_class("mltrack-parcoords-axes")
        self._filling = False
        self.dims_select.observe(self._on_control, "value")
        self.parcoords = FigureOutput()
        self.parcoords.add_class("mltrack-parcoords")
        self.history_key = ipywidgets.Dropdown(description="metric", options=[])
        self.history_key.add_class("mltrack-history-key")
        self.history_key.observe(self._on_control, "value")
        self.history = FigureOutput()
        self.history.add_class("mltrack-history")
        self.source_html = ipywidgets.HTML()
        self.source_html.add_class("mltrack-source-diff")
        self.detail_box = ipywidgets.VBox()
        self.detail_box.add_class("mltrack-run-detail")
        self.sections = {
            "params": ipywidgets.VBox([_heading("Parameters"), self.params_html]),
            "metrics": ipywidgets.VBox([_heading("Metrics"), self.metrics_html]),
            "parcoords": ipywidgets.VBox(
                [_heading("Parallel coordinates"), self.dims_select, self.parcoords]
            ),
            "history": ipywidgets.VBox(
                [_heading("Metric history"), self.history_key, self.history]
            ),
            "source": ipywidgets.VBox([_heading("Recorded source"), self.source_html]),
        }
        self.body.children = [self.run_links, *self.sections.values(), self.detail_box]

    # -- loading ----------------------------------------------------------------------------------
    def _build(self) -> None:
        runs, missing = [], []
        for run_id in self.run_ids:
            try:
                runs.append(self.tracking.get_run(run_id))
            except RunNotFound:
                missing.append(run_id)
        self.runs, self._histories = runs, {}
        self.labels = run_labels(runs)
        self.facts = read_facts(self.tracking, self._registry_or_none(), runs)
        self.senses = metric_senses(runs, self.facts, self.directions)
        self.chosen = choose_baseline(runs, self.facts)
        listed = {
            r.info.run_id: {f.path for f in self.tracking.list_artifacts(r.info.run_id)}
            for r in runs
        }
        self.sources = {name: self._read_sources(name, listed) for name in SOURCE_FILES}
        self._fill_controls()
        self._draw_all()
        if missing:
            self.notice.error(f"Unknown run id(s): {', '.join(missing)}")
        elif not runs:
            self.notice.info("No runs to compare: pass two or more run ids.")

    def _registry_or_none(self) -> RegistryClient | None:
        try:
            return self.registry
        except MltrackError:  # a store without a model registry: no run is "in production"
            return None

    def _read_sources(self, name: str, listed: Mapping[str, set[str]]) -> dict[str, str | None]:
        """The text of artifact ``name`` per run label (None where the run has none).

        ``listed`` holds the root artifact paths of each run, by run id.
        """
        texts: dict[str, str | None] = {}
        for run in self.runs:
            label = self.labels[run.info.run_id]
            texts[label] = None
            if name in listed[run.info.run_id]:
                with tempfile.TemporaryDirectory(prefix="mltrack-compare-") as tmp:
                    path = self.tracking.download_artifacts(run.info.run_id, name, tmp)
                    texts[label] = Path(path).read_text(encoding="utf-8", errors="replace")
        return texts

    def _fill_controls(self) -> None:
        options = [(self._option_label(r.info.run_id), r.info.run_id) for r in self.runs]
        ids = {run_id for _label, run_id in options}
        wanted = [self.baseline, self._requested_baseline, self.chosen.run_id]  # user first
        keep = next((run_id for run_id in wanted if run_id in ids), None)
        metrics = sorted({k for r in self.runs for k in r.data.metrics})
        objective = self.facts.objective.metric if self.facts.objective else None
        choices, default = axis_choices(self.runs, objective)
        self._filling = True  # the observers would redraw once per control; _draw_all follows
        try:
            self.baseline_dropdown.options = options
            self.baseline_dropdown.value = keep
            self.dims_select.options = choices
            self.dims_select.value = tuple(default)
            self.history_key.options = metrics
            self.history_key.value = self._history_default(metrics, objective)
        finally:
            self._filling = False
        replace_children(self.run_links, [self._link(r) for r in self.runs])

    def _option_label(self, run_id: str) -> str:
        served = self.facts.served.get(run_id)
        best = self.chosen.reason == "best" and run_id == self.chosen.run_id
        mark = f" ({served})" if served else " (best)" if best else ""
        return f"{self.labels[run_id]}{mark}"

    def _history_default(self, metrics: Sequence[str], objective: str | None) -> str | None:
        """The first metric (objective first, then losses) that some run logged more than once."""
        if not metrics:
            return None
        first = [objective] if objective is not None and objective in metrics else []
        lossy = [k for k in metrics if self.senses.get(k) == "min" and k not in first]
        order = list(dict.fromkeys([*first, *lossy, *metrics]))
        for key in order[:_HISTORY_PROBES]:
            if any(
                self._points(r.info.run_id, key) > 1 for r in self.runs if key in r.data.metrics
            ):
                return key
        return first[0] if first else metrics[0]

    def _points(self, run_id: str, key: str) -> int:
        if (run_id, key) not in self._histories:
            self._histories[(run_id, key)] = fetch_history(self.tracking, run_id, key)
        return self._histories[(run_id, key)][1]

    def _link(self, run: Run) -> ipywidgets.Button:
        button = ipywidgets.Button(
            description=f"{self.labels[run.info.run_id]} · {run.info.run_id[:8]}",
            tooltip=f"Open run {run.info.run_id}",
            icon="external-link",
        )
        button.add_class("mltrack-run-link")
        button.on_click(lambda _b: self.open_run(run.info.run_id))
        return button

    # -- drawing ----------------------------------------------------------------------------------
    def _on_control(self, change: dict[str, Any]) -> None:
        if self._filling:
            return
        if change["owner"] is self.dims_select:
            self._draw_parcoords()
        else:
            self._draw_history()

    def _draw_all(self) -> None:
        self._draw_tables()
        self._draw_parcoords()
        self._draw_history()
        self._draw_sources()

    def _draw_tables(self) -> None:
        labels = [self.labels[r.info.run_id] for r in self.runs]
        rows = param_rows(self.runs, only_differences=self.only_differences)
        self.params_html.value = param_table_html(labels, rows)
        base = self.labels.get(self.baseline or "")
        rows_m = metric_rows(self.runs, self.baseline or None, senses=self.senses)
        self.metrics_html.value = metric_table_html(labels, rows_m, base, senses=self.senses)
        self.baseline_note.value = self._baseline_text()

    def _baseline_text(self) -> str:
        if not self.baseline or self.baseline != self.chosen.run_id or not self.chosen.detail:
            return ""
        return f'<span style="opacity:0.75;font-size:12px">{self.chosen.detail}</span>'

    def _draw_parcoords(self) -> None:
        names = list(self.dims_select.value)
        if len(self.runs) < 2 or len(names) < 2:
            self.parcoords.clear()
            return
        labels = [self.labels[r.info.run_id] for r in self.runs]
        objective = self.facts.objective
        self.parcoords.show(
            parcoords_figure(
                labels,
                parcoords_columns(self.runs, names),
                color_by=f"metrics.{objective.metric}" if objective else None,
                run_ids=[r.info.run_id for r in self.runs],
            )
        )

    def _draw_history(self) -> None:
        key = self.history_key.value
        if not key or not self.runs:
            self.history.clear()
            return
        with self.report(f"load the history of {key!r}"):
            having = [r for r in self.runs if key in r.data.metrics]
            if all(self._points(r.info.run_id, key) <= 1 for r in having):
                ids = [r.info.run_id for r in having]
                values = [r.data.metrics[key] for r in having]
                self.history.show(bar_figure(ids, [self.labels[i] for i in ids], key, values))
                return
            series = [self._series(r.info.run_id, key) for r in having]
            self.history.show(metric_figure(series, keys=[key], height_per_metric=320))

    def _series(self, run_id: str, key: str) -> Series:
        self._points(run_id, key)  # fetched once: columnar and reduced in the store
        history, total = self._histories[(run_id, key)]
        series = history.series(run_id, self.labels[run_id], key)
        return dataclasses.replace(series, total_points=total)

    def _draw_sources(self) -> None:
        base = self.labels.get(self.baseline or "", "")
        parts = [
            source_diff_html(name, texts, base)
            for name, texts in self.sources.items()
            if any(t is not None for t in texts.values())
        ]
        self.source_html.value = "".join(parts)
        self.sections["source"].layout.display = None if parts else "none"

    @traitlets.observe("baseline", "only_differences")
    def _options_changed(self, _change: dict[str, Any]) -> None:
        if self.runs:
            self._draw_tables()
            self._draw_sources()

    # -- actions ----------------------------------------------------------------------------------
    def open_run(self, run_id: str) -> Any:
        """Show the ``RunView`` of one run below the comparison and return it."""
        with self.report(f"open run {run_id}"):
            from jupyter_mltrack.widgets.run_view import RunView

            self.run_view = RunView(run_id, client=self.tracking)
            replace_children(self.detail_box, [self.run_view])
        return self.run_view
