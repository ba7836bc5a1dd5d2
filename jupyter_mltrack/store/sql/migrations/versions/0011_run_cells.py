"""SQLite stores get ``run_cells``: each run's metrics, params and tags packed in one row.

The search DataFrame reads it instead of the three cell tables; triggers delete a run's row
whenever one of its cells changes (see ``store/sql/run_cells.py``). The table starts empty: the
first DataFrame over a run packs it. Other databases are unchanged (their DataFrame groups the
cells on the server).

Revision ID: 0011_run_cells
Revises: 0010_relative_artifact_locations
"""

from alembic import op

from jupyter_mltrack.store.sql import run_cells

revision = "0011_run_cells"
down_revision = "0010_relative_artifact_locations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_cells.install(op.get_bind())
