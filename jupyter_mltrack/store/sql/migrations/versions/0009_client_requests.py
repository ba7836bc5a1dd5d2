"""Remembered client request ids, so a retried write over HTTP is applied once.

Reserved revision: filled in by the work it names; a no-op until then.

Revision ID: 0009_client_requests
Revises: 0008_long_text
"""

revision = "0009_client_requests"
down_revision = "0008_long_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
