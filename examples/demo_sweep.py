"""The `make demo` job: track a small scikit-learn sweep and print the best runs.

Runs on the embedded default store (``./mltrack/``), needs no set-up, and finishes in seconds.
"""

from __future__ import annotations

import itertools
import time

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.model_selection import train_test_split

import jupyter_mltrack as mlt
import jupyter_mltrack.sklearn as mlt_sklearn

EXPERIMENT = "demo-sweep"
MODEL_NAME = "demo-breast-cancer"
GRID = {"learning_rate": [0.05, 0.2], "max_depth": [2, 3], "n_estimators": [40, 80]}


def train_one(data: tuple, params: dict) -> None:  # type: ignore[type-arg]
    """Fit one model in a nested run, logging the loss curve and the final scores."""
    x_train, x_test, y_train, y_test = data
    with mlt.start_run(run_name="gb-" + "-".join(str(v) for v in params.values()), nested=True):
        mlt.log_params(params)
        model = GradientBoostingClassifier(random_state=0, **params).fit(x_train, y_train)
        for step, proba in enumerate(model.staged_predict_proba(x_test)):
            mlt.log_metric("test_log_loss", log_loss(y_test, proba), step=step)
        predictions = model.predict(x_test)
        mlt.log_metrics(
            {
                "accuracy": accuracy_score(y_test, predictions),
                "f1": f1_score(y_test, predictions),
            }
        )
        mlt.set_tag("model_family", "gradient_boosting")
        mlt_sklearn.log_model(model, "model", input_example=x_test[:3])


def main() -> None:
    features, labels = load_breast_cancer(return_X_y=True)
    data = train_test_split(features, labels, test_size=0.3, random_state=0)
    mlt.set_experiment(EXPERIMENT)
    started = time.perf_counter()
    combos = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    with mlt.start_run(run_name="sweep", description="Grid over GradientBoostingClassifier"):
        mlt.log_param("grid_size", len(combos))
        for params in combos:
            train_one(data, params)
    elapsed = time.perf_counter() - started

    best = mlt.search_runs(
        experiment_names=[EXPERIMENT],
        filter_string="tags.model_family = 'gradient_boosting'",
        order_by=["metrics.accuracy DESC", "metrics.f1 DESC"],
        max_results=5,
    )
    columns = [
        "run_name",
        "metrics.accuracy",
        "metrics.f1",
        "params.learning_rate",
        "params.max_depth",
        "params.n_estimators",
    ]
    print(f"Tracked {len(combos)} runs in {elapsed:.1f} s. Best runs:\n")
    print(best[columns].to_string(index=False))
    version = mlt.register_model(f"runs:/{best['run_id'].iloc[0]}/model", MODEL_NAME)
    mlt.RegistryClient().set_registered_model_alias(MODEL_NAME, "champion", version.version)
    print(f"\nRegistered the best model as {MODEL_NAME} version {version.version} (@champion).")
    print(
        "\nWhat next:\n"
        f"  store:        {mlt.get_tracking_uri()}\n"
        f"  list runs:    .venv/bin/mltrack runs list --experiment {EXPERIMENT} "
        "--order-by 'metrics.accuracy DESC'\n"
        f"  one run:      .venv/bin/mltrack runs describe {best['run_id'].iloc[0]}\n"
        f"  the model:    .venv/bin/mltrack models versions {MODEL_NAME}\n"
        f"  serve it:     .venv/bin/mltrack models serve -m models:/{MODEL_NAME}@champion\n"
        "  in Python:    import jupyter_mltrack as mlt; "
        f"mlt.search_runs(experiment_names=['{EXPERIMENT}'])"
    )


if __name__ == "__main__":
    main()
