"""Remembered client request ids, so a retried write over HTTP is applied once.

The ``client_requests`` table holds one row per write request that carried an
``X-Mltrack-Request-Id`` header: inserted in the write's own transaction, with the answer
recorded right after. See ``store/sql/client_requests.py``.

Revision ID: 0009_client_requests
Revises: 0008_long_text
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0009_client_requests"
down_revision = "0008_long_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Binary collation on MySQL/MariaDB, as schema.exact_string: ids compare exactly.
    request_id = sa.String(64).with_variant(
        mysql.VARCHAR(64, collation="utf8mb4_bin"), "mysql", "mariadb"
    )
    op.create_table(
        "client_requests",
        sa.Column("request_id", request_id, primary_key=True),
        sa.Column("created_time", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("response", sa.Text),
    )
    op.create_index("ix_client_requests_created", "client_requests", ["created_time"])
