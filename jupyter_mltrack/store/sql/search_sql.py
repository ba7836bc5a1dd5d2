"""Compile search ASTs (``store/search.py``) into one SQLAlchemy Core SELECT per search.

The statements are dialect-agnostic objects whose string parts compile differently per backend
(see :mod:`~jupyter_mltrack.store.sql.search_terms`), so SQLite, PostgreSQL and MySQL/MariaDB
answer alike:

- a comparison on a key a run lacks never matches, not even ``!=`` (``IS NULL`` asks for that);
- a NaN metric matches only ``!=``; +/-inf compare as infinities (see ``schema.py``);
- ``=``, ``!=``, ``IN`` and ``LIKE`` are exact: case-, accent- and trailing-space-sensitive;
  ``ILIKE`` folds case (ASCII only on SQLite, which has no Unicode case folding built in);
- LIKE patterns escape with a backslash: ``\\%``, ``\\_``, ``\\\\``;
- strings order by code point; missing values order last in both directions; a NaN metric orders
  above +inf; ties break by ``start_time DESC, run_uuid`` (experiments: ``creation_time DESC,
  experiment_id``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from jupyter_mltrack.entities import ViewType
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.search import Comparison, OrderBy
from jupyter_mltrack.store.sql.schema import (
    DEFAULT_TAG_KEYS,
    KIND_NAN,
    KIND_NEG_INF,
    KIND_POS_INF,
    experiment_tags,
    experiments,
    indexed_tag,
    latest_metrics,
    params,
    runs,
    tags,
)
from jupyter_mltrack.store.sql.search_terms import (
    MAX_ID,
    DrivingJoin,
    direct,
    id_condition,
    is_id,
    metric_condition,
    missing_last,
    number_condition,
    sortable,
    string_condition,
    text_eq,
)

__all__ = [
    "build_experiment_search",
    "build_run_count",
    "build_run_search",
    "build_run_search_split",
]

_Bool = ColumnElement[bool]


# -- targets: what a search selects and how its entities are stored ------------------------------
@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: an lru_cache argument
class _Target:
    table: sa.Table
    id_column: str
    attributes: Mapping[str, sa.Column[Any]]
    children: Mapping[str, sa.Table]  # entity -> table with (id_column, key, value)
    tie_break: tuple[OrderBy, ...]

    def owned(self, child: sa.FromClause, key: str) -> _Bool:
        """Match the child rows of the outer row that have ``key``."""
        return sa.and_(
            child.c[self.id_column] == self.table.c[self.id_column], text_eq(child.c.key, key)
        )

    def driving(self, child: sa.FromClause, key: str) -> _Bool:
        """:meth:`owned`, stated so that SQLite drives the query from the child's key index.

        The runs' tags have a partial key index on SQLite, which its planner uses only for a
        query that repeats the index's condition (see ``schema.indexed_tag``). Elsewhere the
        condition is true of every key that drives a query (``every_row_has`` keeps the others
        out), exactly so on MySQL too (binary collation), and costs a comparison per row.
        """
        owned = self.owned(child, key)
        if getattr(child, "element", child) is not tags:
            return owned
        return sa.and_(owned, indexed_tag(child.c.key))

    def every_row_has(self, comparison: Comparison) -> bool:
        """Whether nearly every row has the comparison's key: a tag every tracked run carries."""
        return self is _RUNS and comparison.entity == "tag" and comparison.key in DEFAULT_TAG_KEYS


_RUNS = _Target(
    table=runs,
    id_column="run_uuid",
    attributes={
        "run_id": runs.c.run_uuid,
        "run_name": runs.c.name,
        **{k: runs.c[k] for k in ("status", "user_id", "start_time", "end_time")},
        **{k: runs.c[k] for k in ("artifact_uri", "experiment_id", "lifecycle_stage")},
    },
    children={"metric": latest_metrics, "param": params, "tag": tags},
    tie_break=(OrderBy("attribute", "start_time", False), OrderBy("attribute", "run_id")),
)
_EXPERIMENTS = _Target(
    table=experiments,
    id_column="experiment_id",
    attributes={
        k: experiments.c[k] for k in ("name", "experiment_id", "creation_time", "last_update_time")
    },
    children={"tag": experiment_tags},
    tie_break=(OrderBy("attribute", "creation_time", False), OrderBy("attribute", "experiment_id")),
)


