"""The shared pieces of the SQL schema: the ``MetaData`` and the column types every table uses.

The tracking tables (``schema``), the registry's (``registry_schema``) and the logged models'
(``logged_model_schema``) all define their tables on this one ``metadata``; keeping it here, below
all three, lets ``schema`` import the other two without an import cycle.
"""

from __future__ import annotations

from sqlalchemy import MetaData, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

__all__ = [
    "DOUBLE_MAX",
    "KIND_FINITE",
    "KIND_NAN",
    "KIND_NEG_INF",
    "KIND_POS_INF",
    "exact_string",
    "long_text",
    "metadata",
]

KIND_FINITE, KIND_NAN, KIND_POS_INF, KIND_NEG_INF = 0, 1, 2, 3
DOUBLE_MAX = 1.7976931348623157e308

metadata = MetaData()


def exact_string(length: int) -> TypeEngine[str]:
    """Return a VARCHAR that compares exactly: binary collation on MySQL/MariaDB.

    MySQL's default collations ignore case and accents, which would make the keys ``acc`` and
    ``Acc`` (or experiments ``Exp`` and ``exp``) collide there but not on SQLite or PostgreSQL.
    """
    binary = mysql.VARCHAR(length, collation="utf8mb4_bin")
    return String(length).with_variant(binary, "mysql", "mariadb")


def long_text() -> TypeEngine[str]:
    """Return a TEXT that holds 100,000-character descriptions: MEDIUMTEXT on MySQL/MariaDB.

    MySQL's TEXT stops at 65,535 bytes (a quarter of that in 4-byte characters); SQLite's and
    PostgreSQL's TEXT have no such limit (migration ``0008_long_text`` converts old stores).
    """
    return Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
