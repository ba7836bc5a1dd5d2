"""What a comparison compares against, and what it knows about its metrics.

The baseline is the run a reader measures the others against: the run whose model is in
Production (or holds an alias), else the best run by the experiment's objective
(``widgets/_objective.py``), else the first run. Which way is better for each metric comes from
``widgets/_direction.py``, with the objective's own direction for its metric.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_mltrack.errors import MltrackError
from jupyter_mltrack.widgets._direction import (
    Direction,
    declared_directions,
    kernel_directions,
    metric_sense,
)
from jupyter_mltrack.widgets._objective import Objective, best_run, experiment_objective

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["Baseline", "CompareFacts", "choose_baseline", "metric_senses", "read_facts"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The chosen baseline run and why: ``"production"``, ``"alias"``, ``"best"`` or ``"first"``."""

    run_id: str | None
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CompareFacts:
    """What the store says about the compared runs beyond the runs themselves."""

    objective: Objective | None = None
    #: run id -> "Production" or "alias <name>" for runs whose model the registry serves.
    served: Mapping[str, str] = field(default_factory=dict)
    #: Directions declared by ``mltrack.metricDirection.<key>`` tags of the runs/experiments.
    tagged: Mapping[str, Direction] = field(default_factory=dict)


def choose_baseline(runs: Sequence[Run], facts: CompareFacts) -> Baseline:
    """Pick the baseline: the served run, else the best by the objective, else the first."""
    ids = [r.info.run_id for r in runs]
    for run_id in ids:
        if facts.served.get(run_id) == "Production":
            return Baseline(run_id, "production", "its model is in Production")
    for run_id in ids:
        if run_id in facts.served:
            return Baseline(run_id, "alias", f"its model holds the {facts.served[run_id]}")
    if facts.objective is not None:
        best = best_run(runs, facts.objective)
        if best is not None:
            return Baseline(best.info.run_id, "best", f"best by {facts.objective.describe()}")
    return Baseline(ids[0] if ids else None, "first", "")


def metric_senses(
    runs: Sequence[Run], facts: CompareFacts, declared: Mapping[str, str] | None = None
) -> dict[str, Direction | None]:
    """Direction (or None: neutral) of every metric of ``runs``.

    Precedence: ``declared`` (the comparison's ``directions=``), then directions declared in
    this kernel, then tags, then the objective's direction for its metric, then the name.
    """
    merged: dict[str, str] = dict(facts.tagged)
    if facts.objective is not None:
        merged.setdefault(facts.objective.metric, facts.objective.direction)
    merged |= kernel_directions()
    merged |= dict(declared or {})
    keys = sorted({k for r in runs for k in r.data.metrics})
    return {key: metric_sense(key, declared=merged) for key in keys}


def read_facts(
    tracking: TrackingClient, registry: RegistryClient | None, runs: Sequence[Run]
) -> CompareFacts:
    """Read the objective, the served runs and the direction tags for ``runs``."""
    if not runs:
        return CompareFacts()
    experiments = Counter(r.info.experiment_id for r in runs)
    main = experiments.most_common(1)[0][0]
    mine = [r for r in runs if r.info.experiment_id == main]
    objective = experiment_objective(tracking, main, runs=mine)
    tag_sets = [r.data.tags for r in runs]
    tag_sets += [tracking.get_experiment(e).tags for e in experiments]
    return CompareFacts(
        objective=objective,
        served=_served(registry, [r.info.run_id for r in runs]),
        tagged=declared_directions(*tag_sets),
    )


def _served(registry: RegistryClient | None, run_ids: Sequence[str]) -> dict[str, str]:
    """Run id -> "Production" / "alias <name>" for model versions logged by those runs."""
    if registry is None or not run_ids:
        return {}
    quoted = ", ".join(f"'{run_id}'" for run_id in run_ids)
    try:
        versions = registry.search_model_versions(f"run_id IN ({quoted})", max_results=1000)
    except MltrackError as exc:  # a store without a registry: no served runs, not an error
        logger.info("No registry to find the served run: %s", exc)
        return {}
    served: dict[str, str] = {}
    for version in versions:
        if version.run_id is None:
            continue
        if version.current_stage.value == "Production":
            served[version.run_id] = "Production"
        elif version.aliases and version.run_id not in served:
            served[version.run_id] = f"alias {version.aliases[0]!r}"
    return served