def _condition(target: _Target, comparison: Comparison) -> _Bool:
    entity, key, op, value = comparison.entity, comparison.key, comparison.op, comparison.value
    if entity == "attribute":
        column = _attribute(target, key)
        if key == "experiment_id":
            return id_condition(column, op, value)
        if isinstance(column.type, sa.BigInteger):
            return number_condition(column, op, _number(comparison))
        return string_condition(column, op, value)
    # A correlated EXISTS, probed through the child's (id, key) primary key: a page ordered
    # by start time stops after about limit / selectivity runs. "id IN (SELECT ...)" measured
    # fastest for whole results of 10^4 runs, but SQLite materialises the list first: 666,000
    # ids and 3 s for "params.p0 != 'x'" over 10^6 runs, before the first row of any page.
    child = _child(target, entity).alias()
    owned = target.owned(child, key)
    if op in ("IS NULL", "IS NOT NULL"):
        found = sa.exists().where(owned)
        return found if op == "IS NOT NULL" else sa.not_(found)
    if entity == "metric":
        return sa.exists().where(owned, metric_condition(child, op, float(_number(comparison))))
    return sa.exists().where(owned, string_condition(child.c.value, op, value))


def _child(target: _Target, entity: str) -> sa.Table:
    try:
        return target.children[entity]
    except KeyError:
        raise InvalidParameterError(f"This search has no {entity}s") from None


def _attribute(target: _Target, key: str) -> sa.Column[Any]:
    try:
        return target.attributes[key]
    except KeyError:
        raise InvalidParameterError(f"This search has no attribute {key!r}") from None


def _number(comparison: Comparison) -> int | float:
    # The parser guarantees this; the check guards hand-built comparisons.
    if isinstance(comparison.value, (int, float)):
        return comparison.value
    raise InvalidParameterError(f"{comparison.entity} {comparison.key!r} needs a number")


def _order_terms(
    target: _Target, order: OrderBy, joins: dict[tuple[str, str], sa.FromClause]
) -> list[ColumnElement[Any]]:
    """Return the ORDER BY terms of one clause; add the child table it needs to ``joins``."""
    if order.entity == "attribute":
        column = _attribute(target, order.key)
        ordered = column if isinstance(column.type, sa.Integer) else sortable(column)
        terms = [direct(ordered, order.ascending)]
        return [missing_last(column), *terms] if column.nullable else terms
    child = joins.get((order.entity, order.key))
    if child is None:
        child = _child(target, order.entity).alias(f"order_{len(joins)}")
        joins[order.entity, order.key] = child
    if order.entity != "metric":
        return [missing_last(child.c.value), direct(sortable(child.c.value), order.ascending)]
    kind = child.c.kind
    # Groups: finite and infinite values, then NaN (above +inf), then missing - in either direction.
    nan_group, value_group = (1, 0) if order.ascending else (0, 1)
    group = sa.case((kind.is_(None), 2), (kind == KIND_NAN, nan_group), else_=value_group)
    # Breaks ties at the clamp: -inf < -DOUBLE_MAX and DOUBLE_MAX < +inf.
    infinity = sa.case((kind == KIND_POS_INF, 1), (kind == KIND_NEG_INF, -1), else_=0)
    return [group, direct(child.c.value, order.ascending), direct(infinity, order.ascending)]


# -- the statements -----------------------------------------------------------------------------
class _Joins:
    """The child tables a statement joins, one alias per (entity, key) and kind of join."""

    def __init__(self, target: _Target) -> None:
        self.target = target
        self.inner: dict[str, sa.FromClause] = {}  # metric key -> alias, one row per run
        self.present: list[tuple[sa.FromClause, str]] = []  # (alias, key) of IS NOT NULL
        self.outer: dict[tuple[str, str], sa.FromClause] = {}

    def metric(self, key: str) -> sa.FromClause:
        """Return the inner-joined latest row of metric ``key`` (runs without it drop out)."""
        alias = self.inner.get(key)
        if alias is None:
            alias = self.inner[key] = latest_metrics.alias(f"metric_{len(self.inner)}")
        return alias

    def source(self) -> sa.FromClause:
        source: sa.FromClause = self.target.table
        present = list(self.present)
        if present:  # the runs that have the key drive the query (see DrivingJoin)
            child, key = present.pop(0)
            source = DrivingJoin(child, source, self.target.driving(child, key))
        for key, child in self.inner.items():  # one row per (id, key): joins add no rows
            source = source.join(child, self.target.owned(child, key))
        for child, key in present:
            source = source.join(child, self.target.owned(child, key))
        for (_, key), child in self.outer.items():
            source = source.outerjoin(child, self.target.owned(child, key))
        return source


