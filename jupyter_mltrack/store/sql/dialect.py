"""Dialect-specific statements: upserts and the raw executemany fast path."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    update_columns: Sequence[str],
) -> None:
    """Insert ``rows``, overwriting ``update_columns`` where the primary key already exists."""
    if not rows:
        return
    name = conn.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={c: stmt.excluded[c] for c in update_columns},
        )
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg_stmt = pg_insert(table)
        stmt = pg_stmt.on_conflict_do_update(  # type: ignore[assignment]
            constraint=table.primary_key, set_={c: pg_stmt.excluded[c] for c in update_columns}
        )
    elif name in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        my_stmt = mysql_insert(table)
        stmt = my_stmt.on_duplicate_key_update(  # type: ignore[assignment]
            {c: my_stmt.inserted[c] for c in update_columns}
        )
    else:  # pragma: no cover - other dialects are not supported as stores
        raise NotImplementedError(f"upsert is not implemented for {name}")
    conn.execute(stmt, list(rows))


@functools.lru_cache(maxsize=32)
def _insert_sql(dialect_name: str, table: str, columns: tuple[str, ...], quote: Any) -> str:
    marker = "?" if dialect_name == "sqlite" else "%s"
    cols = ", ".join(quote(c) for c in columns)
    return f"INSERT INTO {quote(table)} ({cols}) VALUES ({', '.join([marker] * len(columns))})"


def insert_tuples(
    conn: sa.Connection, table: sa.Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert positional rows with the driver's own executemany (no per-row dicts).

    This is the hot path of metric logging: going through the DBAPI directly avoids building a
    dict per row and SQLAlchemy's per-row parameter processing, roughly tripling throughput.
    """
    if not rows:
        return
    preparer = conn.dialect.identifier_preparer
    sql = _insert_sql(conn.dialect.name, table.name, columns, preparer.quote)
    conn.exec_driver_sql(sql, list(rows))
