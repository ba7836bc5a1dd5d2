"""ExperimentsList: the experiments of a store with their run counts and best value of a metric.

All sorting happens in the store: the best run of an experiment is the first of a search ordered
by the chosen metric (a few are fetched, since MLflow's order puts NaN before numbers in
descending order). Run counts come from the store's ``count_runs``: one ``COUNT(*)`` on SQL
stores and mltrack servers, so they are exact however many runs there are. The metric keys
offered are those of each experiment's most recent runs.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets
import traitlets

from jupyter_mltrack.entities import Experiment, Run
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children, reporting

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "ExperimentSummary",
    "ExperimentsList",
    "best_run",
    "metric_keys",
    "order_clause",
]

#: Recent runs per experiment whose metric keys fill the metric chooser.
KEY_SAMPLE = 100
_BEST_CANDIDATES = 25
MAX_EXPERIMENTS = 500


@dataclass(frozen=True, slots=True)
class ExperimentSummary:
    """One row of the list: an experiment, its run count and its best run for the metric."""

    experiment: Experiment
    runs: int
    best_value: float | None = None
    best_run_id: str | None = None
    best_run_name: str | None = None

    @property
    def runs_text(self) -> str:
        """The run count as shown, e.g. ``"42"`` or ``"12,345"``."""
        return f"{self.runs:,}"


def order_clause(key: str, mode: str) -> str:
    """Return the ``order_by`` clause sorting by metric ``key``, best first (``max``/``min``)."""
    quoted = f'"{key}"' if "`" in key else f"`{key}`"
    return f"metrics.{quoted} {'DESC' if mode == 'max' else 'ASC'}"


def best_run(client: TrackingClient, experiment_id: str, key: str, mode: str) -> Run | None:
    """Return the run with the highest (``max``) or lowest (``min``) finite value of ``key``."""
    page = client.search_runs(
        [experiment_id], max_results=_BEST_CANDIDATES, order_by=[order_clause(key, mode)]
    )
    for run in page:
        value = run.data.metrics.get(key)
        if value is not None and math.isfinite(value):
            return run
    return None


def metric_keys(client: TrackingClient, experiment_ids: Sequence[str]) -> list[str]:
    """Return the sorted metric keys of the most recent runs of the experiments."""
    keys: set[str] = set()
    for experiment_id in experiment_ids:
        recent = client.search_runs(
            [experiment_id], max_results=KEY_SAMPLE, order_by=["attributes.start_time DESC"]
        )
        for run in recent:
            keys.update(run.data.metrics)
    return sorted(keys)


def summarize(
    client: TrackingClient, experiment: Experiment, key: str | None, mode: str
) -> ExperimentSummary:
    """Return the summary row of one experiment (best run only when ``key`` is given)."""
    runs = client.count_runs(experiment.experiment_id)
    best = best_run(client, experiment.experiment_id, key, mode) if key and runs else None
    return ExperimentSummary(
        experiment=experiment,
        runs=runs,
        best_value=None if best is None or key is None else best.data.metrics[key],
        best_run_id=None if best is None else best.info.run_id,
        best_run_name=None if best is None else best.info.run_name,
    )


class ExperimentsList(TrackedWidget):
    """The experiments of a store, with run counts and the best run for a chosen metric.

    Clicking an experiment's name sets :attr:`selected_experiment_id` and calls the callbacks
    registered with :meth:`on_open` (the dashboard opens the experiment's runs).

    Args:
        metric: The metric to rank by; by default the first key found.
        mode: ``"max"`` (higher is better) or ``"min"``.
        client: A tracking client; by default one for ``tracking_uri`` or the current URI.
        tracking_uri: The store to read when no client is given.
        registry: Unused; accepted so every widget takes the same client arguments.

    Example:
        >>> from jupyter_mltrack.widgets import ExperimentsList
        >>> ExperimentsList(metric="val_loss", mode="min")  # doctest: +SKIP
    """

    css_name = "experiments-list"
    selected_experiment_id = traitlets.Unicode(
        None, allow_none=True, help="Id of the experiment last opened"
    )

    def __init__(
        self,
        *,
        metric: str | None = None,
        mode: str = "max",
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
    ) -> None:
        super().__init__(client=client, tracking_uri=tracking_uri, registry=registry)
        self.summaries: list[ExperimentSummary] = []
        self._callbacks: list[Callable[[Experiment], Any]] = []
        self._wanted_metric = metric
        self._experiments: list[Experiment] = []
        self._loading = False
        self.metric_dropdown = ipywidgets.Dropdown(options=[], description="Best by")
        self.metric_dropdown.add_class("mltrack-metric-key")
        self.mode_toggle = ipywidgets.ToggleButtons(options=["max", "min"], value=mode)
        self.mode_toggle.add_class("mltrack-best-mode")
        self.toolbar.children = (*self.toolbar.children, self.metric_dropdown, self.mode_toggle)
        self.table = ipywidgets.VBox()
        self.table.add_class("mltrack-experiments")
        self.body.children = [self.table]
        self.refresh()
        self.metric_dropdown.observe(self._on_choice, names="value")
        self.mode_toggle.observe(self._on_choice, names="value")

    def on_open(self, callback: Callable[[Experiment], Any]) -> None:
        """Call ``callback(experiment)`` whenever an experiment is opened from the list."""
        self._callbacks.append(callback)

    def open_experiment(self, experiment_id: str) -> None:
        """Open an experiment: set :attr:`selected_experiment_id` and notify the callbacks."""
        summary = next(
            (s for s in self.summaries if s.experiment.experiment_id == experiment_id), None
        )
        if summary is None:
            self.notice.error(f"Experiment id {experiment_id!r} is not in the list; refresh it")
            return
        self.selected_experiment_id = experiment_id
        for callback in self._callbacks:
            callback(summary.experiment)

    def _on_choice(self, _change: dict[str, Any]) -> None:
        if self._loading:
            return
        self.notice.clear()
        with reporting(self.notice, "rank the experiments"):
            self._fill()

    def _build(self) -> None:
        self._experiments = experiments = list(
            self.tracking.search_experiments(max_results=MAX_EXPERIMENTS)
        )
        keys = metric_keys(self.tracking, [e.experiment_id for e in experiments])
        wanted = self.metric_dropdown.value or self._wanted_metric
        self._loading = True  # one ranking per refresh, not one per changed control
        try:
            self.metric_dropdown.options = keys
            self.metric_dropdown.value = wanted if wanted in keys else (keys[0] if keys else None)
        finally:
            self._loading = False
        self._fill()
        if not experiments:
            self.notice.info("No experiments in this store yet.")
        elif not any(s.runs for s in self.summaries):
            self.notice.info("No runs recorded yet: log some and press refresh.")

    def _fill(self) -> None:
        key, mode = self.metric_dropdown.value, self.mode_toggle.value
        self.summaries = [summarize(self.tracking, e, key, mode) for e in self._experiments]
        header = _row_html(("experiment", "id", "runs", f"best {key or ''}".strip(), "best run"))
        rows: list[ipywidgets.Widget] = [ipywidgets.HTML(header)]
        rows.extend(self._row(summary) for summary in self.summaries)
        replace_children(self.table, rows)

    def _row(self, summary: ExperimentSummary) -> ipywidgets.Widget:
        experiment = summary.experiment
        button = ipywidgets.Button(
            description=experiment.name,
            tooltip=f"Open the runs of {experiment.name}",
            layout=ipywidgets.Layout(width="220px"),
        )
        button.add_class("mltrack-experiment")
        button.on_click(lambda _b, i=experiment.experiment_id: self.open_experiment(i))
        best = "-" if summary.best_value is None else f"{summary.best_value:.6g}"
        cells = ipywidgets.HTML(
            _row_html(
                (experiment.experiment_id, summary.runs_text, best, summary.best_run_name or "-"),
                first_width=0,
            )
        )
        row = ipywidgets.HBox([button, cells])
        row.add_class("mltrack-experiment-row")
        return row


_WIDTHS = (220, 60, 70, 110, 220)


def _row_html(cells: Sequence[str], first_width: int = 220) -> str:
    widths = _WIDTHS if first_width else _WIDTHS[1:]
    return "".join(
        f'<span style="display:inline-block;width:{w}px;padding:0 4px">{html.escape(c)}</span>'
        for w, c in zip(widths, cells, strict=False)
    )
