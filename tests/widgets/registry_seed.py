"""Registered models on top of the seeded store (``conftest.seed``), for the registry widgets.

``churn-model``: version 1 (rf-1, Production, alias ``champion``), 2 (rf-2, Staging),
3 (gbm-1, None); a markdown description holding a script tag; tag ``team=growth``.
``vision-model``: version 1 (cnn-1, None).
"""

from __future__ import annotations

from widget_seed import Seeded

from jupyter_mltrack.registry import RegistryClient

DESCRIPTION = "# Churn model\n\nGradient **boosting** <script>alert('x')</script>"


def seed_registry(seeded: Seeded) -> RegistryClient:
    """Create the registered models above and return a registry client on the same store."""
    registry = RegistryClient(store=seeded.client.store)
    registry.create_registered_model("churn-model", {"team": "growth"}, DESCRIPTION)
    for run in ("rf-1", "rf-2", "gbm-1"):
        run_id = seeded.runs[run]
        registry.create_model_version("churn-model", f"runs:/{run_id}/model", run_id)
    registry.transition_model_version_stage("churn-model", 1, "Production")
    registry.transition_model_version_stage("churn-model", 2, "Staging")
    registry.set_registered_model_alias("churn-model", "champion", 1)
    run_id = seeded.runs["cnn-1"]
    registry.create_model_version("vision-model", f"runs:/{run_id}/model", run_id)
    return registry
