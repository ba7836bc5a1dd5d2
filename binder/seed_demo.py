"""Seed a small demo store for Binder: three tracked runs and a registered, aliased model.

``binder/postBuild`` runs it once when the image is built, so the JupyterLab Experiments
sidebar has runs to compare and a model to open before the visitor has run anything::

    python binder/seed_demo.py [STORE]     # default: $MLTRACK_DEMO_STORE, else ./mltrack

Three SGD logistic regressions on scikit-learn's breast-cancer data (a few seconds) log their
params, a loss curve and test metrics; the best is registered as ``binder-demo-classifier``
and gets the ``champion`` alias. Running it again on a seeded store changes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Any

import jupyter_mltrack as mlt
from jupyter_mltrack.errors import MltrackError

EXPERIMENT = "binder-demo"
MODEL_NAME = "binder-demo-classifier"
ALIAS = "champion"
ALPHAS = (0.1, 0.01, 0.001)
EPOCHS = 15
DESCRIPTION = (
    "Demo model seeded by `binder/postBuild`: an SGD logistic regression on scikit-learn's "
    "breast-cancer data, the best of three regularisation strengths by ROC AUC."
)


def _data() -> tuple[Any, Any, Any, Any]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=0.25, random_state=0, stratify=target
    )
    scaler = StandardScaler().fit(x_train)
    # Keep DataFrames (column names) so the logged model gets a named input signature.
    scale = scaler.transform
    x_train[x_train.columns] = scale(x_train)
    x_test[x_test.columns] = scale(x_test)
    return x_train, x_test, y_train, y_test


def _train_run(alpha: float, data: tuple[Any, Any, Any, Any]) -> tuple[str, float]:
    """Track one model; return its run id and test ROC AUC."""
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    import jupyter_mltrack.sklearn

    x_train, x_test, y_train, y_test = data
    with mlt.start_run(run_name=f"sgd-alpha-{alpha:g}") as run:
        mlt.log_params({"alpha": alpha, "epochs": EPOCHS, "model": "SGDClassifier"})
        mlt.set_tag("seeded_by", "binder/postBuild")
        model = SGDClassifier(loss="log_loss", alpha=alpha, random_state=0)
        for epoch in range(EPOCHS):
            model.partial_fit(x_train, y_train, classes=[0, 1])
            loss = log_loss(y_train, model.predict_proba(x_train))
            mlt.log_metric("train_log_loss", loss, step=epoch)
        score = float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))
        mlt.log_metrics(
            {"roc_auc": score, "accuracy": float(accuracy_score(y_test, model.predict(x_test)))}
        )
        jupyter_mltrack.sklearn.log_model(model, "model", input_example=x_test.head(3))
    return run.info.run_id, score


def _already_seeded() -> bool:
    try:
        mlt.RegistryClient().get_model_version_by_alias(MODEL_NAME, ALIAS)
    except MltrackError:
        return False
    return True


def seed(store: str) -> str:
    """Seed ``store`` (a folder or store URI) unless it already holds the demo; return a summary."""
    mlt.set_tracking_uri(store)
    if _already_seeded():
        return f"demo store already seeded: {mlt.get_tracking_uri()}"
    mlt.set_experiment(EXPERIMENT)
    data = _data()
    with warnings.catch_warnings():  # SGD's convergence chatter is noise in a build log
        warnings.simplefilter("ignore")
        scores = dict(_train_run(alpha, data) for alpha in ALPHAS)
    best = max(scores, key=lambda run_id: scores[run_id])
    version = mlt.register_model(f"runs:/{best}/model", MODEL_NAME)
    registry = mlt.RegistryClient()
    registry.update_registered_model(MODEL_NAME, DESCRIPTION)
    registry.set_registered_model_alias(MODEL_NAME, ALIAS, version.version)
    return (
        f"seeded {mlt.get_tracking_uri()}: {len(scores)} runs in '{EXPERIMENT}', "
        f"models:/{MODEL_NAME}@{ALIAS} = version {version.version} "
        f"(ROC AUC {scores[best]:.3f})"
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and seed the store."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "store",
        nargs="?",
        default=os.environ.get("MLTRACK_DEMO_STORE") or "mltrack",
        help="store folder or URI (default: $MLTRACK_DEMO_STORE, else ./mltrack)",
    )
    args = parser.parse_args(argv)
    print(seed(args.store))
    return 0


if __name__ == "__main__":
    sys.exit(main())
