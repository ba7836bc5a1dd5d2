"""The facts behind the dashboard's landing summary, gathered from the stores (no widgets here).

:func:`gather` answers what a manager asks of an experiment: what was tried (how many runs, which
params were swept and over which ranges), what it was optimised for (the objective), which runs
came out best, and which registered model version from it is in Production or holds an alias —
when it got there, who moved it, and which version held that place before.

Reads are bounded whatever the size of the experiment: counts come from ``count_runs``, the
best runs from one search ordered by the objective, and the swept ranges from the newest
:data:`SAMPLE` runs (the summary says so when an experiment has more).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_mltrack.entities import Experiment, ModelStage, ModelVersion, Run
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID
from jupyter_mltrack.widgets._objective import (
    SWEEP_TAG,
    Objective,
    experiment_objective,
    ranked,
)

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "Holder",
    "Overview",
    "SweptParam",
    "gather",
    "holder_of",
    "quote_filter_value",
    "swept_params",
]

#: Newest runs read for the swept ranges, statuses and the registered versions.
SAMPLE = 1000
#: Best runs fetched (and charted) by the objective.
TOP = 25
_RUN_IDS_PER_QUERY = 100
_VALUES_SHOWN = 6


@dataclass(frozen=True, slots=True)
class SweptParam:
    """A param whose value differs between runs: its distinct values, in order."""

    name: str
    values: tuple[str, ...]

    def describe(self) -> str:
        """``"0.05 to 0.2 (3 values)"`` for numbers, ``"gb, lr, rf"`` for words."""
        numbers = [_number(v) for v in self.values]
        if all(n is not None for n in numbers) and len(self.values) > 2:
            low, high = self.values[0], self.values[-1]
            return f"{low} to {high} ({len(self.values)} values)"
        shown = ", ".join(self.values[:_VALUES_SHOWN])
        more = len(self.values) - _VALUES_SHOWN
        return f"{shown}, … ({more} more)" if more > 0 else shown


@dataclass(frozen=True, slots=True)
class Holder:
    """A registered version from this experiment that is in a stage or holds an alias."""

    version: ModelVersion
    run: Run | None
    #: ``"Production"``, ``"Staging"`` or ``"alias champion"``: the place it holds.
    place: str
    #: Further places the same version holds (``"alias champion"``).
    also: tuple[str, ...] = ()
    promoted_at: int | None = None
    promoted_by: str | None = None
    previous: ModelVersion | None = None
    previous_run: Run | None = None
    #: The registered model's description (markdown), if any.
    description: str | None = None


@dataclass(slots=True)
class Overview:
    """Everything the landing summary shows about one experiment."""

    experiment: Experiment
    objective: Objective | None
    total_runs: int
    statuses: dict[str, int] = field(default_factory=dict)
    first_start: int | None = None
    last_start: int | None = None
    sweeps: list[Run] = field(default_factory=list)
    #: Runs nested in a tried run (a ``%%track`` cell inside a trial's notebook, say).
    nested: int = 0
    swept: list[SweptParam] = field(default_factory=list)
    #: Runs with a finite objective value, best first (at most :data:`TOP`).
    best: list[Run] = field(default_factory=list)
    holders: list[Holder] = field(default_factory=list)
    sampled: int = 0
    #: The metric keys the sampled runs logged (the choices of objective).
    metrics: list[str] = field(default_factory=list)

    @property
    def trials(self) -> int:
        """Runs that tried something: every run but the sweeps' parents and the nested runs."""
        return self.total_runs - len(self.sweeps) - self.nested


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def swept_params(runs: Sequence[Run]) -> list[SweptParam]:
    """Return the params whose values differ between ``runs`` (sorted numerically if numbers)."""
    seen: dict[str, set[str]] = {}
    for run in runs:
        for key, value in run.data.params.items():
            seen.setdefault(key, set()).add(value)
    found = []
    for key in sorted(seen):
        values = seen[key]
        missing = any(key not in run.data.params for run in runs)
        if len(values) + missing < 2 or key.startswith(("sweep.", "best_")):
            continue
        numeric = all(_number(v) is not None for v in values)
        order = sorted(values, key=lambda v: (_number(v) or 0.0) if numeric else 0.0)
        found.append(SweptParam(key, tuple(order if numeric else sorted(values))))
    return found


def gather(
    client: TrackingClient, registry: RegistryClient | None, experiment: Experiment
) -> Overview:
    """Collect the :class:`Overview` of ``experiment`` (registry facts only with a registry)."""
    experiment_id = experiment.experiment_id
    total = client.count_runs(experiment_id)
    sample = list(
        client.search_runs(
            [experiment_id], max_results=SAMPLE, order_by=["attributes.start_time DESC"]
        )
    )
    objective = experiment_objective(client, experiment_id, runs=sample) if sample else None
    overview = Overview(experiment, objective, total, sampled=len(sample))
    overview.sweeps = [run for run in sample if SWEEP_TAG in run.data.tags]
    tried = _tried(sample, overview.sweeps)
    overview.nested = len(sample) - len(overview.sweeps) - len(tried)
    for run in tried:
        status = run.info.status.value
        overview.statuses[status] = overview.statuses.get(status, 0) + 1
    starts = [run.info.start_time for run in sample if run.info.start_time]
    overview.first_start, overview.last_start = (
        (min(starts), max(starts)) if starts else (None, None)
    )
    overview.metrics = sorted({key for run in sample for key in run.data.metrics})
    overview.swept = swept_params(_newest_trials(tried, overview.sweeps))
    if objective is not None:
        top = client.search_runs(
            [experiment_id], max_results=TOP, order_by=[objective.order_clause()]
        )
        overview.best = ranked(top, objective)
    if registry is not None and sample:
        overview.holders = holders(client, registry, sample)
    return overview


