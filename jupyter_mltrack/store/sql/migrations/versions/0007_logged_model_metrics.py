"""Metrics logged against a logged model (model_id), MLflow's logged-model metrics.

Reserved revision: filled in by the work it names; a no-op until then.

Revision ID: 0007_logged_model_metrics
Revises: 0006_compact_metrics
"""

revision = "0007_logged_model_metrics"
down_revision = "0006_compact_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
