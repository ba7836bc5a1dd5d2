"""The search read model: latest_metrics rows carry their run's experiment and lifecycle stage.

One index on (key, experiment_id, lifecycle_stage, value, kind) then answers counting and the
first page ordered by a metric without visiting ``runs``; it replaces the (key, value) index.
A NaN latest value is stored as +DOUBLE_MAX (it orders above +inf; the kind keeps it NaN).

Revision ID: 0005_search_read_model
Revises: 0004_logged_models
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_search_read_model"
down_revision = "0004_logged_models"
branch_labels = None
depends_on = None

_DOUBLE_MAX = 1.7976931348623157e308
_KIND_NAN = 1


def upgrade() -> None:
    with op.batch_alter_table("latest_metrics") as batch:
        batch.add_column(sa.Column("experiment_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("lifecycle_stage", sa.String(20), nullable=True))
    # One correlated UPDATE works on SQLite, PostgreSQL and MySQL/MariaDB alike.
    latest = sa.table(
        "latest_metrics",
        sa.column("run_uuid"),
        sa.column("experiment_id"),
        sa.column("lifecycle_stage"),
        sa.column("value"),
        sa.column("kind"),
    )
    runs = sa.table(
        "runs", sa.column("run_uuid"), sa.column("experiment_id"), sa.column("lifecycle_stage")
    )

    def of_run(column: str) -> sa.ScalarSelect[object]:
        return (
            sa.select(runs.c[column]).where(runs.c.run_uuid == latest.c.run_uuid).scalar_subquery()
        )

    op.execute(
        latest.update().values(
            experiment_id=of_run("experiment_id"), lifecycle_stage=of_run("lifecycle_stage")
        )
    )
    op.execute(latest.update().where(latest.c.kind == _KIND_NAN).values(value=_DOUBLE_MAX))
    op.drop_index("ix_latest_metrics_key_value", table_name="latest_metrics")
    op.create_index(
        "ix_latest_metrics_search",
        "latest_metrics",
        ["key", "experiment_id", "lifecycle_stage", "value", "kind"],
    )
