"""Indexes for counting and paging at a million runs.

Reserved revision: filled in by the work it names; a no-op until then.

Revision ID: 0011_scale_indexes
Revises: 0010_relative_artifact_locations
"""

revision = "0011_scale_indexes"
down_revision = "0010_relative_artifact_locations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
