"""Which columns the runs table shows by default, and the choices users made (per experiment).

The default is computed from the runs on the shown page only (never from the whole store, which
may hold a million runs): the Run and Status columns, then the experiment's objective metric
(a sweep's recorded metric), the keys the filter and the sort name, the params whose values vary
between the shown runs, a few more metrics that vary, and Created / Duration. Columns that are
empty or hold one value on every shown run are left out; the column chooser still offers them,
after the others.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from jupyter_mltrack.entities import Run
from jupyter_mltrack.errors import InvalidParameterError, MltrackError
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID
from jupyter_mltrack.widgets._table_render import Column

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "Spread",
    "column_notes",
    "column_spread",
    "named_columns",
    "objective_metric",
    "pick_columns",
    "remember_columns",
    "remember_keys",
    "remembered_columns",
]

Spread = Literal["varying", "constant", "empty"]

LEAD = (Column("attribute", "run_name"), Column("attribute", "status"))
TAIL = (Column("attribute", "start_time"), Column("attribute", "duration"))
MAX_METRICS, MAX_PARAMS = 5, 6
# The tag on a sweep's trial runs (``projects.sweep_backends.TRIAL_TAG``; not imported, as the
# projects layer would pull papermill into the widgets).
_TRIAL = "mltrack.sweep.trial"
_KINDS: Mapping[str, Literal["metric", "param", "tag"]] = {
    "metric": "metric",
    "param": "param",
    "tag": "tag",
}

# Column choices by (store URI, experiment ids): remembered while the kernel lives, so a new
# table of the same experiment opens with the columns the user picked last time.
_CHOICES: dict[tuple[str, tuple[str, ...]], list[str]] = {}


def remember_columns(store: str, experiment_ids: Sequence[str], names: Sequence[str]) -> None:
    """Remember the columns a user chose for these experiments (in this kernel)."""
    _CHOICES[(store, tuple(sorted(experiment_ids)))] = list(names)


def remembered_columns(store: str, experiment_ids: Sequence[str]) -> list[str] | None:
    """The columns last chosen for these experiments in this kernel, if any."""
    names = _CHOICES.get((store, tuple(sorted(experiment_ids))))
    return list(names) if names is not None else None


def named_columns(filter_string: str, order_by: Sequence[str]) -> list[Column]:
    """The metric, param and tag columns a filter and a sort name, in the order they appear."""
    from jupyter_mltrack.store.search import Comparison, OrderBy, parse_filter, parse_order_by

    named: list[Column] = []
    try:
        terms: list[Comparison | OrderBy] = [
            *parse_filter(filter_string),
            *parse_order_by(list(order_by)),
        ]
    except InvalidParameterError:  # a bad filter is reported elsewhere; it names no column
        return []
    for term in terms:
        kind = _KINDS.get(term.entity)
        if kind is not None:
            named.append(Column(kind, term.key))
    return list(dict.fromkeys(named))


def _values(run: Run, column: Column) -> object:
    if column.kind == "metric":
        value = run.data.metrics.get(column.key)
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
    source = run.data.params if column.kind == "param" else run.data.tags
    return source.get(column.key) or None  # an empty string is as good as missing


def column_spread(runs: Sequence[Run]) -> dict[Column, tuple[Spread, int]]:
    """For every metric, param and user tag key on ``runs``: its spread and how many runs hold it.

    ``varying`` means at least two different values, ``constant`` one, ``empty`` none (only
    empty strings or NaN).
    """
    seen: dict[Column, set[object]] = {}
    held: dict[Column, int] = defaultdict(int)
    for run in runs:
        keys = [
            *(Column("metric", k) for k in run.data.metrics),
            *(Column("param", k) for k in run.data.params),
            *(Column("tag", k) for k in run.data.tags if not k.startswith("mltrack.")),
        ]
        for column in keys:
            value = _values(run, column)
            values = seen.setdefault(column, set())  # an all-empty key is still a column
            if value is not None:
                values.add(value)
                held[column] += 1
    spread: dict[Column, tuple[Spread, int]] = {}
    for column, values in seen.items():
        kind: Spread = "varying" if len(values) > 1 else "constant" if values else "empty"
        spread[column] = (kind, held[column])
    return spread


def column_notes(runs: Sequence[Run]) -> dict[str, str]:
    """``{column name: "constant" | "empty"}`` for the keys that do not vary on ``runs``."""
    return {c.name: kind for c, (kind, _n) in column_spread(runs).items() if kind != "varying"}


def pick_columns(
    runs: Sequence[Run], *, objective: str | None = None, named: Iterable[Column] = ()
) -> list[Column]:
    """The default columns for a page of runs (see the module docstring for the order).

    Args:
        runs: The shown runs.
        objective: The metric the experiment is optimised for (shown first when present).
        named: Columns the filter or the sort names (always shown).
    """
    spread = column_spread(runs)
    named = [c for c in named if c.kind != "attribute"]
    first = [Column("metric", objective)] if objective else []
    first = [c for c in first if c in spread] + [c for c in named if c.kind == "metric"]

    # One run cannot vary: then every key it holds is worth showing.
    wanted = ("varying",) if len(runs) > 1 else ("varying", "constant")

    def varying(kind: str) -> list[Column]:
        keys = [c for c, (s, _n) in spread.items() if c.kind == kind and s in wanted]
        return sorted(keys, key=lambda c: (-spread[c][1], c.key))  # held by most runs first

    params = [c for c in named if c.kind == "param"] + varying("param")[:MAX_PARAMS]
    room = max(MAX_METRICS - len(first), 0)
    metrics = [c for c in varying("metric") if c not in first][:room]
    tags = [c for c in named if c.kind == "tag"]
    return list(dict.fromkeys([*LEAD, *first, *params, *tags, *metrics, *TAIL]))


def objective_metric(
    client: TrackingClient, experiment_ids: Sequence[str], runs: Sequence[Run]
) -> str:
    """The metric one experiment is optimised for ("" for several experiments or none known).

    The dashboard's definition (:mod:`~jupyter_mltrack.widgets._objective`), from the page and
    cheap store calls only (the store-wide search for a sweep is left to the dashboard): the
    objective a sweep parent on the page recorded — or the parent of a sweep trial on the page,
    fetched by id — else the pick stored on the experiment, else a guess from the page.
    """
    if len(experiment_ids) != 1 or not runs:
        return ""
    import jupyter_mltrack.widgets._objective as objective

    try:  # the table works without it: a failed look-up only loses the column's place
        found = objective.sweep_objective(runs)
        parent = next((_parent(r) for r in runs if _TRIAL in r.data.tags and _parent(r)), "")
        if found is None and parent:
            found = objective.sweep_objective([client.get_run(parent)])
        if found is None:
            tag = client.get_experiment(experiment_ids[0]).tags.get(objective.OBJECTIVE_TAG)
            found = objective.Objective.from_tag(tag) if tag else None
        if found is None:
            found = objective.guess_objective(runs)
    except MltrackError:
        return ""
    return found.metric if found is not None else ""


def _parent(run: Run) -> str:
    return run.data.tags.get(PARENT_RUN_ID, "")


def remember_keys(seen: Mapping[str, set[str]], runs: Iterable[Run]) -> None:
    """Add the metric, param and user tag keys of ``runs`` to ``seen`` (the chooser's keys)."""
    for run in runs:
        seen["metric"].update(run.data.metrics)
        seen["param"].update(run.data.params)
        seen["tag"].update(k for k in run.data.tags if not k.startswith("mltrack."))
