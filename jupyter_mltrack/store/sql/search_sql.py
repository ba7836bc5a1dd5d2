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
    KIND_NAN,
    KIND_NEG_INF,
    KIND_POS_INF,
    experiment_tags,
    experiments,
    latest_metrics,
    params,
    runs,
    tags,
)
from jupyter_mltrack.store.sql.search_terms import (
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

__all__ = ["build_experiment_search", "build_run_search"]

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

    def having(self, child: sa.Table, key: str) -> sa.Select[Any]:
        """Select the ids of the rows that have a child row with ``key``."""
        return sa.select(child.c[self.id_column]).where(text_eq(child.c.key, key))


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
    # "id IN (SELECT id FROM child WHERE key = ? AND ...)" measured fastest on SQLite (the planner
    # can start from the (key, value) index) and on par with joins and EXISTS elsewhere.
    child = _child(target, entity)
    ids, having = target.table.c[target.id_column], target.having(child, key)
    if op in ("IS NULL", "IS NOT NULL"):
        return ids.in_(having) if op == "IS NOT NULL" else ids.not_in(having)
    if entity == "metric":
        return ids.in_(having.where(metric_condition(child, op, float(_number(comparison)))))
    return ids.in_(having.where(string_condition(child.c.value, op, value)))


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
    where = [_condition(target, comparison) for comparison in filters]
    if view_type is not ViewType.ALL:
        stages = [stage.value for stage in view_type.stages()]
        where.insert(0, target.table.c.lifecycle_stage.in_(stages))
    if experiment_ids is not None:
        bad = [e for e in experiment_ids if not is_id(e)]
        if bad:
            raise InvalidParameterError(f"Invalid experiment id {bad[0]!r}; ids are integers")
        where.insert(0, target.table.c.experiment_id.in_([int(e) for e in experiment_ids]))
    joins: dict[tuple[str, str], sa.FromClause] = {}
    ordering = [t for o in (*order_by, *target.tie_break) for t in _order_terms(target, o, joins)]
    source: sa.FromClause = target.table
    for (_, key), child in joins.items():  # one row per (id, key): outer joins add no rows
        source = source.outerjoin(child, target.owned(child, key))
    statement = sa.select(target.table).select_from(source).where(*where).order_by(*ordering)
    return statement.offset(offset or None).limit(limit)


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
