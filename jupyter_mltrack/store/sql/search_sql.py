"""Compile search ASTs (``store/search.py``) into one SQLAlchemy Core SELECT per search.

The statements are dialect-agnostic objects whose string parts compile differently per backend
(see :class:`_PerDialect`), so SQLite, PostgreSQL and MySQL/MariaDB answer alike:

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
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from jupyter_mltrack.entities import ViewType
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.search import Comparison, OrderBy
from jupyter_mltrack.store.sql.schema import (
    DOUBLE_MAX,
    KIND_FINITE,
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

__all__ = ["build_experiment_search", "build_run_search"]

_Bool = ColumnElement[bool]
_COMPARE: Mapping[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


# -- one expression, a variant per dialect ------------------------------------------------------
class _PerDialect(ColumnElement[Any]):
    """An expression whose text is chosen per dialect when the statement is compiled.

    Keeps the built statement dialect-agnostic (the store compiles it with its own engine) and
    cacheable: every variant is part of the cache key.
    """

    _traverse_internals = [
        ("default", InternalTraversal.dp_clauseelement),
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("mysql", InternalTraversal.dp_clauseelement),
        ("postgresql", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self,
        default: ColumnElement[Any],
        *,
        sqlite: ColumnElement[Any] | None = None,
        mysql: ColumnElement[Any] | None = None,
        postgresql: ColumnElement[Any] | None = None,
    ) -> None:
        self.default = default
        self.sqlite = default if sqlite is None else sqlite
        self.mysql = default if mysql is None else mysql
        self.postgresql = default if postgresql is None else postgresql
        self.type = default.type
        # Tells non-native-boolean dialects not to append "= 1", which would hide indexes.
        self._is_implicitly_boolean = default._is_implicitly_boolean

    def variant(self, dialect_name: str) -> ColumnElement[Any]:
        variants = {"sqlite": self.sqlite, "postgresql": self.postgresql}
        variants.update(mysql=self.mysql, mariadb=self.mysql)
        return variants.get(dialect_name, self.default)


@compiles(_PerDialect)
def _compile_per_dialect(element: _PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    # Parenthesised so that NOT, AND and ORDER BY ... DESC apply to the whole variant.
    return f"({compiler.process(element.variant(compiler.dialect.name), **kw)})"


# -- exact string semantics ---------------------------------------------------------------------
def _mysql_bytes(column: ColumnElement[Any]) -> ColumnElement[Any]:
    # MySQL's default collations ignore case, accents and trailing spaces; bytes do not.
    return sa.cast(column, sa.LargeBinary)


def _text_eq(column: ColumnElement[Any], value: str) -> _Bool:
    exact = _mysql_bytes(column) == sa.literal(value, sa.String())
    # The plain comparison stays in the MySQL variant so that indexes remain usable.
    return _PerDialect(column == value, mysql=sa.and_(column == value, exact))


def _text_in(column: ColumnElement[Any], values: Sequence[str]) -> _Bool:
    exact = _mysql_bytes(column).in_([sa.literal(v, sa.String()) for v in values])
    return _PerDialect(column.in_(values), mysql=sa.and_(column.in_(values), exact))


def _text_like(column: ColumnElement[Any], pattern: str, *, fold_case: bool) -> _Bool:
    pattern = _normalise_like(pattern)
    if fold_case:
        folded = sa.func.lower(column).collate("utf8mb4_bin")
        return _PerDialect(
            column.ilike(pattern, escape="\\"),
            mysql=folded.like(sa.func.lower(pattern), escape="\\"),
        )
    # SQLite's LIKE ignores ASCII case and PRAGMA case_sensitive_like would change every query
    # on a shared connection; GLOB is SQLite's case-sensitive matcher.
    return _PerDialect(
        column.like(pattern, escape="\\"),
        sqlite=column.op("GLOB")(_like_to_glob(pattern)),
        mysql=column.collate("utf8mb4_bin").like(pattern, escape="\\"),
    )


def _normalise_like(pattern: str) -> str:
    r"""Keep only the escapes all backends agree on (``\%``, ``\_``, ``\\``)."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        escaped = next(chars, "\\")  # a trailing lone backslash is a literal backslash
        out.append("\\" + escaped if escaped in "%_\\" else escaped)
    return "".join(out)


_GLOB_LITERAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


def _like_to_glob(pattern: str) -> str:
    """Translate a normalised LIKE pattern into the equivalent SQLite GLOB pattern."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(_GLOB_LITERAL.get(escaped := next(chars), escaped))
        elif char in "%_":
            out.append("*" if char == "%" else "?")
        else:
            out.append(_GLOB_LITERAL.get(char, char))
    return "".join(out)


def _sortable(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return ``column`` in code-point order on every backend (strings only)."""
    return _PerDialect(column, postgresql=column.collate("C"), mysql=_mysql_bytes(column))


# -- conditions ---------------------------------------------------------------------------------
def _string_condition(column: ColumnElement[Any], op: str, value: Any) -> _Bool:
    if op in ("=", "!="):
        found = _text_eq(column, value)
    elif op in ("IN", "NOT IN"):
        found = _text_in(column, value)
    else:
        return _text_like(column, value, fold_case=op == "ILIKE")
    return found if op in ("=", "IN") else sa.not_(found)


