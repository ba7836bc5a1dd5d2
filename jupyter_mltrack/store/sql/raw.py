"""Hand-written SQL on the driver's own cursor, for the statements on the logging hot path.

SQLAlchemy Core costs 60-100 µs of Python per statement (building the expression, the execution
context, the result object). A fluent run issues a dozen statements, so that overhead alone would
exceed the 1 ms-per-run budget. The few statements that run per logged run or per metric batch are
therefore written once as text with ``?`` markers and ``{identifier}`` placeholders, rendered once
per dialect, and executed on the DBAPI cursor inside the transaction SQLAlchemy opened. Everything
else stays in SQLAlchemy Core.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

_MYSQL = ("mysql", "mariadb")


class _QuotedNames(dict[str, str]):
    def __init__(self, preparer: Any) -> None:
        super().__init__()
        self._quote = preparer.quote

    def __missing__(self, name: str) -> str:
        return self._quote(name)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _render(template: str, dialect: sa.Dialect) -> str:
    text = template.format_map(_QuotedNames(dialect.identifier_preparer))
    if dialect.name != "sqlite":
        text = text.replace("?", "%s")  # psycopg and pymysql both take the "format" style
    return text


def render(conn: sa.Connection, template: str) -> str:
    """Return ``template`` as SQL for ``conn``'s dialect (identifiers quoted, markers adapted)."""
    return _render(template, conn.dialect)


def marks(count: int) -> str:
    """Return ``?, ?, ...`` with ``count`` markers, for ``IN (...)`` lists."""
    return ", ".join("?" * count)


def _cursor(conn: sa.Connection) -> Any:
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def fetchall(conn: sa.Connection, template: str, params: Sequence[Any] = ()) -> list[Any]:
    """Run a query and return its rows as plain tuples."""
    cursor = _cursor(conn)
    try:
        cursor.execute(render(conn, template), tuple(params))
        return cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def fetchone(conn: sa.Connection, template: str, params: Sequence[Any] = ()) -> Any:
    """Run a query and return its first row as a tuple, or None."""
    cursor = _cursor(conn)
    try:
        cursor.execute(render(conn, template), tuple(params))
        return cursor.fetchone()
    finally:
        cursor.close()


def execute(conn: sa.Connection, template: str, params: Sequence[Any] = ()) -> int:
    """Run a statement and return the number of rows it changed."""
    cursor = _cursor(conn)
    try:
        cursor.execute(render(conn, template), tuple(params))
        return cursor.rowcount  # type: ignore[no-any-return]
    finally:
        cursor.close()


def executemany(conn: sa.Connection, template: str, rows: Sequence[Sequence[Any]]) -> int:
    """Run a statement once per row with the driver's executemany; return the rows changed
    (summed over the rows by every driver used here; -1 where a driver cannot tell)."""
    if not rows:
        return 0
    cursor = _cursor(conn)
    try:
        cursor.executemany(render(conn, template), rows)
        return cursor.rowcount  # type: ignore[no-any-return]
    finally:
        cursor.close()


def upsert_template(
    conn: sa.Connection, table: str, keys: Sequence[str], values: Sequence[str]
) -> str:
    """Return an insert-or-update template for ``table`` keyed on its primary key ``keys``."""
    columns = [*keys, *values]
    insert = (
        f"INSERT INTO {{{table}}} ({', '.join('{' + c + '}' for c in columns)}) "
        f"VALUES ({marks(len(columns))})"
    )
    if conn.dialect.name in _MYSQL:
        updates = ", ".join(f"{{{c}}} = VALUES({{{c}}})" for c in values)
        return f"{insert} ON DUPLICATE KEY UPDATE {updates}"
    updates = ", ".join(f"{{{c}}} = excluded.{{{c}}}" for c in values)
    conflict = ", ".join("{" + c + "}" for c in keys)
    return f"{insert} ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
