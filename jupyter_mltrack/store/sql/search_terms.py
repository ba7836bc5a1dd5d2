"""Dialect-portable SQL building blocks of the search compilers.

Used by ``search_sql.py`` (runs, experiments), ``registry_search.py`` and
``logged_model_search.py`` so every search has the same semantics on SQLite, PostgreSQL and
MySQL/MariaDB: :class:`PerDialect` picks an expression per backend at compile time; the
``text_*`` helpers compare strings exactly (code points, case, accents, trailing spaces);
:func:`metric_condition` honours NaN and +/-inf as stored by ``schema.py``; :func:`missing_last`
sorts NULLs last without the non-portable ``NULLS LAST``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from jupyter_mltrack.store.sql.schema import (
    DOUBLE_MAX,
    KIND_FINITE,
    KIND_NAN,
    KIND_NEG_INF,
    KIND_POS_INF,
)

__all__ = [
    "COMPARE",
    "MAX_ID",
    "DrivingJoin",
    "PerDialect",
    "direct",
    "id_condition",
    "is_id",
    "like_to_glob",
    "metric_condition",
    "missing_last",
    "mysql_bytes",
    "normalise_like",
    "number_condition",
    "sortable",
    "string_condition",
    "text_eq",
    "text_in",
    "text_like",
]

_Bool = ColumnElement[bool]
#: The SQL operator of each numeric comparator.
COMPARE: Mapping[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


# -- one expression, a variant per dialect ------------------------------------------------------
class PerDialect(ColumnElement[Any]):
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


@compiles(PerDialect)
def _compile_per_dialect(element: PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    # Parenthesised so that NOT, AND and ORDER BY ... DESC apply to the whole variant.
    return f"({compiler.process(element.variant(compiler.dialect.name), **kw)})"


class DrivingJoin(sa.sql.selectable.Join):
    """``child JOIN table``, rendered ``CROSS JOIN`` on SQLite: the child's rows drive the query.

    SQLite (no statistics) otherwise prefers walking the runs in start-time order and probing
    the child per run, which for ``tags.x IS NOT NULL`` over 10^6 runs means a million probes
    to find the few marked runs (0.5 s of CPU, in every RunsTable's objective lookup); SQLite
    keeps the left table of a CROSS JOIN as the outer loop. Other planners choose from their
    statistics, so they get a plain join.
    """

    inherit_cache = True


@compiles(DrivingJoin, "sqlite")
def _compile_driving_join(element: DrivingJoin, compiler: SQLCompiler, **kw: Any) -> str:
    # The left side is one aliased table, so the first " JOIN " is this join's keyword.
    text: str = compiler.visit_join(element, **kw)  # type: ignore[no-untyped-call]
    return text.replace(" JOIN ", " CROSS JOIN ", 1)


# -- exact string semantics ---------------------------------------------------------------------
def mysql_bytes(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return ``column`` as bytes, for exact comparisons on MySQL."""
    # MySQL's default collations ignore case, accents and trailing spaces; bytes do not.
    return sa.cast(column, sa.LargeBinary)


def text_eq(column: ColumnElement[Any], value: str) -> _Bool:
    """Return ``column = value``, case-, accent- and trailing-space-sensitive everywhere."""
    exact = mysql_bytes(column) == sa.literal(value, sa.String())
    # The plain comparison stays in the MySQL variant so that indexes remain usable.
    return PerDialect(column == value, mysql=sa.and_(column == value, exact))


def text_in(column: ColumnElement[Any], values: Sequence[str]) -> _Bool:
    """Return ``column IN values``, exact as :func:`text_eq`."""
    exact = mysql_bytes(column).in_([sa.literal(v, sa.String()) for v in values])
    return PerDialect(column.in_(values), mysql=sa.and_(column.in_(values), exact))


def text_like(column: ColumnElement[Any], pattern: str, *, fold_case: bool) -> _Bool:
    r"""Return ``column [I]LIKE pattern`` with ``\`` as the escape character."""
    pattern = normalise_like(pattern)
    if fold_case:
        folded = sa.func.lower(column).collate("utf8mb4_bin")
        return PerDialect(
            column.ilike(pattern, escape="\\"),
            mysql=folded.like(sa.func.lower(pattern), escape="\\"),
        )
    # SQLite's LIKE ignores ASCII case and PRAGMA case_sensitive_like would change every query
    # on a shared connection; GLOB is SQLite's case-sensitive matcher.
    return PerDialect(
        column.like(pattern, escape="\\"),
        sqlite=column.op("GLOB")(like_to_glob(pattern)),
        mysql=column.collate("utf8mb4_bin").like(pattern, escape="\\"),
    )


def normalise_like(pattern: str) -> str:
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


def like_to_glob(pattern: str) -> str:
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


def sortable(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return ``column`` in code-point order on every backend (strings only)."""
    return PerDialect(column, postgresql=column.collate("C"), mysql=mysql_bytes(column))


# -- conditions ---------------------------------------------------------------------------------
def string_condition(column: ColumnElement[Any], op: str, value: Any) -> _Bool:
    """Compare a string column: ``= != LIKE ILIKE IN NOT IN``."""
    if op in ("=", "!="):
        found = text_eq(column, value)
    elif op in ("IN", "NOT IN"):
        found = text_in(column, value)
    else:
        return text_like(column, value, fold_case=op == "ILIKE")
    return found if op in ("=", "IN") else sa.not_(found)


def number_condition(column: ColumnElement[Any], op: str, value: float) -> _Bool:
    """Compare a numeric column: ``= != < <= > >=``; ints bind as BIGINT, floats as DOUBLE."""
    bound = sa.literal(value, sa.BigInteger() if isinstance(value, int) else sa.Float(53))
    compared: _Bool = COMPARE[op](column, bound)
    return compared


def id_condition(column: ColumnElement[Any], op: str, value: Any) -> _Bool:
    """Compare an integer id column with string ids, as if it held their decimal text."""
    if op in ("LIKE", "ILIKE"):
        return text_like(sa.cast(column, sa.String), value, fold_case=op == "ILIKE")
    wanted = [int(v) for v in ((value,) if isinstance(value, str) else value) if is_id(v)]
    found = column.in_(wanted) if wanted else sa.false()
    return found if op in ("=", "IN") else sa.not_(found)


#: Ids are INTEGER columns; a larger number names no row (and would overflow the driver).
MAX_ID = 2**31 - 1


def is_id(text: str) -> bool:
    """Return True if ``text`` is the canonical decimal form of an integer id (0 to MAX_ID)."""
    # The length check first: int() refuses strings of over 4,300 digits with a ValueError.
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))
    return digits and str(int(text)) == text and int(text) <= MAX_ID


def metric_condition(table: sa.FromClause, op: str, target: float) -> _Bool:
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
    return sa.and_(kind.not_in(excluded), COMPARE[op](value, target))


# -- ordering -----------------------------------------------------------------------------------
def direct(expression: ColumnElement[Any], ascending: bool) -> ColumnElement[Any]:
    """Return ``expression ASC`` or ``expression DESC``."""
    return expression.asc() if ascending else expression.desc()


def missing_last(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return an ORDER BY key that puts NULLs of ``column`` last in either direction."""
    # NULLS LAST is not portable (MySQL lacks it); a 0/1 key sorts the same everywhere.
    return sa.case((column.is_(None), 1), else_=0)
