"""Long text columns on MySQL/MariaDB (descriptions up to the API's 100,000 characters).

Reserved revision: filled in by the work it names; a no-op until then.

Revision ID: 0008_long_text
Revises: 0007_logged_model_metrics
"""

revision = "0008_long_text"
down_revision = "0007_logged_model_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