def _number_condition(column: ColumnElement[Any], op: str, value: float) -> _Bool:
    bound = sa.literal(value, sa.BigInteger() if isinstance(value, int) else sa.Float(53))
    compared: _Bool = _COMPARE[op](column, bound)
    return compared


def _id_condition(column: ColumnElement[Any], op: str, value: Any) -> _Bool:
    """Compare an integer id column with string ids, as if it held their decimal text."""
    if op in ("LIKE", "ILIKE"):
        return _text_like(sa.cast(column, sa.String), value, fold_case=op == "ILIKE")
    wanted = [int(v) for v in ((value,) if isinstance(value, str) else value) if _is_id(v)]
    found = column.in_(wanted) if wanted else sa.false()
    return found if op in ("=", "IN") else sa.not_(found)


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and str(int(text)) == text


def _metric_condition(table: sa.Table, op: str, target: float) -> _Bool:
    """Compare stored ``(value, kind)`` pairs with a finite number, honouring NaN and +/-inf."""
    value, kind = table.c.value, table.c.kind
    if op == "=":
        return sa.and_(value == target, kind == KIND_FINITE)
    if op == "!=":  # NaN and the infinities differ from every finite number
        return sa.or_(value != target, kind != KIND_FINITE)
    # Infinities are stored as +/-DOUBLE_MAX: at the clamp, the kind decides.
    if op == ">" and target == DOUBLE_MAX:
        return kind == KIND_POS_INF
    if op == "<" and target == -DOUBLE_MAX:
        return kind == KIND_NEG_INF
    excluded = [KIND_NAN]
    if op == ">=" and target == -DOUBLE_MAX:
        excluded.append(KIND_NEG_INF)
    if op == "<=" and target == DOUBLE_MAX:
        excluded.append(KIND_POS_INF)
    return sa.and_(kind.not_in(excluded), _COMPARE[op](value, target))


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
            child.c[self.id_column] == self.table.c[self.id_column], _text_eq(child.c.key, key)
        )

    def having(self, child: sa.Table, key: str) -> sa.Select[Any]:
        """Select the ids of the rows that have a child row with ``key``."""
        return sa.select(child.c[self.id_column]).where(_text_eq(child.c.key, key))


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
            return _id_condition(column, op, value)
        if isinstance(column.type, sa.BigInteger):
            return _number_condition(column, op, _number(comparison))
        return _string_condition(column, op, value)
    # "id IN (SELECT id FROM child WHERE key = ? AND ...)" measured fastest on SQLite (the planner
    # can start from the (key, value) index) and on par with joins and EXISTS elsewhere.
    child = _child(target, entity)
    ids, having = target.table.c[target.id_column], target.having(child, key)
    if op in ("IS NULL", "IS NOT NULL"):
        return ids.in_(having) if op == "IS NOT NULL" else ids.not_in(having)
    if entity == "metric":
        return ids.in_(having.where(_metric_condition(child, op, float(_number(comparison)))))
    return ids.in_(having.where(_string_condition(child.c.value, op, value)))


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


# -- ordering -----------------------------------------------------------------------------------
def _direct(expression: ColumnElement[Any], ascending: bool) -> ColumnElement[Any]:
    return expression.asc() if ascending else expression.desc()


def _missing_last(column: ColumnElement[Any]) -> ColumnElement[Any]:
    # NULLS LAST is not portable (MySQL lacks it); a 0/1 key sorts the same everywhere.
    return sa.case((column.is_(None), 1), else_=0)


def _order_terms(
    target: _Target, order: OrderBy, joins: dict[tuple[str, str], sa.FromClause]
) -> list[ColumnElement[Any]]:
    """Return the ORDER BY terms of one clause; add the child table it needs to ``joins``."""
    if order.entity == "attribute":
        column = _attribute(target, order.key)
        sortable = column if isinstance(column.type, sa.Integer) else _sortable(column)
        terms = [_direct(sortable, order.ascending)]
        return [_missing_last(column), *terms] if column.nullable else terms
    child = joins.get((order.entity, order.key))
    if child is None:
        child = _child(target, order.entity).alias(f"order_{len(joins)}")
        joins[order.entity, order.key] = child
    if order.entity != "metric":
        return [_missing_last(child.c.value), _direct(_sortable(child.c.value), order.ascending)]
    kind = child.c.kind
    # Groups: finite and infinite values, then NaN (above +inf), then missing - in either direction.
    nan_group, value_group = (1, 0) if order.ascending else (0, 1)
    group = sa.case((kind.is_(None), 2), (kind == KIND_NAN, nan_group), else_=value_group)
    # Breaks ties at the clamp: -inf < -DOUBLE_MAX and DOUBLE_MAX < +inf.
    infinity = sa.case((kind == KIND_POS_INF, 1), (kind == KIND_NEG_INF, -1), else_=0)
    return [group, _direct(child.c.value, order.ascending), _direct(infinity, order.ascending)]


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
        bad = [e for e in experiment_ids if not _is_id(e)]
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
