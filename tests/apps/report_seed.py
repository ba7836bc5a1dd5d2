"""A store holding one model with two real versions, for the model report's tests.

Version 1 and version 2 of ``churn-report`` are tiny scikit-learn classifiers logged with a
signature, evaluated with ``evaluate()`` (so their runs carry evaluation metrics and plot JSON)
and registered; the alias ``champion`` moves from version 1 to version 2 with a comment, and
version 2 goes to Production. Names and the description carry an HTML/script payload: the
report must show them as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MODEL = "churn-report"
PAYLOAD = "<img src=x onerror=window.__pwned=1>"
DESCRIPTION = f"Predicts **churn** from account activity. {PAYLOAD} [click](javascript:alert(1))"


@dataclass(frozen=True)
class ReportStore:
    """What the tests need to know: the store URI and the runs of versions 1 and 2."""

    uri: str
    run_v1: str
    run_v2: str


def seed_report_store(root: Path) -> ReportStore:
    """Create the store under ``root``; two versions, the alias moved, v2 in Production."""
    import jupyter_mltrack as mlt
    from jupyter_mltrack.registry.client import RegistryClient

    uri = f"sqlite:///{root / 'mltrack.db'}"
    mlt.set_tracking_uri(uri)
    mlt.set_experiment(f"churn {PAYLOAD}")
    run_v1 = _train(0.05, "first")
    run_v2 = _train(1.0, "second")
    registry = RegistryClient(uri)
    registry.update_registered_model(MODEL, DESCRIPTION)
    registry.set_registered_model_alias(MODEL, "champion", 1)
    registry.set_registered_model_alias(MODEL, "champion", 2)
    registry.transition_model_version_stage(MODEL, 2, "Production", comment="beats v1 on AUC")
    return ReportStore(uri=uri, run_v1=run_v1, run_v2=run_v2)


def _train(c: float, name: str) -> str:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import jupyter_mltrack as mlt
    import jupyter_mltrack.sklearn

    data = load_breast_cancer(as_frame=True)
    x, y = data.data.iloc[:, :6], data.target
    with mlt.start_run(run_name=f"{name} {PAYLOAD}") as run:
        mlt.log_params({"C": c, "features": 6, "note": PAYLOAD})
        mlt.set_tag(
            "mltrack.source.git.commit", "0123456789abcdef" if c < 1 else "fedcba9876543210"
        )
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=500)).fit(x, y)
        jupyter_mltrack.sklearn.log_model(
            model, "model", input_example=x.head(3), registered_model_name=MODEL
        )
        mlt.evaluate(model, x, y, model_type="classifier")
    return run.info.run_id