def _tried(sample: Sequence[Run], sweeps: Sequence[Run]) -> list[Run]:
    """The runs that tried something: top-level runs and a sweep's trials, not nested steps."""
    sweep_ids = {run.info.run_id for run in sweeps}
    return [
        run
        for run in sample
        if run.info.run_id not in sweep_ids
        and run.data.tags.get(PARENT_RUN_ID, "") in ("", *sweep_ids)
    ]


def _newest_trials(tried: Sequence[Run], sweeps: Sequence[Run]) -> Sequence[Run]:
    """The runs whose params tell what was tried: the newest sweep's trials, else every run."""
    if sweeps:
        newest = max(sweeps, key=lambda run: run.info.start_time or 0)
        children = [r for r in tried if r.data.tags.get(PARENT_RUN_ID) == newest.info.run_id]
        if children:
            return children
    return tried


# -- the registry -------------------------------------------------------------------------------
def holders(client: TrackingClient, registry: RegistryClient, runs: Sequence[Run]) -> list[Holder]:
    """Return the versions registered from ``runs`` that hold Production, an alias or Staging."""
    by_id = {run.info.run_id: run for run in runs}
    ids = list(by_id)
    versions: list[ModelVersion] = []
    for start in range(0, len(ids), _RUN_IDS_PER_QUERY):
        chunk = ", ".join(f"'{run_id}'" for run_id in ids[start : start + _RUN_IDS_PER_QUERY])
        versions.extend(registry.search_model_versions(f"run_id IN ({chunk})", max_results=1000))
    found: list[Holder] = []
    for name in sorted({v.name for v in versions}):
        mine = [v for v in versions if v.name == name]
        model = registry.get_registered_model(name)
        aliases = model.aliases
        for version in sorted(mine, key=lambda v: -v.version):
            places = _places(version, aliases)
            if places:
                holder = holder_of(client, registry, version, places, by_id)
                found.append(dataclasses.replace(holder, description=model.description))
    found.sort(key=lambda h: (h.place != "Production", h.place.startswith("Staging")))
    return found


def _places(version: ModelVersion, aliases: Mapping[str, int]) -> list[str]:
    places = [
        f"alias {alias}" for alias, number in sorted(aliases.items()) if number == version.version
    ]
    if version.current_stage in (ModelStage.PRODUCTION, ModelStage.STAGING):
        places.insert(0, version.current_stage.value)
    return places


def holder_of(
    client: TrackingClient,
    registry: RegistryClient,
    version: ModelVersion,
    places: Sequence[str],
    runs: dict[str, Run],
) -> Holder:
    """When and by whom ``version`` got its first place, and which version held it before."""
    place = places[0]
    events = registry.get_model_version_history(version.name, version.version)
    alias = place.removeprefix("alias ") if place.startswith("alias ") else None
    if alias is None:
        arrivals = [e for e in events if e.kind == "stage" and e.to_value == place]
    else:
        arrivals = [e for e in events if e.kind == "alias_set" and e.alias == alias]
    arrival = arrivals[-1] if arrivals else None
    previous: ModelVersion | None = None
    if arrival is not None and alias is not None and arrival.from_value:
        previous = registry.get_model_version(version.name, int(arrival.from_value))
    elif arrival is not None:
        previous = _previous_in_stage(registry, version, place, arrival.timestamp)

    def run_of(v: ModelVersion | None) -> Run | None:
        if v is None or not v.run_id:
            return None
        return runs.get(v.run_id) or client.get_run(v.run_id)

    return Holder(
        version=version,
        run=run_of(version),
        place=place,
        also=tuple(places[1:]),
        promoted_at=None if arrival is None else arrival.timestamp,
        promoted_by=None if arrival is None else arrival.user_id,
        previous=previous,
        previous_run=run_of(previous),
    )


def _previous_in_stage(
    registry: RegistryClient, version: ModelVersion, stage: str, before: int
) -> ModelVersion | None:
    """The other version of the model that most recently entered ``stage`` before ``before``."""
    others = registry.search_model_versions(
        f"name = '{quote_filter_value(version.name)}'",
        max_results=200,
        order_by=["version_number DESC"],
    )
    latest: tuple[int, ModelVersion] | None = None
    for other in others:
        if other.version == version.version:
            continue
        for event in registry.get_model_version_history(other.name, other.version):
            entered = event.kind == "stage" and event.to_value == stage
            if (
                entered
                and event.timestamp <= before
                and (latest is None or event.timestamp > latest[0])
            ):
                latest = (event.timestamp, other)
    return None if latest is None else latest[1]


def quote_filter_value(value: str) -> str:
    """Escape ``value`` for a single-quoted string of the search filter language."""
    return value.replace("\\", "\\\\").replace("'", "''")
