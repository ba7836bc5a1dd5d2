"""Long text columns on MySQL/MariaDB (descriptions up to the API's 100,000 characters).

MySQL's ``TEXT`` holds 65,535 bytes: a 100,000-character description (up to 400,000 bytes in
utf8mb4), a wide model signature or a dataset profile did not fit, and a server without strict
mode cut them short silently. Every ``TEXT`` column becomes ``MEDIUMTEXT`` (16 MiB) there;
SQLite's and PostgreSQL's ``TEXT`` have no such limit, so nothing changes on them.

Revision ID: 0008_long_text
Revises: 0007_logged_model_metrics
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008_long_text"
down_revision = "0007_logged_model_metrics"
branch_labels = None
depends_on = None

#: table -> (column, nullable) of every TEXT column that existed at this revision.
LONG_TEXT_COLUMNS = {
    "registered_models": (("description", True),),
    "model_versions": (("description", True), ("signature", True)),
    "model_version_events": (("comment", True), ("metrics", True)),
    "run_dataset_inputs": (
        ("source", False),
        ("dataset_schema", True),
        ("profile", True),
        ("tags", True),
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name not in ("mysql", "mariadb"):
        return
    for table, columns in LONG_TEXT_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, nullable in columns:
                batch.alter_column(
                    column,
                    type_=mysql.MEDIUMTEXT(),
                    existing_type=sa.Text(),
                    existing_nullable=nullable,
                )