def _scope(
    table: sa.FromClause, experiment_ids: tuple[str, ...] | None, view_type: ViewType
) -> list[_Bool]:
    """Return the experiment and lifecycle conditions on ``table`` (runs or the read model)."""
    where: list[_Bool] = []
    if experiment_ids is not None:
        bad = [e for e in experiment_ids if not is_id(e)]
        if bad:
            raise InvalidParameterError(
                f"Invalid experiment id {bad[0]!r}; ids are integers from 0 to {MAX_ID}"
            )
        where.append(table.c.experiment_id.in_([int(e) for e in experiment_ids]))
    if view_type is not ViewType.ALL:
        where.append(table.c.lifecycle_stage.in_([stage.value for stage in view_type.stages()]))
    return where


def _where(
    target: _Target,
    joins: _Joins,
    experiment_ids: tuple[str, ...] | None,
    view_type: ViewType,
    filters: tuple[Comparison, ...],
) -> list[_Bool]:
    where = _scope(target.table, experiment_ids, view_type)
    for comparison in filters:
        if comparison.entity == "metric" and target is _RUNS:
            # A correlated EXISTS on the read model, not "id IN (...)": SQLite materialises an
            # IN list whole (half a million ids at 10^6 runs) before the first row, and a join
            # lets it start from the filter's range and sort everything. EXISTS is probed per
            # run in the page's order, so a page stops after about limit / selectivity runs;
            # PostgreSQL plans it as a semi-join either way round, from its statistics.
            probe: sa.FromClause = latest_metrics.alias()
            condition = metric_condition(probe, comparison.op, float(_number(comparison)))
            scope = _scope(probe, experiment_ids, view_type)
            where.append(sa.exists().where(target.owned(probe, comparison.key), condition, *scope))
        elif comparison.op == "IS NOT NULL" and not target.every_row_has(comparison):
            # A join, so a planner without statistics (SQLite) starts from the key's index:
            # such keys mark few runs (a sweep's parents, say), and "id IN (...)" would walk
            # every run of the experiment in order to find none (10^6 runs: a second). A key
            # every run has is no index's business: the EXISTS probe below finds it per run.
            present = _child(target, comparison.entity).alias(f"present_{len(joins.present)}")
            joins.present.append((present, comparison.key))
        else:
            where.append(_condition(target, comparison))
    for child in joins.inner.values():
        where.extend(_scope(child, experiment_ids, view_type))
    return where


def _ordering(
    target: _Target, order_by: tuple[OrderBy, ...], joins: _Joins
) -> list[ColumnElement[Any]]:
    return [t for o in (*order_by, *target.tie_break) for t in _order_terms(target, o, joins.outer)]


# Building a statement costs 0.1-1 ms of SQLAlchemy object construction; widgets repeat searches.
@functools.lru_cache(maxsize=256)
def _build(
    target: _Target,
    experiment_ids: tuple[str, ...] | None,
    view_type: ViewType,
    filters: tuple[Comparison, ...],
    order_by: tuple[OrderBy, ...],
    offset: int,
    limit: int | None,
) -> sa.Select[Any]:
    joins = _Joins(target)
    where = _where(target, joins, experiment_ids, view_type, filters)
    ordering = _ordering(target, order_by, joins)
    statement = sa.select(target.table).select_from(joins.source()).where(*where)
    return statement.order_by(*ordering).offset(offset or None).limit(limit)


@functools.lru_cache(maxsize=256)
def _build_split(
    experiment_ids: tuple[str, ...],
    view_type: ViewType,
    filters: tuple[Comparison, ...],
    order_by: tuple[OrderBy, ...],
) -> tuple[sa.Select[Any], sa.Select[Any]]:
    first, rest = order_by[0], order_by[1:]
    joins = _Joins(_RUNS)
    ordered = joins.metric(first.key)
    where = _where(_RUNS, joins, experiment_ids, view_type, filters)
    # Present: the runs that have the metric, in the order of the read model's index (a NaN is
    # stored at +DOUBLE_MAX and the rank breaks ties there: -inf < finite < +inf < NaN).
    kind = ordered.c.kind
    rank = sa.case(
        (kind == KIND_POS_INF, 1), (kind == KIND_NAN, 2), (kind == KIND_NEG_INF, -1), else_=0
    )
    ascending = first.ascending
    ordering = [direct(ordered.c.value, ascending), direct(rank, ascending)]
    ordering += _ordering(_RUNS, rest, joins)
    present = sa.select(runs).select_from(joins.source()).where(*where).order_by(*ordering)
    # Missing: the runs without the metric, which order last in either direction.
    joins = _Joins(_RUNS)
    where = _where(_RUNS, joins, experiment_ids, view_type, filters)
    lacking = sa.not_(sa.exists().where(_RUNS.owned(latest_metrics, first.key)))
    ordering = _ordering(_RUNS, rest, joins)  # first: it adds the joins its keys need
    missing = sa.select(runs).select_from(joins.source()).where(*where, lacking)
    return present, missing.order_by(*ordering)


