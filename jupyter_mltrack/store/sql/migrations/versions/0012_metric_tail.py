"""SQLite stores get ``metric_tail``: wide metric batches are appended there, then folded.

A batch of many keys appends its points to the tail instead of the history; the tail is folded
into the history and the latest values in bulk, by the batch that fills it and before anything
reads them (see ``store/sql/metric_tail.py``). The table starts empty. Other databases are
unchanged.

Revision ID: 0012_metric_tail
Revises: 0011_run_cells
"""

from alembic import op

from jupyter_mltrack.store.sql import metric_tail

revision = "0012_metric_tail"
down_revision = "0011_run_cells"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metric_tail.install(op.get_bind())
