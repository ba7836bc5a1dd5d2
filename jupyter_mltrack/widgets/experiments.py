"""ExperimentsList: the experiments of a store with their run counts and best run by objective.

Each experiment is ranked by its own objective (:mod:`~jupyter_mltrack.widgets._objective`: the
sweep's metric and direction, else the user's pick, else a guess from the metric names), unless
a metric is chosen in the toolbar for all of them. All sorting happens in the store: the best
run of an experiment is the first of a search ordered by the metric (a few are fetched, since
MLflow's order puts NaN before numbers in descending order). Run counts come from the store's
``count_runs``: one ``COUNT(*)`` on SQL stores and mltrack servers, so they are exact however
many runs there are. The metric keys offered are those of each experiment's most recent runs.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets
import traitlets

from jupyter_mltrack.entities import Experiment, Run
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children, reporting
from jupyter_mltrack.widgets._objective import (
    Direction,
    Objective,
    experiment_objective,
    objective_value,
)

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "EACH_OBJECTIVE",
    "ExperimentSummary",
    "ExperimentsList",
    "find_best_run",
    "metric_keys",
    "order_clause",
]

#: Recent runs per experiment whose metric keys fill the metric chooser.
KEY_SAMPLE = 100
_BEST_CANDIDATES = 25
MAX_EXPERIMENTS = 500
#: The metric chooser's value meaning "rank each experiment by its own objective".
EACH_OBJECTIVE = ""


@dataclass(frozen=True, slots=True)
class ExperimentSummary:
    """One row of the list: an experiment, its run count, objective and best run by it."""

    experiment: Experiment
    runs: int
    best_value: float | None = None
    best_run_id: str | None = None
    best_run_name: str | None = None
    objective: Objective | None = None

    @property
    def runs_text(self) -> str:
        """The run count as shown, e.g. ``"42"`` or ``"12,345"``."""
        return f"{self.runs:,}"


def order_clause(key: str, mode: str) -> str:
    """Return the ``order_by`` clause sorting by metric ``key``, best first (``max``/``min``)."""
    return Objective(key, "min" if mode == "min" else "max").order_clause()


def find_best_run(client: TrackingClient, experiment_id: str, objective: Objective) -> Run | None:
    """Return the experiment's best run by ``objective`` (a finite value), searched in the store."""
    page = client.search_runs(
        [experiment_id], max_results=_BEST_CANDIDATES, order_by=[objective.order_clause()]
    )
    return next((run for run in page if objective_value(run, objective) is not None), None)


def recent_runs(client: TrackingClient, experiment_id: str) -> list[Run]:
    """Return the experiment's most recent runs (their keys fill the metric chooser)."""
    return list(
        client.search_runs(
            [experiment_id], max_results=KEY_SAMPLE, order_by=["attributes.start_time DESC"]
        )
    )


def metric_keys(client: TrackingClient, experiment_ids: Sequence[str]) -> list[str]:
    """Return the sorted metric keys of the most recent runs of the experiments."""
    keys: set[str] = set()
    for experiment_id in experiment_ids:
        for run in recent_runs(client, experiment_id):
            keys.update(run.data.metrics)
    return sorted(keys)


def summarize(
    client: TrackingClient, experiment: Experiment, objective: Objective | None
) -> ExperimentSummary:
    """Return the summary row of one experiment (best run only when an objective is known)."""
    runs = client.count_runs(experiment.experiment_id)
    found = objective if runs else None
    best = find_best_run(client, experiment.experiment_id, found) if found else None
    return ExperimentSummary(
        experiment=experiment,
        runs=runs,
        best_value=None if best is None or found is None else objective_value(best, found),
        best_run_id=None if best is None else best.info.run_id,
        best_run_name=None if best is None else best.info.run_name,
        objective=found,
    )


