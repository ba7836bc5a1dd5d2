"""One definition of an experiment's objective: the metric its runs are ranked by, and which way.

Every widget that says "best" (the dashboard's summary, the experiments list, the comparison's
baseline) asks :func:`experiment_objective`, which answers from, in this order:

1. the sweep: a sweep's parent run (tag ``mltrack.sweep``) records the metric it optimised and the
   direction as params ``sweep.metric`` and ``sweep.mode`` — the most recent sweep wins;
2. the user's pick, set with :func:`set_objective` and remembered as the experiment tag
   ``mltrack.objective`` (``"roc_auc:max"``), so it survives the kernel;
3. a guess from the metric names the runs logged (a name such as ``roc_auc`` or ``f1`` before
   ``loss``), its direction by the comparison's naming rules (``widgets/_direction.py``:
   ``val_loss`` and ``false_positives`` are lower-is-better).

Example:
    >>> from jupyter_mltrack.widgets._objective import experiment_objective, ranked
    >>> objective = experiment_objective(client, "1")  # doctest: +SKIP
    >>> best, runner_up = ranked(runs, objective)[:2]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.widgets._direction import Direction, metric_direction

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "OBJECTIVE_TAG",
    "SWEEP_TAG",
    "Direction",
    "Objective",
    "Source",
    "best_run",
    "direction_of",
    "experiment_objective",
    "guess_objective",
    "name_rank",
    "objective_value",
    "ranked",
    "set_objective",
    "sweep_objective",
]

Source = Literal["sweep", "user", "guess"]

#: Experiment tag remembering the user's pick, as ``"<metric>:<min|max>"``.
OBJECTIVE_TAG = "mltrack.objective"
#: The tag of a sweep's parent run (same value as ``projects.sweep.SWEEP_TAG``, which is not
#: imported: the projects layer would pull papermill into the widgets).
SWEEP_TAG = "mltrack.sweep"
#: Recent runs read when no runs are passed in (for the sweep and the guess).
SAMPLE = 200

# A metric whose name says "this is what we optimise", most telling first.
_PREFERRED = (
    r"roc_auc|auc",
    r"f1",
    r"accuracy|acc",
    r"r2",
    r"average_precision|precision|recall",
    r"loss",
    r"rmse|mae|mse|error",
)
# Kernel-wide memory of picks made where the store must not be written (a read-only dashboard).
_PICKS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True, slots=True)
class Objective:
    """The metric an experiment is ranked by and whether higher or lower is better.

    Attributes:
        metric: The metric key, e.g. ``"roc_auc"``.
        direction: ``"max"`` (higher is better) or ``"min"``.
        source: Where it came from: ``"sweep"``, ``"user"`` or ``"guess"``.
        sweep_run_id: The sweep parent run that recorded it (source ``"sweep"`` only).
    """

    metric: str
    direction: Direction
    source: Source = "guess"
    sweep_run_id: str | None = None

    def __post_init__(self) -> None:
        if self.direction not in ("min", "max"):
            raise InvalidParameterError(
                f"An objective's direction is 'min' or 'max', got {self.direction!r}"
            )

    @property
    def higher_is_better(self) -> bool:
        """True when a larger value of :attr:`metric` is better."""
        return self.direction == "max"

    @property
    def arrow(self) -> str:
        """``↑`` (higher is better) or ``↓``."""
        return "↑" if self.higher_is_better else "↓"

    def describe(self) -> str:
        """A phrase for people: ``"roc_auc (higher is better, set by the sweep)"``."""
        way = "higher" if self.higher_is_better else "lower"
        origin = {"sweep": "set by the sweep", "user": "chosen", "guess": "guessed from its name"}
        return f"{self.metric} ({way} is better, {origin[self.source]})"

    def better(self, a: float, b: float) -> bool:
        """Tell whether value ``a`` is strictly better than ``b``."""
        return a > b if self.higher_is_better else a < b

    def order_clause(self) -> str:
        """The ``order_by`` clause listing runs best first (runs without the metric last)."""
        quoted = f'"{self.metric}"' if "`" in self.metric else f"`{self.metric}`"
        return f"metrics.{quoted} {'DESC' if self.higher_is_better else 'ASC'}"

    def to_tag(self) -> str:
        """The value stored in the :data:`OBJECTIVE_TAG` experiment tag."""
        return f"{self.metric}:{self.direction}"

    @classmethod
    def from_tag(cls, value: str) -> Objective | None:
        """Read a :data:`OBJECTIVE_TAG` value; None when it is malformed."""
        metric, _, direction = value.rpartition(":")
        if not metric or direction not in ("min", "max"):
            return None
        return cls(metric, "max" if direction == "max" else "min", "user")


# -- values and ranking -------------------------------------------------------------------------
def objective_value(run: Run, objective: Objective) -> float | None:
    """Return the run's finite value of the objective's metric, else None."""
    value = run.data.metrics.get(objective.metric)
    return value if value is not None and math.isfinite(value) else None


def ranked(runs: Iterable[Run], objective: Objective) -> list[Run]:
    """Return the runs that have a finite value of the metric, best first (stable on ties)."""
    scored = [
        (value, run) for run in runs if (value := objective_value(run, objective)) is not None
    ]
    scored.sort(key=lambda pair: pair[0], reverse=objective.higher_is_better)
    return [run for _value, run in scored]


def best_run(runs: Iterable[Run], objective: Objective) -> Run | None:
    """Return the best run by the objective (None if no run has a finite value)."""
    best = ranked(runs, objective)
    return best[0] if best else None


# -- where the objective comes from ------------------------------------------------------------
def direction_of(metric: str) -> Direction:
    """Return ``"min"`` when a metric of that name is lower-is-better, else ``"max"``.

    The comparison's rules (:func:`~jupyter_mltrack.widgets._direction.metric_direction`):
    a direction declared in this kernel, else the name (``loss``, ``error``, ``false_positives``).
    """
    return metric_direction(metric)


def sweep_objective(runs: Iterable[Run]) -> Objective | None:
    """Return the objective recorded by the most recent sweep parent among ``runs``."""
    sweeps = [
        run
        for run in runs
        if SWEEP_TAG in run.data.tags and run.data.params.get("sweep.metric", "").strip()
    ]
    if not sweeps:
        return None
    latest = max(sweeps, key=lambda run: run.info.start_time or 0)
    mode = latest.data.params.get("sweep.mode", "max")
    direction: Direction = "min" if mode == "min" else "max"
    metric = latest.data.params["sweep.metric"].strip()
    return Objective(metric, direction, "sweep", latest.info.run_id)


def name_rank(key: str) -> int:
    """How telling a metric's name is: 0 for ``auc``, 1 for ``f1``, ... (unknown names last).

    Names of one family (``f1_score``, ``f1_score_macro``) share a rank.
    """
    return next(
        (i for i, pattern in enumerate(_PREFERRED) if re.search(pattern, key, re.I)),
        len(_PREFERRED),
    )


def guess_objective(runs: Sequence[Run]) -> Objective | None:
    """Guess the objective from the metric keys the runs logged (None if they logged none).

    The key logged by the most runs wins; among equals, a telling name (``auc``, ``f1``,
    ``accuracy``, ... ``loss``), then a key whose values differ between runs. A sweep's summary
    keys (``best_<metric>``) are skipped.
    """
    counts: Counter[str] = Counter()
    values: dict[str, set[float]] = {}
    for run in runs:
        for key, value in run.data.metrics.items():
            if key.startswith("best_") or not math.isfinite(value):
                continue
            counts[key] += 1
            values.setdefault(key, set()).add(value)
    if not counts:
        return None

    def rank(key: str) -> tuple[int, int, int, int, str]:
        named = name_rank(key)
        held_out = 0 if re.match(r"(val|valid|validation|test|eval)[_/.]", key, re.I) else 1
        return (-counts[key], named, held_out, -len(values[key]), key)

    metric = min(counts, key=rank)
    return Objective(metric, direction_of(metric), "guess")


def _recent_runs(client: TrackingClient, experiment_id: str) -> list[Run]:
    return list(
        client.search_runs(
            [experiment_id], max_results=SAMPLE, order_by=["attributes.start_time DESC"]
        )
    )


def _find_sweep(client: TrackingClient, experiment_id: str) -> Objective | None:
    """The newest sweep parent of the experiment, found by the store (however old it is)."""
    parents = client.search_runs(
        [experiment_id],
        f"tags.`{SWEEP_TAG}` IS NOT NULL",
        max_results=20,
        order_by=["attributes.start_time DESC"],
    )
    return sweep_objective(parents)


def _user_pick(client: TrackingClient, experiment_id: str) -> Objective | None:
    remembered = _PICKS.get((client.tracking_uri, experiment_id))
    tag = client.get_experiment(experiment_id).tags.get(OBJECTIVE_TAG)
    for value in (remembered, tag):
        if value and (picked := Objective.from_tag(value)) is not None:
            return picked
    return None


def experiment_objective(
    client: TrackingClient, experiment_id: str, *, runs: Sequence[Run] | None = None
) -> Objective | None:
    """Return the objective of an experiment: the sweep's, else the user's pick, else a guess.

    Args:
        client: The tracking client of the store.
        experiment_id: The experiment.
        runs: Runs of the experiment already loaded (used for the guess; the sweep parent is
            still looked up in the store when they hold none). By default the latest runs.

    Returns:
        The objective, or None when no run of the experiment logged a metric.
    """
    found = sweep_objective(runs) if runs is not None else None
    if found is None:
        found = _find_sweep(client, experiment_id)
    if found is None:
        found = _user_pick(client, experiment_id)
    if found is None:
        found = guess_objective(_recent_runs(client, experiment_id) if runs is None else runs)
    return found


def set_objective(
    client: TrackingClient,
    experiment_id: str,
    metric: str,
    direction: Direction,
    *,
    persist: bool = True,
) -> Objective:
    """Remember the user's pick of objective for an experiment and return it.

    Args:
        client: The tracking client of the store.
        experiment_id: The experiment.
        metric: The metric key.
        direction: ``"max"`` or ``"min"``.
        persist: Store it as the experiment tag :data:`OBJECTIVE_TAG`; with False (a read-only
            dashboard, which must not write) it is remembered only while the kernel lives.

    Raises:
        InvalidParameterError: An empty metric or a direction other than min/max.
    """
    if not metric.strip():
        raise InvalidParameterError("Pick a metric to rank the runs by")
    objective = Objective(metric.strip(), direction, "user")
    _PICKS[(client.tracking_uri, experiment_id)] = objective.to_tag()
    if persist:
        client.set_experiment_tag(experiment_id, OBJECTIVE_TAG, objective.to_tag())
    return objective
