"""Artifact locations of the embedded store relative to the store folder (a copied store is self-contained).

Reserved revision: filled in by the work it names; a no-op until then.

Revision ID: 0010_relative_artifact_locations
Revises: 0009_client_requests
"""

revision = "0010_relative_artifact_locations"
down_revision = "0009_client_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