class ExperimentsList(TrackedWidget):
    """The experiments of a store, with run counts and the best run by each one's objective.

    Clicking an experiment's name sets :attr:`selected_experiment_id` and calls the callbacks
    registered with :meth:`on_open` (the dashboard opens the experiment).

    Args:
        metric: Rank every experiment by this metric instead of its own objective.
        mode: With ``metric``: ``"max"`` (higher is better) or ``"min"``.
        client: A tracking client; by default one for ``tracking_uri`` or the current URI.
        tracking_uri: The store to read when no client is given.
        registry: Unused; accepted so every widget takes the same client arguments.

    Example:
        >>> from jupyter_mltrack.widgets import ExperimentsList
        >>> ExperimentsList()  # each experiment ranked by its objective  # doctest: +SKIP
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
        self._wanted_metric = metric or EACH_OBJECTIVE
        self._experiments: list[Experiment] = []
        self._objectives: dict[str, Objective | None] = {}
        self._loading = False
        self.metric_dropdown = ipywidgets.Dropdown(
            options=[("each experiment's objective", EACH_OBJECTIVE)], description="Best by"
        )
        self.metric_dropdown.add_class("mltrack-metric-key")
        self.mode_toggle = ipywidgets.ToggleButtons(
            options=["max", "min"], value=mode, tooltips=["higher is better", "lower is better"]
        )
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
        keys: set[str] = set()
        self._objectives = {}
        for experiment in experiments:
            recent = recent_runs(self.tracking, experiment.experiment_id)
            keys.update(key for run in recent for key in run.data.metrics)
            self._objectives[experiment.experiment_id] = (
                experiment_objective(self.tracking, experiment.experiment_id, runs=recent)
                if recent
                else None
            )
        wanted = self.metric_dropdown.value or self._wanted_metric
        self._loading = True  # one ranking per refresh, not one per changed control
        try:
            self.metric_dropdown.options = [
                ("each experiment's objective", EACH_OBJECTIVE),
                *((key, key) for key in sorted(keys)),
            ]
            self.metric_dropdown.value = wanted if wanted in keys else EACH_OBJECTIVE
        finally:
            self._loading = False
        self._fill()
        if not experiments:
            self.notice.info("No experiments in this store yet.")
        elif not any(s.runs for s in self.summaries):
            self.notice.info("No runs recorded yet: log some and press refresh.")

    def objective_of(self, experiment_id: str) -> Objective | None:
        """The objective the list ranks ``experiment_id`` by (the toolbar's metric if chosen)."""
        key = self.metric_dropdown.value
        if key:
            mode: Direction = "min" if self.mode_toggle.value == "min" else "max"
            return Objective(key, mode, "user")
        return self._objectives.get(experiment_id)

    def _fill(self) -> None:
        self.mode_toggle.disabled = not self.metric_dropdown.value
        self.summaries = [
            summarize(self.tracking, e, self.objective_of(e.experiment_id))
            for e in self._experiments
        ]
        header = _row_html(("experiment", "id", "runs", "objective", "best value", "best run"))
        rows: list[ipywidgets.Widget] = [ipywidgets.HTML(header)]
        rows.extend(self._row(summary) for summary in self.summaries)
        replace_children(self.table, rows)

    def _row(self, summary: ExperimentSummary) -> ipywidgets.Widget:
        experiment = summary.experiment
        button = ipywidgets.Button(
            description=experiment.name,
            tooltip=f"Open {experiment.name}",
            layout=ipywidgets.Layout(width="220px"),
        )
        button.add_class("mltrack-experiment")
        button.on_click(lambda _b, i=experiment.experiment_id: self.open_experiment(i))
        best = "-" if summary.best_value is None else f"{summary.best_value:.4g}"
        objective = summary.objective
        cells = ipywidgets.HTML(
            _row_html(
                (
                    experiment.experiment_id,
                    summary.runs_text,
                    "-" if objective is None else f"{objective.metric} {objective.arrow}",
                    best,
                    summary.best_run_name or "-",
                ),
                first_width=0,
                title="" if objective is None else objective.describe(),
            )
        )
        row = ipywidgets.HBox([button, cells])
        row.add_class("mltrack-experiment-row")
        return row


_WIDTHS = (220, 60, 70, 150, 90, 220)


def _row_html(cells: Sequence[str], first_width: int = 220, title: str = "") -> str:
    widths = _WIDTHS if first_width else _WIDTHS[1:]
    tip = f' title="{html.escape(title)}"' if title else ""
    return "".join(
        f'<span style="display:inline-block;width:{w}px;padding:0 4px"{tip}>{html.escape(c)}</span>'
        for w, c in zip(widths, cells, strict=False)
    )