@functools.lru_cache(maxsize=256)
def _build_count(
    experiment_ids: tuple[str, ...], view_type: ViewType, filters: tuple[Comparison, ...]
) -> sa.Select[Any]:
    if filters and all(c.entity == "metric" for c in filters):
        # Only metric conditions: the read model alone answers, through its index.
        joins = _Joins(_RUNS)
        for comparison in filters:
            joins.metric(comparison.key)
        children = list(joins.inner.values())
        source: sa.FromClause = children[0]
        for child in children[1:]:
            source = source.join(child, child.c.run_uuid == children[0].c.run_uuid)
        where = _scope(children[0], experiment_ids, view_type)
        for comparison in filters:
            child = joins.inner[comparison.key]
            where.append(text_eq(child.c.key, comparison.key))
            where.append(metric_condition(child, comparison.op, float(_number(comparison))))
        return sa.select(sa.func.count()).select_from(source).where(*where)
    # The search's FROM and WHERE, counted directly: a subquery of whole rows would make
    # SQLite read each run's row instead of counting entries of its covering index.
    joins = _Joins(_RUNS)
    where = _where(_RUNS, joins, experiment_ids, view_type, filters)
    return sa.select(sa.func.count()).select_from(joins.source()).where(*where)


def build_run_search(
    experiment_ids: Sequence[str],
    filters: tuple[Comparison, ...],
    view_type: ViewType,
    order_by: tuple[OrderBy, ...],
    *,
    offset: int,
    limit: int | None,
) -> sa.Select[Any]:
    """Return one SELECT of whole ``runs`` rows matching a parsed run search.

    Args:
        experiment_ids: The experiments to search (decimal strings); none matches nothing.
        filters: From :func:`~jupyter_mltrack.store.search.parse_filter`.
        view_type: Which lifecycle stages to include.
        order_by: From :func:`~jupyter_mltrack.store.search.parse_order_by`; ties are always
            broken by ``start_time DESC, run_uuid``.
        offset: Rows to skip (from the page token).
        limit: Rows to return at most; None for all.

    Raises:
        InvalidParameterError: An experiment id is not a decimal integer.
    """
    ids = tuple(str(e) for e in experiment_ids)
    return _build(_RUNS, ids, view_type, tuple(filters), tuple(order_by), offset, limit)


def build_run_search_split(
    experiment_ids: Sequence[str],
    filters: tuple[Comparison, ...],
    view_type: ViewType,
    order_by: tuple[OrderBy, ...],
) -> tuple[sa.Select[Any], sa.Select[Any]] | None:
    """Return a search ordered first by a metric as two SELECTs, or None for other orders.

    The first selects the runs that have the metric, in the order the read model's index
    already holds (a page is an index range, however many runs match); the second the runs
    without it, which come after all of those in either direction. Same arguments and result
    rows as :func:`build_run_search`; the caller pages through the first, then the second.
    """
    if not order_by or order_by[0].entity != "metric":
        return None
    ids = tuple(str(e) for e in experiment_ids)
    return _build_split(ids, view_type, tuple(filters), tuple(order_by))


def build_run_count(
    experiment_ids: Sequence[str], filters: tuple[Comparison, ...], view_type: ViewType
) -> sa.Select[Any]:
    """Return ``SELECT COUNT(*)`` of the runs :func:`build_run_search` would select.

    Metric-only filters are counted on the read model's index without visiting ``runs``.
    """
    ids = tuple(str(e) for e in experiment_ids)
    return _build_count(ids, view_type, tuple(filters))


def build_experiment_search(
    filters: tuple[Comparison, ...],
    view_type: ViewType,
    order_by: tuple[OrderBy, ...],
    *,
    offset: int,
    limit: int | None,
) -> sa.Select[Any]:
    """Return one SELECT of whole ``experiments`` rows matching a parsed experiment search.

    Args:
        filters: From :func:`~jupyter_mltrack.store.search.parse_experiment_filter`.
        view_type: Which lifecycle stages to include.
        order_by: From :func:`~jupyter_mltrack.store.search.parse_experiment_order_by`; ties are
            always broken by ``creation_time DESC, experiment_id``.
        offset: Rows to skip (from the page token).
        limit: Rows to return at most; None for all.
    """
    return _build(_EXPERIMENTS, None, view_type, tuple(filters), tuple(order_by), offset, limit)
